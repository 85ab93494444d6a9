# Host unit tests of the socket calls' checks of program input (linux/sock_abi.c).
UNIT_TESTS += test_sock_abi
test_sock_abi_SRCS := tests/unit/test_sock_abi.c linux/sock_abi.c
