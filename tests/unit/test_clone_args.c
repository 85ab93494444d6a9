/* Host unit test of linux/clone_args.c: the flag sets glibc, musl and Go
 * pass are threads; fork, vfork and odd combinations are refused as said. */
#include <stddef.h>
#include "../../linux/clone_args.h"
#include "check.h"
#include "errno.h"

int main(void)
{
    struct clone_req r;
    const char *why;
    /* glibc's pthread_create (2.36) */
    uint64_t glibc = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                     CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    CHECK_EQ(clone_check(glibc, 0x7000, 0x1000, 0x2000, 0x3000, &r, &why), 0);
    CHECK(why == NULL && r.stack == 0x7000 && r.parent_tid == 0x1000 && r.child_tid == 0x2000 &&
          r.tls == 0x3000 && r.flags == glibc);
    /* musl adds CLONE_DETACHED */
    CHECK_EQ(clone_check(glibc | CLONE_DETACHED, 0x7000, 0, 0, 0, &r, &why), 0);
    /* Go's runtime (os_linux.go cloneFlags) */
    uint64_t go = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_SYSVSEM | CLONE_THREAD;
    CHECK_EQ(clone_check(go, 0x7000, 0, 0, 0, &r, &why), 0);
    CHECK_EQ(clone_check(go | CLONE_CHILD_SETTID, 0x7000, 0, 0x2000, 0, &r, &why), 0);
    /* fork as glibc does it */
    CHECK_EQ(clone_check(CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | 17, 0, 0, 0, 0, &r, &why), -ENOSYS);
    CHECK(why != NULL);
    /* posix_spawn: VM|VFORK */
    CHECK_EQ(clone_check(CLONE_VM | CLONE_VFORK | 17, 0x7000, 0, 0, 0, &r, &why), -ENOSYS);
    CHECK_EQ(clone_check(CLONE_VM | 17, 0x7000, 0, 0, 0, &r, &why), -ENOSYS);
    CHECK_EQ(clone_check(CLONE_THREAD | CLONE_VM, 0, 0, 0, 0, &r, &why), -EINVAL);
    CHECK_EQ(clone_check(CLONE_SIGHAND, 0, 0, 0, 0, &r, &why), -EINVAL);
    CHECK_EQ(clone_check(go | CLONE_NEWNS, 0x7000, 0, 0, 0, &r, &why), -ENOSYS);
    CHECK_EQ(clone_check(go | CLONE_PIDFD, 0x7000, 0, 0, 0, &r, &why), -ENOSYS);
    CHECK_EQ(clone_check(go | (1ull << 40), 0x7000, 0, 0, 0, &r, &why), -ENOSYS);
    CHECK_EQ(clone_check(go | 65, 0x7000, 0, 0, 0, &r, &why), -EINVAL);

    CHECK(clone_may_create(0, 64ull << 20, 64 << 10, 4096));
    CHECK(!clone_may_create(4096, 64ull << 20, 64 << 10, 4096));
    CHECK(!clone_may_create(1, 4ull << 20, 64 << 10, 4096)); /* the reserve */
    CHECK(!clone_may_create(1, (4ull << 20) + 1000, 64 << 10, 4096));
    CHECK(clone_may_create(1, (4ull << 20) + (64 << 10), 64 << 10, 4096));
    CHECK(!clone_may_create(1, 0, 64 << 10, 4096));
    return check_report("test_clone_args");
}
