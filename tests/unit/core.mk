# Host unit tests of core/ and lib/ pure logic (see Makefile: UNIT_TESTS).
UNIT_TESTS += test_cmdline test_boot_info test_page_alloc test_heap test_format
test_cmdline_SRCS := tests/unit/test_cmdline.c core/cmdline.c
test_boot_info_SRCS := tests/unit/test_boot_info.c core/boot_info.c
test_page_alloc_SRCS := tests/unit/test_page_alloc.c core/page_alloc.c
test_heap_SRCS := tests/unit/test_heap.c core/heap.c
test_format_SRCS := tests/unit/test_format.c lib/format.c
UNIT_TESTS += test_chacha20
test_chacha20_SRCS := tests/unit/test_chacha20.c lib/chacha20.c
# Where device interrupts go on machines with APIC ids above 254.
UNIT_TESTS += test_irq_target
test_irq_target_SRCS := tests/unit/test_irq_target.c arch/x86_64/irq_target.c
# lib/string.c's word-loop memcpy and memset at every alignment.
UNIT_TESTS += test_string
test_string_SRCS := tests/unit/test_string.c
$(BUILD)/host/unit/test_string: lib/string.c
# The XCR0 and XSAVE area size from CPUID leaf 0xD (values as QEMU, KVM and Xen report them).
UNIT_TESTS += test_xsave_choice
test_xsave_choice_SRCS := tests/unit/test_xsave_choice.c arch/x86_64/xsave_choice.c
