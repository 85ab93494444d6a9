# Host unit tests of net/ and apps/httpd pure logic (see Makefile: UNIT_TESTS).
UNIT_TESTS += test_http_parse test_net_config test_inet_sum test_tcp_syn
test_http_parse_SRCS := tests/unit/test_http_parse.c apps/httpd/http_parse.c
test_net_config_SRCS := tests/unit/test_net_config.c net/net_config.c core/cmdline.c
test_inet_sum_SRCS := tests/unit/test_inet_sum.c net/inet_sum.c
test_tcp_syn_SRCS := tests/unit/test_tcp_syn.c net/tcp_syn.c
