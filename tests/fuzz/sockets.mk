# The socket calls' parsers of program-supplied bytes: sockaddrs, msghdrs,
# option values (linux/sock_abi.c).
FUZZ_TARGETS += fuzz_sock_abi
fuzz_fuzz_sock_abi_SRCS := tests/fuzz/fuzz_sock_abi.c linux/sock_abi.c
