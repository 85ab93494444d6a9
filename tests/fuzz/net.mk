# libFuzzer targets for what net/ and apps/httpd parse from the network and the command line,
# net/inet_sum.c, which sums every frame's bytes, and net/tcp_syn.c, which reads every received IP packet's head.
FUZZ_TARGETS += fuzz_http_parse fuzz_net_config fuzz_inet_sum fuzz_tcp_syn
fuzz_fuzz_http_parse_SRCS := tests/fuzz/fuzz_http_parse.c apps/httpd/http_parse.c
fuzz_fuzz_net_config_SRCS := tests/fuzz/fuzz_net_config.c net/net_config.c
fuzz_fuzz_inet_sum_SRCS := tests/fuzz/fuzz_inet_sum.c net/inet_sum.c
fuzz_fuzz_tcp_syn_SRCS := tests/fuzz/fuzz_tcp_syn.c net/tcp_syn.c
