# Xen pure logic: the xenstore wire protocol against a simulated xenstored.
UNIT_TESTS += test_xs_wire
test_xs_wire_SRCS := tests/unit/test_xs_wire.c drivers/xen/xs_wire.c
UNIT_TESTS += test_xen_front
test_xen_front_SRCS := tests/unit/test_xen_front.c drivers/xen/grant_table.c
# Which pending event-channel ports a vCPU takes in its upcall.
UNIT_TESTS += test_evtchn_pick
test_evtchn_pick_SRCS := tests/unit/test_evtchn_pick.c drivers/xen/evtchn_pick.c
# The Xen rig's reader of logs still being written (tests/xen/xenrig-lines.h).
UNIT_TESTS += test_xenrig_lines
test_xenrig_lines_SRCS := tests/unit/test_xenrig_lines.c
