/* The page Xen fills with its hypercall stubs (32 bytes each). It lives in
 * the text segment so it is executable under W^X; Xen writes it through the
 * guest-physical address, which read-only guest mappings do not stop. */
    .section .text.xen_hypercall_page, "ax"
    .balign 4096
    .globl xen_hypercall_page
xen_hypercall_page:
    .fill 4096, 1, 0xcc
