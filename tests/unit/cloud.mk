# Host unit test of the cloud metadata clients' HTTP response parser (net/http_response.c).
UNIT_TESTS += test_http_response
test_http_response_SRCS := tests/unit/test_http_response.c net/http_response.c
