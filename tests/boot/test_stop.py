"""Graceful stop (include/stop.h): a stop request from QEMU's monitor reaches
the app's stop hook, the VM powers off with the app's status; an app that
ignores the stop is powered off after --stop-timeout (measured in guest
time); a second request cuts the wait short; Ctrl-Alt-Del on the i8042 of a
Firecracker-like machine asks for a reboot, and the machine reboots."""

import json
import os
import re
import selectors
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

import fs_images as fi
from conftest import LOG_DIR, ROOT, app_kernel, kq

# Presets with isa-debug-exit as their platform's power-off: the status
# reaches QEMU's exit code. The others power off through ACPI S5 (as they
# would on the real hypervisor), which carries no status: there the kernel's
# "power off, status N" line is what the app's status is read from.
STATUS_IN_EXIT_CODE = {"microvm", "pc", "q35"}
POWERDOWN_PRESETS = ["microvm", "pc", "q35", "vmware", "virtualbox", "ec2", "gce"]
SOURCE = {"microvm": "the ACPI Generic Event Device's power button"}


class Monitored:
    """A QEMU run with a QMP socket: actions are (line regex, QMP command,
    arguments), each sent once a complete serial line matches its regex."""

    def __init__(self, request, cmd, sock):
        self.request, self.cmd, self.sock = request, cmd, sock
        self.lines, self.qemu_rc, self.timed_out = [], None, False

    def qmp(self, command, **args):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(self.sock)
        f = s.makefile("rwb")
        f.readline()  # greeting
        for c, a in (("qmp_capabilities", {}), (command, args)):
            f.write(json.dumps({"execute": c, "arguments": a}).encode() + b"\n")
            f.flush()
            try:
                while True:
                    line = f.readline()
                    if not line:
                        raise ConnectionResetError("QMP closed")
                    reply = json.loads(line)
                    if "return" in reply or "error" in reply:
                        break
            except ConnectionResetError:
                # A fast guest can power QEMU off before the monitor's reply
                # to the command that caused it is flushed (seen on q35: the
                # reset came in place of {"return": {}}). The command was
                # delivered; the test judges it by what the guest printed.
                if c == command:
                    break
                raise
            assert "error" not in reply, reply
        s.close()

    def run(self, actions, timeout, until=None):
        actions = list(actions)
        start = time.monotonic()
        proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout.fileno(), selectors.EVENT_READ)
        buf = b""
        try:
            while True:
                left = timeout - (time.monotonic() - start)
                if left <= 0:
                    self.timed_out = True
                    break
                if not sel.select(min(left, 0.5)):
                    if proc.poll() is not None:
                        break
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    text = line.decode("utf-8", "replace").rstrip("\r")
                    self.lines.append((time.monotonic() - start, text))
                    while actions and re.search(actions[0][0], text):
                        _, command, args = actions.pop(0)
                        self.qmp(command, **args)
                if until and until(self.output):
                    break
        finally:
            if proc.poll() is None:
                proc.kill()
            self.qemu_rc = proc.wait()
            sel.close()
            proc.stdout.close()
            self.save()
        assert not self.timed_out, "timed out after %ss; log: %s\n%s" % (timeout, self.log, self.output[-3000:])
        return self

    def save(self):
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.request.node.nodeid)
        os.makedirs(LOG_DIR, exist_ok=True)
        self.log = os.path.join(LOG_DIR, "%s.log" % name)
        with open(self.log, "w") as f:
            f.write("$ %s\n" % " ".join(self.cmd))
            for t, text in self.lines:
                f.write("[%8.3f] %s\n" % (t, text))
            f.write("qemu exit %s, timed out %s\n" % (self.qemu_rc, self.timed_out))

    @property
    def output(self):
        return "\n".join(text for _, text in self.lines)

    def number(self, pattern):
        m = re.search(pattern, self.output, re.M)
        assert m, "no line matching %r; log: %s\n%s" % (pattern, self.log, self.output[-3000:])
        return int(m.group(1))


@pytest.fixture
def monitored(request):
    tmp = tempfile.mkdtemp(prefix="kestrel-stop-")
    sock = os.path.join(tmp, "qmp.sock")

    def start(preset, cmdline, app="stoptest", **kw):
        extra = list(kw.pop("extra", ())) + ["-qmp", "unix:%s,server=on,wait=off" % sock]
        cmd = kq.qemu_command(preset, app_kernel(app), cmdline, extra=extra, **kw)
        return Monitored(request, cmd, sock)

    yield start
    if os.path.exists(sock):
        os.unlink(sock)
    os.rmdir(tmp)


READY = r"^stoptest: ready at \d+ ms$"


@pytest.mark.parametrize("preset", POWERDOWN_PRESETS)
def test_powerdown_runs_the_stop_hook(monitored, preset):
    m = monitored(preset, "stoptest hook 42").run([(READY, "system_powerdown", {})], timeout=120)
    source = SOURCE.get(preset, "the ACPI power button")
    assert re.search(r"^stop: power-off requested by %s at \d+ ms$" % re.escape(source), m.output, re.M), m.log
    assert re.search(r"^stoptest: stop hook: power-off at \d+ ms$", m.output, re.M), m.log
    assert "stoptest: exiting with status 42 after the power-off request" in m.output, m.log
    assert m.number(r"^kestrel: power off, status (\d+)$") == 42
    if preset in STATUS_IN_EXIT_CODE:
        assert kq.app_status(m.qemu_rc) == 42, "qemu exit %d; log: %s" % (m.qemu_rc, m.log)
    else:
        assert m.qemu_rc == 0, "ACPI S5 ends QEMU with 0, not %d; log: %s" % (m.qemu_rc, m.log)


def test_ignored_stop_times_out(monitored):
    m = monitored("q35", "--stop-timeout=2 stoptest ignore").run([(READY, "system_powerdown", {})], timeout=120)
    hook = m.number(r"^stoptest: stop hook: power-off at (\d+) ms, ignoring it$")
    requested = m.number(r"^stop: power-off requested by the ACPI power button at (\d+) ms$")
    off = m.number(r"^stop: powering off at (\d+) ms, status 123$")
    assert "stop: the program did not exit within 2 s" in m.output, m.log
    # Guest clock: the wait is the time-out, give or take the stop thread's wake-up.
    assert 2000 <= off - requested < 2500, (requested, hook, off, m.log)
    assert kq.app_status(m.qemu_rc) == 123, m.log


def test_second_request_powers_off_at_once(monitored):
    m = monitored("pc", "--stop-timeout=600 stoptest ignore").run(
        [(READY, "system_powerdown", {}), (r"^stoptest: stop hook: power-off at \d+ ms, ignoring it$",
                                           "system_powerdown", {})], timeout=120)
    requested = m.number(r"^stop: power-off requested by the ACPI power button at (\d+) ms$")
    off = m.number(r"^stop: powering off at (\d+) ms, status 123$")
    assert "stop: second request, by the ACPI power button: not waiting any longer" in m.output, m.log
    assert off - requested < 60000, m.log
    assert kq.app_status(m.qemu_rc) == 123, m.log


CAD = [{"type": "qcode", "data": k} for k in ("ctrl", "alt", "delete")]


def test_ctrl_alt_del_on_firecracker_reboots(monitored):
    # microvm without ACPI plus an i8042, as Firecracker has; reboots allowed:
    # the kernel must come up a second time, after the app's hook ran.
    m = monitored("microvm-noacpi", "--platform=firecracker stoptest hook 7", extra=["-device", "i8042"],
                  no_reboot=False)
    m.run([(READY, "send-key", {"keys": CAD})], timeout=120,
          until=lambda out: len(re.findall(READY, out, re.M)) >= 2)
    out = m.output
    assert "i8042: keyboard interrupts on" in out, m.log
    assert re.search(r"^stop: reboot requested by Ctrl-Alt-Del on the i8042 keyboard at \d+ ms$", out, re.M), m.log
    assert "stoptest: exiting with status 7 after the reboot request" in out, m.log
    assert re.search(r"^stop: rebooting at \d+ ms$", out, re.M), m.log
    assert len(re.findall(READY, out, re.M)) == 2, m.log
    assert "power off" not in out, m.log


def test_ctrl_alt_del_ends_firecracker(monitored):
    # With -no-reboot, as Firecracker does: the reboot ends the VM.
    m = monitored("microvm-noacpi", "--platform=firecracker stoptest hook 7", extra=["-device", "i8042"])
    m.run([(READY, "send-key", {"keys": CAD})], timeout=120)
    assert re.search(r"^stop: rebooting at \d+ ms$", m.output, re.M), m.log
    assert m.qemu_rc == 0, m.log


def test_no_stop_hook_ends_the_app_at_once(monitored):
    # ktest has no app_on_stop: the kernel ends it without waiting (122),
    # long before its threads would finish.
    m = monitored("q35", "ktest threads 4 1000000000", app="ktest")
    m.run([(r"^acpi: power button: ", "system_powerdown", {})], timeout=120)
    assert "stop: the program has no stop handler: ending it now" in m.output, m.log
    assert kq.app_status(m.qemu_rc) == 122, m.log


# ---- a Linux program (linux/process.c): the stop arrives as SIGTERM ----
SIGTERM_PROG = os.path.join(ROOT, "build", "linux", "sigterm")  # tests/linux/build


def linux_stop(monitored, tmp_path, mode, kopts=""):
    tree = tmp_path / "tree" / "bin"
    tree.mkdir(parents=True)
    shutil.copy(SIGTERM_PROG, tree / "sigterm")
    archive = fi.cpio_newc(str(tmp_path / "tree"), str(tmp_path / "initrd.cpio"))
    m = monitored("microvm", ("%s -- /bin/sigterm %s" % (kopts, mode)).strip(), app="hello",
                  extra=["-initrd", archive])
    return m.run([(r"^sigterm: ready \(%s\)$" % mode, "system_powerdown", {})], timeout=120)


def test_linux_program_handles_sigterm(monitored, tmp_path):
    m = linux_stop(monitored, tmp_path, "handler")
    # The handler saw SIGTERM with si_code SI_KERNEL; its exit status is the machine's.
    assert "sigterm: got signal 15, si_code 0x80" in m.output, m.log
    assert m.number(r"^stop: the program exited with status (\d+) at \d+ ms$") == 42
    assert m.number(r"^kestrel: power off, status (\d+)$") == 42
    assert kq.app_status(m.qemu_rc) == 42, m.log


def test_linux_program_default_sigterm_ends_it(monitored, tmp_path):
    m = linux_stop(monitored, tmp_path, "default")
    assert "app: killed by SIGTERM" in m.output, m.log
    assert m.number(r"^kestrel: power off, status (\d+)$") == 128 + 15
    assert "did not exit within" not in m.output, m.log


def test_linux_program_ignoring_sigterm_is_ended_after_timeout(monitored, tmp_path):
    m = linux_stop(monitored, tmp_path, "ignore", "--stop-timeout=2")
    requested = m.number(r"^stop: power-off requested by .* at (\d+) ms$")
    off = m.number(r"^stop: powering off at (\d+) ms, status 123$")
    assert "stop: the program did not exit within 2 s" in m.output, m.log
    assert 2000 <= off - requested < 2500, m.log
