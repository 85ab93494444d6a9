"""Servers from Debian run unmodified on Kestrel (issue 21,
docs/linux-abi.md "Servers from Debian"): the host's own dynamically linked
/usr/sbin/nginx (nginx-light) and /usr/bin/redis-server, booted the way
scripts/run --exec boots them (the binary, what ldd reports, a tree of
files), reached from the host through QEMU's hostfwd.

- nginx with tests/apps/nginx.conf (one process in the foreground, logs on
  stderr): files fetched byte for byte, one of 1.5 MiB (sendfile), several
  at once, a 404 for a missing one and its error log line; the power button
  (QMP system_powerdown) reaches it as SIGTERM and it exits with status 0.
- redis-server without persistence: 10,000 SETs and GETs pipelined (values
  checked), INCR/INCRBY, DEL, DBSIZE through redis-py (python3-redis), its
  software watchdog on (setitimer, linux/itimer.c), then SHUTDOWN NOSAVE
  ends it with status 0. Neither reports a system call the kernel lacks.
- Each under hostile clients (garbage, half-sent requests, a client that
  never reads a large answer, 120 connections dropped): the others are
  still served, and afterwards answers are right and what the clients held
  is given back (nginx: the guest's MemFree from /proc/meminfo, which
  tests/apps/nginx.conf serves at /meminfo; Redis: INFO used_memory)."""

import json
import os
import re
import shutil
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import ROOT, app_kernel, kq
from http_served import check_served
from image_guest import boot_from_image
from test_linux_sockets import SERVER_PRESETS, Guest, free_port, go_program

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import kestrel_initrd as ki  # noqa: E402

NGINX, REDIS = "/usr/sbin/nginx", "/usr/bin/redis-server"
# The guest memory the plain tests give each server, what they are proven
# to run in (issue 21's budgets: Redis <= 64 MiB, nginx <= 32 MiB, both met;
# nginx's 9.5 MB of binary and libraries are mapped from the initrd's own
# frames, not copied; docs/linux-abi.md).
REDIS_MEMORY, NGINX_MEMORY = "64M", "32M"
GUEST_IP = "--ip=eth0,10.0.2.15,255.255.255.0"


def need(path):
    if not os.path.exists(path):
        pytest.fail("%s is missing: run scripts/deps" % path)


# Where the servers are proven: the default preset, q35, and the VMware
# (pvscsi, vmxnet3) and VirtualBox (AHCI, e1000) dresses; from an image
# under OVMF below (test_nginx_from_image, test_redis_from_image; Python's
# and Go's in test_linux_python.py and test_linux_sockets.py).


def boot(tmp_path, program, args, files, port, guest_port, qmp=None, preset="microvm", memory="256M"):
    archive = str(tmp_path / "initrd.cpio")
    ki.write_initrd(archive, program, str(files))
    cmdline = ki.exec_cmdline([GUEST_IP], program, args)
    extra = ["-initrd", archive]
    if qmp:
        extra += ["-qmp", "unix:%s,server=on,wait=off" % qmp]
    cmd = kq.qemu_command(preset, app_kernel("hello"), cmdline, memory=memory,
                          nics=["user,hostfwd=tcp:127.0.0.1:%d-:%d" % (port, guest_port)], extra=extra)
    return Guest(cmd)


def qmp_command(path, command):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile("rwb")
    f.readline()  # greeting
    for c in ("qmp_capabilities", command):
        f.write(json.dumps({"execute": c}).encode() + b"\n")
        f.flush()
        while True:
            line = f.readline()
            if not line:  # the guest may power QEMU off before the reply
                return
            reply = json.loads(line)
            if "return" in reply or "error" in reply:
                assert "error" not in reply, reply
                break
    s.close()


def missing_calls(out):
    """The system calls the kernel said it lacks, but rseq: glibc registers
    with it and carries on without (its ENOSYS is expected)."""
    return set(re.findall(r"system call (\w+) \(\d+\) is not implemented", out)) - {"rseq"}


def stop(g):
    """Ends QEMU if the guest has not (so Guest.close does not wait)."""
    if g.proc.poll() is None:
        g.proc.kill()
    g.close()


def nginx_tree(tmp_path):
    """The tree nginx serves (tests/apps/nginx.conf) and the bytes each
    path must answer."""
    files = tmp_path / "root"
    www = files / "www"
    (www / "sub").mkdir(parents=True)
    (files / "tmp").mkdir()
    (files / "etc" / "nginx").mkdir(parents=True)
    shutil.copy(os.path.join(ROOT, "tests", "apps", "nginx.conf"), files / "etc" / "nginx" / "kestrel.conf")
    want = {
        "/index.html": b"<h1>Kestrel</h1>\n",
        "/big.bin": os.urandom(1536 * 1024 + 17),
        "/sub/mid.bin": os.urandom(200000),
        "/empty.bin": b"",
    }
    for name, data in want.items():
        (www / name.lstrip("/")).write_bytes(data)
    return files, want


NGINX_ARGS = ["-c", "/etc/nginx/kestrel.conf", "-p", "/tmp/"]


@pytest.mark.parametrize("preset", SERVER_PRESETS)
def test_nginx(tmp_path, preset):
    need(NGINX)
    files, want = nginx_tree(tmp_path)
    port = free_port()
    qmp = str(tmp_path / "qmp.sock")
    g = boot(tmp_path, NGINX, NGINX_ARGS, files, port, 8080, qmp, preset=preset, memory=NGINX_MEMORY)

    def meminfo(url):
        m = re.search(rb"MemFree:\s+(\d+) kB", urllib.request.urlopen(url + "/meminfo", timeout=10).read())
        print("nginx %s: MemFree %s kB of %s" % (preset, m and m.group(1).decode(), NGINX_MEMORY))
        g.wait_line(r'open\(\) "/www/missing.html" failed \(2: No such file or directory\)', timeout=10)
    nginx_serves_then_stops(g, port, qmp, want, 25, meminfo)


def nginx_serves_then_stops(g, port, qmp, want, start_timeout, more=None):
    """Waits for nginx's start, checks the files it serves (and a 404),
    runs more(url), presses the power button: nginx must take it as
    SIGTERM and the guest end with status 0, no system call missing."""
    try:
        g.wait_line(r"using the \"epoll\" event method", timeout=start_timeout)
        url = "http://127.0.0.1:%d" % port
        assert b"404 Not Found" in check_served(url, want)
        if more:
            more(url)
        qmp_command(qmp, "system_powerdown")
        g.wait_line(r"kestrel: power off", timeout=20)
    finally:
        stop(g)
    out = g.output()
    assert "signal 15 (SIGTERM) received" in out, out
    assert not missing_calls(out), out
    assert "kestrel: power off, status 0" in out, out


def test_nginx_from_image(tmp_path):
    """scripts/mkimage --exec nginx: the binary, what ldd reports and the
    served tree on the image's ext4 partition, a qcow2 disk booted by GRUB
    under OVMF on q35; the files served byte for byte, the power button
    stops it."""
    need(NGINX)
    files, want = nginx_tree(tmp_path)
    g, port, qmp = boot_from_image(tmp_path, NGINX, NGINX_ARGS, files, 8080, size="64M")
    nginx_serves_then_stops(g, port, qmp, want, 120)


REDIS_ARGS = ["--port", "6379", "--daemonize", "no", "--save", "", "--appendonly", "no", "--protected-mode", "no",
              "--dir", "/tmp"]


def redis_value(i):
    return ("v%d-" % i).encode() + bytes((i * 31 + j) & 0xff for j in range(i % 97))


def redis_set_get(r, n):
    """n SETs then n GETs pipelined through redis-py (binary values of 0 to
    96 bytes): every value must come back, and DBSIZE count them."""
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.set("key:%d" % i, redis_value(i))
    assert p.execute() == [True] * n
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.get("key:%d" % i)
    values = p.execute()
    bad = [i for i in range(n) if values[i] != redis_value(i)]
    assert not bad, "%d values differ, first key:%d = %r" % (len(bad), bad[0], values[bad[0]])
    assert r.dbsize() == n


def redis_shutdown(redis, g, r):
    """SHUTDOWN NOSAVE, then the guest's power off (redis_stopped_cleanly
    checks how it ended)."""
    try:
        r.shutdown(nosave=True)
    except redis.exceptions.ConnectionError:
        pass  # the server closes the connection as it exits
    g.wait_line(r"kestrel: power off", timeout=20)


def redis_stopped_cleanly(out):
    """Redis logged the shutdown and exited with status 0, its watchdog
    quiet and no system call reported missing."""
    assert "User requested shutdown" in out, out
    assert not missing_calls(out), out
    assert "WATCHDOG TIMER EXPIRED" not in out, out
    assert "kestrel: power off, status 0" in out, out


@pytest.mark.parametrize("preset", SERVER_PRESETS)
def test_redis(tmp_path, preset):
    need(REDIS)
    redis = pytest.importorskip("redis")
    files = tmp_path / "root"
    (files / "tmp").mkdir(parents=True)
    port = free_port()
    g = boot(tmp_path, REDIS, REDIS_ARGS, files, port, 6379, preset=preset, memory=REDIS_MEMORY)
    try:
        g.wait_line(r"Ready to accept connections", timeout=25)
        r = redis.Redis(port=port, socket_timeout=30)
        assert r.ping()
        # The software watchdog re-arms setitimer(ITIMER_REAL) from every
        # serverCron; 5 s is far longer than any command here takes.
        assert r.config_set("watchdog-period", 5000)
        n = 10000
        redis_set_get(r, n)
        assert [r.incr("counter"), r.incr("counter"), r.incrby("counter", 40)] == [1, 2, 42]
        assert r.get("counter") == b"42"
        assert r.delete("key:1", "key:2", "no-such-key") == 2
        assert r.get("key:1") is None and r.exists("key:3") == 1
        assert r.dbsize() == n - 2 + 1
        assert r.config_set("watchdog-period", 0)
        redis_shutdown(redis, g, r)
    except Exception:
        print("GUEST OUTPUT:\n" + g.output()[-4000:])
        raise
    finally:
        stop(g)
    redis_stopped_cleanly(g.output())


def test_redis_from_image(tmp_path):
    """scripts/mkimage --exec redis-server (no persistence), booted by GRUB
    under OVMF on q35 as test_nginx_from_image boots nginx: 1000 keys SET
    and read back through redis-py, then SHUTDOWN NOSAVE gives status 0."""
    need(REDIS)
    redis = pytest.importorskip("redis")
    files = tmp_path / "root"
    (files / "tmp").mkdir(parents=True)
    g, port, _ = boot_from_image(tmp_path, REDIS, REDIS_ARGS, files, 6379, memory=REDIS_MEMORY)
    try:
        g.wait_line(r"Ready to accept connections", timeout=120)
        r = redis.Redis(port=port, socket_timeout=30)
        assert r.ping()
        redis_set_get(r, 1000)
        redis_shutdown(redis, g, r)
    except Exception:
        print("GUEST OUTPUT:\n" + g.output()[-4000:])
        raise
    finally:
        stop(g)
    redis_stopped_cleanly(g.output())


def raw_exchange(port, data, timeout=15):
    """Sends data on a fresh connection and reads until the server closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except ConnectionResetError:
        pass
    s.close()
    return out


def drop_connections(port, threads, each):
    """Opens and drops threads*each connections (every other thread with a
    reset): QEMU's hostfwd listens with a backlog of 1, so they go from
    several threads, not one after another."""
    errors = []

    def run(reset):
        try:
            for _ in range(each):
                s = socket.socket()
                s.settimeout(30)
                s.connect(("127.0.0.1", port))
                if reset:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                s.close()
        except OSError as e:
            errors.append(e)
    ts = [threading.Thread(target=run, args=(i % 2,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors[:3]


def test_nginx_hostile_clients(tmp_path):
    """Garbage, over-long heads, slow half-sent requests and a client that
    never reads hold connections while others are served; 120 connections
    opened and dropped; afterwards files still come back byte for byte and
    the guest's MemFree (/proc/meminfo served by nginx itself) returns to
    its level before."""
    need(NGINX)
    files = tmp_path / "root"
    www = files / "www"
    www.mkdir(parents=True)
    (files / "tmp").mkdir()
    (files / "etc" / "nginx").mkdir(parents=True)
    shutil.copy(os.path.join(ROOT, "tests", "apps", "nginx.conf"), files / "etc" / "nginx" / "kestrel.conf")
    small, big = os.urandom(5000), os.urandom(4 * 1024 * 1024 + 3)
    (www / "small.bin").write_bytes(small)
    (www / "big.bin").write_bytes(big)
    port = free_port()
    g = boot(tmp_path, NGINX, ["-c", "/etc/nginx/kestrel.conf", "-p", "/tmp/"], files, port, 8080)
    t_start = time.monotonic()

    def phase(name):
        print("[%6.1f s] %s" % (time.monotonic() - t_start, name))
    url = "http://127.0.0.1:%d" % port

    def get(name):
        return urllib.request.urlopen(url + name, timeout=30).read()

    def memfree():
        m = re.search(rb"MemFree:\s+(\d+) kB", get("/meminfo"))
        assert m, "no MemFree in /proc/meminfo"
        return int(m.group(1))
    try:
        g.wait_line(r"using the \"epoll\" event method", timeout=25)
        for attempt in range(50):  # hostfwd accepts before nginx listens
            try:
                assert get("/small.bin") == small
                break
            except (ConnectionError, urllib.error.URLError):
                if attempt == 49:
                    raise
                time.sleep(0.2)
        # Warm up what nginx allocates once (its pools, the big file's
        # pages in the cache), then the level to come back to.
        assert get("/big.bin") == big
        before = memfree()
        phase("baseline MemFree %d kB" % before)

        out = raw_exchange(port, bytes(range(256)) * 4 + b"\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 400 "), out[:100]
        out = raw_exchange(port, b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + b"x" * 40000 + b"\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 400 "), out[:100]  # Request Header Or Cookie Too Large
        out = raw_exchange(port, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 414 "), out[:100]
        out = raw_exchange(port, b"GET /../../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 400 "), out[:100]
        out = raw_exchange(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(300))
        assert out == b"" or out.startswith(b"HTTP/1.1 400 "), out[:100]
        phase("error answers")

        slow = []
        for i in range(8):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET /small.bin HTTP/1.1\r\nHo")
            slow.append(s)
        stuck = socket.socket()
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.connect(("127.0.0.1", port))
        stuck.sendall(b"GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
        t0 = time.monotonic()
        assert get("/small.bin") == small
        assert time.monotonic() - t0 < 10
        phase("slow and stuck clients")

        drop_connections(port, 40, 3)
        assert get("/small.bin") == small
        phase("120 connections")

        # nginx drops the half requests (client_header_timeout 5s) and the
        # client that never reads (send_timeout 5s): nothing closed from here.
        for s in slow:
            s.settimeout(15)
            try:
                assert s.recv(100) == b"", "a half-sent request was not dropped"
            except ConnectionResetError:
                pass
            s.close()
        # nginx's send time-out for the stuck client (were it read from
        # first, nginx would finish the answer and keep the connection for
        # its keep-alive time); its close with megabytes still queued must
        # not hold up the others.
        g.wait_line(r"client timed out \(110: Connection timed out\) while sending response to client", timeout=20)
        assert get("/small.bin") == small
        stuck.settimeout(15)
        got = 0
        try:
            while True:
                b = stuck.recv(65536)
                if not b:
                    break
                got += len(b)
        except ConnectionResetError:
            pass
        stuck.close()
        assert got < len(big), "the stuck client got the whole file (%d bytes)" % got
        phase("timed out by nginx (stuck client had %d bytes)" % got)

        assert get("/big.bin") == big
        after = memfree_settled(memfree, before)
        phase("MemFree %d kB after, %d kB before" % (after, before))
        assert after >= before - 256, "MemFree %d kB after hostile clients, %d kB before" % (after, before)
    finally:
        stop(g)
    out = g.output()
    assert not missing_calls(out), out


def test_redis_hostile_clients(tmp_path):
    """Garbage and malformed RESP, a 100 MB bulk length announced and never
    sent, half-sent commands and a client that never reads a 16 MiB MGET
    reply hold connections while others are served; 120 connections opened
    and dropped. Afterwards SET/GET are still right, only our own client is
    connected and Redis's own memory (INFO used_memory) is back to its level
    before. The guest's free memory is not read here: redis-server has no
    way to show /proc/meminfo (the nginx test does)."""
    need(REDIS)
    redis = pytest.importorskip("redis")
    files = tmp_path / "root"
    (files / "tmp").mkdir(parents=True)
    port = free_port()
    g = boot(tmp_path, REDIS, REDIS_ARGS, files, port, 6379)
    t_start = time.monotonic()

    def phase(name):
        print("[%6.1f s] %s" % (time.monotonic() - t_start, name))
    try:
        g.wait_line(r"Ready to accept connections", timeout=25)
        r = redis.Redis(port=port, socket_timeout=30)
        assert r.ping()
        big = {"big:%d" % i: os.urandom(65536) for i in range(64)}
        assert r.mset(big)
        assert r.mget(list(big)) == list(big.values())
        before = int(r.info("memory")["used_memory"])
        phase("baseline used_memory %d" % before)

        out = raw_exchange(port, b"*abc\r\n")
        assert out.startswith(b"-ERR Protocol error"), out[:100]
        out = raw_exchange(port, b"*1\r\n$99999999999\r\n")
        assert out.startswith(b"-ERR Protocol error"), out[:100]
        out = raw_exchange(port, b"*99999999999\r\n")
        assert out.startswith(b"-ERR Protocol error"), out[:100]
        out = raw_exchange(port, b"*1\r\nx\r\n")
        assert out.startswith(b"-ERR Protocol error"), out[:100]
        s = socket.create_connection(("127.0.0.1", port), timeout=15)
        junk = bytes(b for b in range(1, 256) if b not in b"\r\n\"'")  # quotes would be a protocol error
        s.sendall(junk + b"\r\nPING\r\n")
        assert s.recv(4096).startswith(b"-ERR unknown command"), "garbage inline command"
        s.close()
        # A bulk of 100 MB announced (Redis reserves room for a big
        # argument), a few bytes of it sent, then the client goes.
        s = socket.create_connection(("127.0.0.1", port), timeout=15)
        s.sendall(b"*3\r\n$3\r\nSET\r\n$4\r\nhuge\r\n$100000000\r\n" + b"x" * 1000)
        assert r.ping()
        s.close()
        assert r.get("huge") is None
        phase("protocol errors")

        slow = []
        for i in range(8):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"*3\r\n$3\r\nSET\r\n$4\r\nslow\r\n$5\r\nab")
            slow.append(s)
        stuck = socket.socket()
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.connect(("127.0.0.1", port))
        keys = list(big) * 4
        stuck.sendall(("*%d\r\n$4\r\nMGET\r\n" % (len(keys) + 1)).encode() +
                      b"".join(b"$%d\r\n%s\r\n" % (len(k), k.encode()) for k in keys))
        t0 = time.monotonic()
        assert r.set("live", b"still here") and r.get("live") == b"still here"
        assert r.get("big:7") == big["big:7"]
        assert time.monotonic() - t0 < 10
        clients = r.client_list()
        assert len(clients) == 10, clients
        deadline = time.monotonic() + 15
        while True:  # the MGET reaches Redis through hostfwd a moment later
            held = max(int(c["omem"]) for c in r.client_list())
            if held > 4 << 20 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert held > 4 << 20, "the stuck client's reply is not queued (omem %d)" % held
        phase("slow and stuck clients (%d bytes queued)" % held)

        drop_connections(port, 40, 3)
        assert r.get("big:9") == big["big:9"]
        phase("120 connections")

        for s in slow:
            s.close()
        stuck.close()
        # Redis's own tables grow a little with 130 clients met (about
        # 100 KiB here); the 16 MiB reply queued for the stuck client is
        # what must be gone.
        SLACK = 256 * 1024
        deadline = time.monotonic() + 20
        while True:
            n, after = len(r.client_list()), int(r.info("memory")["used_memory"])
            if (n == 1 and after <= before + SLACK) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        phase("%d client(s), used_memory %d (baseline %d)" % (n, after, before))
        assert n == 1, r.client_list()
        assert after <= before + SLACK, "used_memory %d after hostile clients, %d before" % (after, before)
        assert r.get("slow") is None
        p = r.pipeline(transaction=False)
        for i in range(1000):
            p.set("k%d" % i, b"%d" % (i * 7))
        assert p.execute() == [True] * 1000
        p = r.pipeline(transaction=False)
        for i in range(1000):
            p.get("k%d" % i)
        assert p.execute() == [b"%d" % (i * 7) for i in range(1000)]
        assert r.mget(list(big)) == list(big.values())
        try:
            r.shutdown(nosave=True)
        except redis.exceptions.ConnectionError:
            pass
        g.wait_line(r"kestrel: power off", timeout=20)
    finally:
        stop(g)
    out = g.output()
    assert not missing_calls(out), out
    assert "kestrel: power off, status 0" in out, out


def hostile_round(port, answers, served, stuck_request, half_request):
    """One pass of the hostile set against a server without time-outs of
    its own (net/http and http.server have none unless the program sets
    them, and these do not): garbage, a TLS hello, an over-long path, eight
    half-sent requests and a client that never reads stuck_request's answer
    hold connections while served() (a fetch checked byte for byte) is
    answered within 10 s; then 120 connections opened and dropped. Every
    socket it opened is closed when it returns. answers(out, code): whether
    the server's answer out is its error answer with that status code."""
    out = raw_exchange(port, bytes(range(256)) * 4 + b"\r\n\r\n")
    assert answers(out, 400), out[:100]
    # A TLS hello, ended by a blank line: without one the server waits for
    # the rest of its request line.
    out = raw_exchange(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(300) + b"\r\n\r\n")
    assert out == b"" or answers(out, 400), out[:100]
    out = raw_exchange(port, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert answers(out, 404), out[:100]
    held = []
    try:
        for _ in range(8):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(half_request)
            held.append(s)
        stuck = socket.socket()
        held.append(stuck)
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.connect(("127.0.0.1", port))
        stuck.sendall(stuck_request)
        t0 = time.monotonic()
        served()
        assert time.monotonic() - t0 < 10, "answered in %.1f s beside the held connections" % (time.monotonic() - t0)
        drop_connections(port, 40, 3)
        served()
    finally:
        for s in held:
            s.close()


def memfree_settled(memfree, before, slack_kb=256, wait_s=20):
    """MemFree once it is back within slack_kb of before, or after wait_s:
    what a server frees after its clients go takes a moment."""
    deadline = time.monotonic() + wait_s
    while True:
        after = memfree()
        if after >= before - slack_kb or time.monotonic() > deadline:
            return after
        time.sleep(1)


def memory_comes_back(memfree, one_pass, who, tries=3):
    """one_pass() once to bring the program to its working size, then up to
    `tries` more, each measured: one of them must end with the guest's
    MemFree back to its level before it (within 256 kB, waited for up to
    20 s). A leak costs every pass; a cache in the program (glibc's thread
    stacks and arenas, Go's heap) grows in steps, when a pass reaches a new
    high-water mark of connections at once (an http.server loop of eight
    passes lost 0.9 MB, 0.1, 0.2, 4.0, 0.2, 0, 0, 0)."""
    one_pass()
    for attempt in range(tries):
        before = memfree()
        one_pass()
        after = memfree_settled(memfree, before)
        print("%s: MemFree %d kB after pass %d, %d kB before it" % (who, after, attempt + 2, before))
        if after >= before - 256:
            return
    assert False, "%s: MemFree fell by more than 256 kB in each of %d passes" % (who, tries)


def memfree_at(url):
    """The guest's MemFree in kB, from /proc/meminfo as the server serves it."""
    m = re.search(rb"MemFree:\s+(\d+) kB", urllib.request.urlopen(url, timeout=30).read())
    assert m, "no MemFree in the guest's /proc/meminfo"
    return int(m.group(1))


def go_pattern(n):
    """What tests/linux/gohttp.go answers to GET /bytes/N."""
    return bytes((i * 7 + (i >> 9)) & 0xff for i in range(n))


def test_go_net_http_hostile_clients(tmp_path):
    """The Go net/http server (tests/linux/gohttp.go) under the httpd
    test's hostile set: garbage, a TLS hello, an over-long path, slow
    half-sent requests and a client that never reads a 4 MiB answer hold
    connections while others are served byte for byte; 120 connections
    opened and dropped. Twice: the first pass brings Go's heap to its
    working size; after the second the guest's MemFree (gohttp's /meminfo:
    /proc/meminfo after runtime/debug.FreeOSMemory) comes back to its level
    before it, so sockets, goroutines' stacks and the buffers of dropped
    connections were given back."""
    files = tmp_path / "root"
    files.mkdir()
    port = free_port()
    g = boot(tmp_path, go_program("gohttp"), [], files, port, 8080)
    url = "http://127.0.0.1:%d" % port

    def get(name):
        return urllib.request.urlopen(url + name, timeout=30).read()

    def served():
        assert get("/bytes/100000") == go_pattern(100000)
    try:
        g.wait_line(r"gohttp: listening", timeout=60)
        memory_comes_back(lambda: memfree_at(url + "/meminfo"), lambda: hostile_round(
            port, lambda out, code: out.startswith(b"HTTP/1.1 %d " % code), served, b"GET /bytes/4194304 HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET /bytes/10 HTTP/1.1\r\nHo"), "gohttp")
        assert get("/quit") == b"bye\n"
        g.wait_line(r"kestrel: power off", timeout=30)
    finally:
        stop(g)
    out = g.output()
    assert not missing_calls(out), out
    assert "kestrel: power off, status 0" in out, out
