"""Boot-test harness: boots kernels under QEMU TCG with a timeout, and keeps
the serial log of every boot under build/test-logs/ (kept on failure)."""

import os
import re
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import kestrel_qemu as kq  # noqa: E402

LOG_DIR = os.path.join(ROOT, "build", "test-logs")
ALL_PRESETS = ["microvm", "microvm-noacpi", "pc", "q35"]


def app_kernel(app):
    path = os.path.join(ROOT, "build", "app-%s.elf" % app)
    if not os.path.exists(path):
        pytest.fail("%s is missing: run `make apps` (make check does)" % path)
    return path


class Booter:
    def __init__(self, request):
        self.request = request
        self.count = 0

    def __call__(self, cmdline, app="ktest", preset="microvm", memory="64M", smp=1, timeout=60,
                 expect_status=None, **kw):
        kernel = app_kernel(app) if app else None
        cmd = kq.qemu_command(preset, kernel, cmdline, memory=memory, smp=smp, **kw)
        b = kq.boot(cmd, timeout=timeout)
        self.count += 1
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.request.node.nodeid)
        os.makedirs(LOG_DIR, exist_ok=True)
        log = os.path.join(LOG_DIR, "%s-%d.log" % (name, self.count))
        with open(log, "w") as f:
            f.write("$ %s\n" % " ".join(cmd))
            for t, text in b.lines:
                f.write("[%8.3f] %s\n" % (t, text))
            f.write("qemu exit %d, timed out %s\n" % (b.qemu_rc, b.timed_out))
        b.log = log
        assert not b.timed_out, "boot timed out after %ss; log: %s\n%s" % (timeout, log, b.output[-2000:])
        if expect_status is not None:
            assert b.status == expect_status, "status %r (qemu %d), want %d; log: %s\n%s" % (
                b.status, b.qemu_rc, expect_status, log, b.output[-3000:])
        return b


@pytest.fixture
def boot(request):
    return Booter(request)
