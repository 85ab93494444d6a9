"""Debian's Python 3 with its standard library on Kestrel (issue 21,
docs/linux-abi.md "Python"): /usr/bin/python3.11 booted the way
scripts/run --exec boots it, with the tree scripts/python_tree.py builds
(the host's /usr/lib/python3.11, pruned, and the libraries its extension
modules link to) as the guest's ramfs.

- CPython's own test suite (Debian's libpython3.11-testsuite):
  `python3 -m test test_math test_json`, test_json's test_tool left out (it
  runs `python -m json.tool` in a child process: Kestrel runs one process).
  The regrtest summary is checked, and that each module is reported OK.
- CPython's `test_socket`, its classes over socketpair, AF_UNIX names
  (SCM_RIGHTS included), TCP and UDP over loopback, time-outs and
  non-blocking sockets, and the module's general tests but five that need
  /etc/services, netlink or interface names: 217 tests, as on the host.
- CPython's `test_threading` but its 25 tests that start a child
  process (os.fork, or a subprocess running python): 169 tests, as on
  the host.
- `python3 -m http.server` serving a tree: files fetched byte for byte from
  the host through QEMU's hostfwd (one of 1 MiB, several at once), a 404,
  and the server's own log lines for them; also from a scripts/mkimage
  --exec image booted under OVMF (tests/boot/image_guest.py); and under
  hostile clients, with the guest's free memory back afterwards."""

import os
import re
import subprocess
import sys
import urllib.request

import pytest

from conftest import ROOT, app_kernel, kq
from http_served import check_served
from image_guest import boot_from_image
from test_linux_apps import hostile_round, memfree_at, memory_comes_back, qmp_command
from test_linux_sockets import SERVER_PRESETS, Guest, free_port

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import kestrel_initrd as ki  # noqa: E402
import python_tree  # noqa: E402

PYTHON = "/usr/bin/python3.11"
GUEST_IP = "--ip=eth0,10.0.2.15,255.255.255.0"
TESTS = ["test_math", "test_json"]
# unittest's "Ran N tests" for each module on the host (Debian 12's 3.11.2;
# test_json without test_tool): the guest must run as many.
RAN = {"test_math": 74, "test_json": 153}


def need_python(tests=()):
    if not os.path.exists(PYTHON):
        pytest.fail("%s is missing: run scripts/deps" % PYTHON)
    for t in tests:
        if not os.path.exists(os.path.join(python_tree.LIB, "test", t + ".py")) and \
                not os.path.isdir(os.path.join(python_tree.LIB, "test", t)):
            pytest.fail("%s is missing: run scripts/deps (libpython3.11-testsuite)" % t)


@pytest.fixture(scope="module", autouse=True)
def kernel():
    subprocess.run(["make", "-s", "-C", ROOT, "kernel"], check=True)


def boot(tmp_path, args, files, nics=(), preset="microvm"):
    archive = ki.write_initrd(str(tmp_path / "initrd.cpio"), PYTHON, str(files))
    cmdline = ki.exec_cmdline([GUEST_IP] if nics else [], PYTHON, args)
    cmd = kq.qemu_command(preset, app_kernel("hello"), cmdline, memory="384M", nics=list(nics),
                          extra=["-initrd", archive])
    return Guest(cmd)


def stop(g):
    if g.proc.poll() is None:
        g.proc.kill()
    g.close()


def missing_calls(out):
    """System calls the kernel said it lacks, but rseq (glibc carries on without)."""
    return set(re.findall(r"system call (\w+) \(\d+\) is not implemented", out)) - {"rseq"}


def test_python_regrtest(tmp_path):
    need_python(TESTS)
    files = python_tree.build(str(tmp_path / "root"), TESTS)
    g = boot(tmp_path, ["-m", "test", "-v", "-i", "test_tool"] + TESTS, files)
    try:
        g.wait_line(r"kestrel: power off", timeout=600)  # minutes on a loaded host
    finally:
        stop(g)
    out = g.output()
    # regrtest's own verdict, and each module named in its progress lines
    # without a "failed" (a module that fails is listed under "N tests failed").
    assert "== Tests result: SUCCESS ==" in out, out
    assert "All %d tests OK." % len(TESTS) in out, out
    for i, t in enumerate(TESTS):
        assert re.search(r"\[%d/%d\] %s\b" % (i + 1, len(TESTS), t), out), out
        assert "test %s failed" % t not in out, out
    # -v: unittest's own count and verdict per module, in TESTS' order.
    ran = [int(n) for n in re.findall(r"^Ran (\d+) tests? in ", out, re.M)]
    assert ran == [RAN[t] for t in TESTS], (ran, out[-3000:])
    verdicts = re.findall(r"^(OK|FAILED)\b.*$", out, re.M)
    assert verdicts == ["OK"] * len(TESTS), verdicts
    assert not re.search(r"^(FAIL|ERROR): ", out, re.M), out
    assert not missing_calls(out), out
    assert "kestrel: power off, status 0" in out, out


# test_socket's classes Kestrel runs (each whole), and the five general
# tests it does not: getservbyname (no /etc/services in the tree), the
# interface name calls (no netlink) and testGetaddrinfo (an IPv6 scope
# by interface name). docs/linux-abi.md "Python" says what the rest of
# test_socket does.
SOCKET_CLASSES = ["BasicSocketPairTest", "BasicTCPTest", "BasicUDPTest", "GeneralModuleTests",
                  "NonBlockingTCPTests", "RecvmsgSCMRightsStreamTest", "RecvmsgIntoSCMRightsStreamTest",
                  "RecvmsgUnixStreamTest", "RecvmsgIntoUnixStreamTest", "SendmsgUnixStreamTest",
                  "TestUnixDomain", "RecvmsgUDPTest", "RecvmsgIntoUDPTest", "SendmsgUDPTest",
                  "TCPTimeoutTest", "UDPTimeoutTest"]
SOCKET_LEFT_OUT = ["testGetServBy", "testGetaddrinfo", "testInterfaceNameIndex",
                   "test_getaddrinfo_ipv6_scopeid_symbolic", "test_getnameinfo_ipv6_scopeid_symbolic"]
SOCKET_RAN = 217  # "Ran N tests" on the host with the same selection (8 skipped there)


def regrtest_selection(tmp_path, test, match, ignore, ran):
    """`python3 -m test -v TEST` with -m/-i selections: regrtest's SUCCESS,
    unittest's count (ran, as the host runs the same selection) and OK, no
    FAIL or ERROR; the guest's output for more checks."""
    need_python([test])
    files = python_tree.build(str(tmp_path / "root"), [test])
    args = ["-m", "test", "-v", test]
    for c in match:
        args += ["-m", c]
    for t in ignore:
        args += ["-i", t]
    g = boot(tmp_path, args, files)
    try:
        g.wait_line(r"kestrel: power off", timeout=600)
    finally:
        stop(g)
    out = g.output()
    assert "== Tests result: SUCCESS ==" in out, out[-5000:]
    assert re.search(r"^Ran %d tests in " % ran, out, re.M), out[-3000:]
    assert re.search(r"^OK\b", out, re.M) and not re.search(r"^(FAIL|ERROR): ", out, re.M), out[-5000:]
    assert "kestrel: power off, status 0" in out, out[-2000:]
    return out


def test_python_test_socket(tmp_path):
    out = regrtest_selection(tmp_path, "test_socket", SOCKET_CLASSES, SOCKET_LEFT_OUT, SOCKET_RAN)
    # the descriptor-passing classes ran and passed, not skipped
    for c in ("RecvmsgSCMRightsStreamTest", "TestUnixDomain"):
        ok = re.findall(r"\(test\.test_socket\.%s\.\w+\) \.\.\. ok$" % c, out, re.M)
        assert len(ok) >= 5, (c, len(ok))


# test_threading's tests that fork or run a child python (script_helper,
# subprocess): ENOSYS for fork/vfork under Kestrel's one process.
THREADING_LEFT_OUT = [
    "test_1_join_on_shutdown", "test_2_join_in_forked_process", "test_3_join_in_forked_from_thread",
    "test_4_daemon_threads", "test_atexit_after_shutdown", "test_atexit_called_once", "test_atexit_output",
    "test_clear_threads_states_after_fork", "test_daemon_threads_fatal_error", "test_dummy_thread_after_fork",
    "test_finalization_shutdown", "test_finalize_running_thread", "test_finalize_with_trace",
    "test_fork_at_exit", "test_import_from_another_thread", "test_is_alive_after_fork",
    "test_join_nondaemon_on_shutdown", "test_locals_at_exit", "test_main_thread_after_fork",
    "test_main_thread_after_fork_from_nonmain_thread", "test_main_thread_during_shutdown",
    "test_print_exception", "test_print_exception_stderr_is_none_1", "test_print_exception_stderr_is_none_2",
    "test_recursion_limit"]
THREADING_RAN = 169  # "Ran N tests" on the host with the same ignores (1 skipped there)


def test_python_test_threading(tmp_path):
    out = regrtest_selection(tmp_path, "test_threading", [], THREADING_LEFT_OUT, THREADING_RAN)
    # the lock tests (lock_tests.py, run through test_threading's classes) ran, not skipped
    ok = re.findall(r"\(test\.test_threading\.(?:Lock|RLock|Condition|Semaphore|Barrier)\w*\.\w+\) \.\.\. ok$",
                    out, re.M)
    assert len(ok) >= 40, len(ok)
    assert not missing_calls(out) - {"vfork", "clone", "fork"}, out[-3000:]


HTTP_ARGS = ["-u", "-m", "http.server", "8000", "--bind", "0.0.0.0", "--directory", "/www"]


def http_tree(tmp_path):
    """The standard library and the tree http.server serves at /www, and
    the bytes each path must answer."""
    root = tmp_path / "root"
    python_tree.build(str(root))
    www = root / "www"
    (www / "sub").mkdir(parents=True)
    want = {
        "/index.html": b"<h1>Kestrel</h1>\n",
        "/big.bin": os.urandom(1024 * 1024 + 5),
        "/sub/mid.bin": os.urandom(100000),
        "/empty.bin": b"",
    }
    for name, data in want.items():
        (www / name.lstrip("/")).write_bytes(data)
    return root, want


@pytest.fixture(scope="module")
def http_root(tmp_path_factory):
    """http_tree made once for the module's http.server tests, which only
    read it: the copy and the ldd of each extension module take about 5 s
    on a loaded host."""
    need_python()
    return http_tree(tmp_path_factory.mktemp("python-http"))


def http_served(g, port, want, start_timeout):
    """Waits for http.server, checks the files it serves (and a 404) and its
    log lines for them."""
    g.wait_line(r"Serving HTTP on 0\.0\.0\.0 port 8000", timeout=start_timeout)
    url = "http://127.0.0.1:%d" % port
    check_served(url, want)
    # The server's log (stderr): one line per request, with its status.
    g.wait_line(r'"GET /big\.bin HTTP/1\.1" 200', timeout=10)
    g.wait_line(r'"GET /missing\.html HTTP/1\.1" 404', timeout=10)


@pytest.mark.parametrize("preset", SERVER_PRESETS)
def test_python_http_server(tmp_path, preset, http_root):
    root, want = http_root
    port = free_port()
    g = boot(tmp_path, HTTP_ARGS, root, nics=["user,hostfwd=tcp:127.0.0.1:%d-:8000" % port], preset=preset)
    try:
        http_served(g, port, want, 180)  # 29 MiB of stdlib in the initrd, a loaded host
    finally:
        stop(g)
    out = g.output()
    assert not missing_calls(out), out


def test_python_http_server_hostile_clients(tmp_path):
    """python3 -m http.server (its ThreadingHTTPServer: a thread a
    connection) under the hostile set of tests/boot/test_linux_apps.py's
    hostile_round: garbage, a TLS hello, an over-long path, half-sent
    requests and a client that never reads the 1 MiB file hold threads
    while the others are served byte for byte; 120 connections opened and
    dropped. Twice, and the guest's MemFree (/www/meminfo, a link to
    /proc/meminfo, served by http.server itself) is back after the second
    pass: threads' stacks, sockets and buffers given back."""
    need_python()
    root, want = http_tree(tmp_path)
    os.symlink("/proc/meminfo", root / "www" / "meminfo")
    port = free_port()
    g = boot(tmp_path, HTTP_ARGS, root, nics=["user,hostfwd=tcp:127.0.0.1:%d-:8000" % port])
    url = "http://127.0.0.1:%d" % port

    def served():
        assert urllib.request.urlopen(url + "/sub/mid.bin", timeout=30).read() == want["/sub/mid.bin"]

    def answers(out, code):
        # A line it cannot parse gets http.server's HTTP/0.9 answer: the
        # error page alone, no status line (CPython's behaviour on Linux).
        return out.startswith(b"HTTP/1.0 %d " % code) or b"Error code: %d" % code in out
    try:
        g.wait_line(r"Serving HTTP on 0\.0\.0\.0 port 8000", timeout=180)
        memory_comes_back(lambda: memfree_at(url + "/meminfo"), lambda: hostile_round(
            port, answers, served, b"GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n", b"GET /index.html HTTP/1.1\r\nHo"),
            "http.server")
    finally:
        stop(g)
    out = g.output()
    assert not missing_calls(out), out


def test_python_http_server_from_image(tmp_path, http_root):
    """python3 -m http.server from a scripts/mkimage --exec image (the
    interpreter, its standard library and /www on the image's ext4
    partition), booted by GRUB under OVMF on q35 as test_nginx_from_image
    boots nginx: the same files byte for byte; the power button's SIGTERM
    ends Python (which does not catch it) with status 143."""
    root, want = http_root
    g, port, qmp = boot_from_image(tmp_path, PYTHON, HTTP_ARGS, root, 8000)
    try:
        http_served(g, port, want, 120)
        qmp_command(qmp, "system_powerdown")
        g.wait_line(r"kestrel: power off", timeout=20)
    finally:
        stop(g)
    out = g.output()
    assert not missing_calls(out), out
    assert "kestrel: power off, status 143" in out, out
