# libFuzzer target for what the cloud metadata clients parse from the metadata server.
FUZZ_TARGETS += fuzz_http_response
fuzz_fuzz_http_response_SRCS := tests/fuzz/fuzz_http_response.c net/http_response.c
