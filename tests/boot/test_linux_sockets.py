"""Socket system calls for Linux programs (issue 21, docs/linux-abi.md):
tests/linux/sockets.c (gcc -static) runs under Kestrel with QEMU user
networking. The harness is the other side of each exchange, so what the
kernel did is checked from outside: a TCP echo server in the guest that
the host reaches through hostfwd (several connections, one of 1 MiB, the
bytes compared both ways and the guest's hash of what it received against
the host's), a UDP echo, the guest's connect() to a server on the host,
plus what the program checks from inside (socketpair round trips, EPIPE,
EINTR, ECONNREFUSED, EADDRINUSE, EBADF, ENOTSOCK ...), and IPv6: echo over
::1, v4-mapped peers on a [::] listener, IPV6_V6ONLY, and a TCP exchange
from the guest's SLAAC address to the host across slirp (fec0::2 is the
host's ::1; QEMU 7.2's hostfwd forwards IPv4 host addresses only, so the
guest is the client)."""

import hashlib
import ipaddress
import os
import re
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import LOG_DIR, ROOT, app_kernel, kq
from test_linux_core import build, initrd

GUEST_PORT, GUEST_UDP = 5000, 5001
MASK64 = (1 << 64) - 1


def fnv(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & MASK64
    return h


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Guest:
    def __init__(self, cmd):
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
        self.lines, self.cv = [], threading.Condition()
        self.t0 = time.monotonic()
        self.stamps = []
        self.eof = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            with self.cv:
                self.lines.append(raw.decode(errors="replace").rstrip())
                self.stamps.append(time.monotonic() - self.t0)
                self.cv.notify_all()
        with self.cv:
            self.eof = True
            self.cv.notify_all()

    def wait_line(self, regex, timeout=60):
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for line in self.lines:
                    m = re.search(regex, line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                # QEMU may have exited with its last lines still unread.
                if left <= 0 or (self.proc.poll() is not None and self.eof):
                    raise AssertionError("no line matching %r in:\n%s" % (regex, self.output()))
                self.cv.wait(min(left, 0.5))

    def output(self):
        return "\n".join(self.lines)

    def close(self):
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.makedirs(LOG_DIR, exist_ok=True)
        with open(os.path.join(LOG_DIR, "linux-sockets-%d.log" % self.proc.pid), "w") as f:
            f.write("$ %s\n" % " ".join(self.cmd))
            for t, line in zip(self.stamps, self.lines):
                f.write("[%7.2f] %s\n" % (t, line))


def echo(port, data, chunk=65536):
    """Sends data to the guest's echo server (a thread, so neither side
    stalls on full windows) and returns what came back."""
    c = socket.create_connection(("127.0.0.1", port), timeout=60)

    def sender():
        for i in range(0, len(data), chunk):
            c.sendall(data[i:i + chunk])
        c.shutdown(socket.SHUT_WR)
    t = threading.Thread(target=sender)
    t.start()
    got = bytearray()
    while True:
        b = c.recv(65536)
        if not b:
            break
        got += b
    t.join()
    c.close()
    return bytes(got)


def recv_exactly(conn, n):
    got = b""
    while len(got) < n:
        b = conn.recv(n - len(got))
        if not b:
            break
        got += b
    return got


def host_server(port, done):
    """The server the guest's client connects to: reads its greeting, answers."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(4)
    srv.settimeout(120)

    def loop():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            c.settimeout(30)
            try:
                data = c.recv(1024)
                done.append(data)
                if data:
                    c.sendall(b"host got " + data)
            except OSError:
                pass
            c.close()
    threading.Thread(target=loop, daemon=True).start()
    return srv


def host_echo6(port, done):
    """An IPv6 server on the host's ::1 (slirp's fec0::2 for the guest):
    reads to the end, records what came and from where, sends it back."""
    srv = socket.socket(socket.AF_INET6)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("::1", port))
    srv.listen(2)
    srv.settimeout(120)

    def loop():
        while True:  # the guest's tries before its SLAAC address is up carry nothing
            try:
                c, peer = srv.accept()
            except OSError:
                return
            c.settimeout(30)
            data = b""
            try:
                while True:
                    b = c.recv(65536)
                    if not b:
                        break
                    data += b
                c.sendall(data)
            except OSError:
                pass
            if data:
                done.append((peer[0], data))
            c.close()
    threading.Thread(target=loop, daemon=True).start()
    return srv


# The guest's SLAAC address in slirp's fec0::/64: EUI-64 of QEMU's first
# default MAC, 52:54:00:12:34:56.
GUEST_SLAAC = ipaddress.IPv6Address("fec0::5054:ff:fe12:3456")


@pytest.mark.parametrize("flavour", ["glibc", "musl"])
def test_linux_sockets(tmp_path, flavour):
    exe = build("sockets.c", flavour, extra=["-pthread"])
    archive = initrd(tmp_path, {"/bin/sockets": exe})
    tcp, udp, hostport = free_port(), free_port(socket.SOCK_DGRAM), free_port()
    seen, seen6 = [], []
    srv = host_server(hostport, seen)
    hostport6 = free_port()
    srv6 = host_echo6(hostport6, seen6)
    payloads = [b"hello kestrel\n", bytes(range(256)) * 64, os.urandom(1 << 20)]
    nic = "user,hostfwd=tcp:127.0.0.1:%d-:%d,hostfwd=udp:127.0.0.1:%d-:%d" % (tcp, GUEST_PORT, udp, GUEST_UDP)
    # The exchange across the NIC waits for the guest's SLAAC address (4 s
    # or so after boot, beside the rest): once is enough, in the glibc run.
    cmdline = "--ip=eth0,10.0.2.15,255.255.255.0 --defaultgw=10.0.2.2 -- /bin/sockets %d %d %d %d %s" % (
        GUEST_PORT, GUEST_UDP, hostport, len(payloads), hostport6 if flavour == "glibc" else "")
    cmd = kq.qemu_command("microvm", app_kernel("hello"), cmdline, memory="128M", nics=[nic],
                          extra=["-initrd", archive])
    g = Guest(cmd)
    try:
        g.wait_line(r"sockets: listening on %d" % GUEST_PORT, timeout=60)
        for i, data in enumerate(payloads):
            back = echo(tcp, data)
            assert back == data, "connection %d: %d bytes back of %d, sha %s vs %s" % (
                i, len(back), len(data), hashlib.sha256(back).hexdigest(), hashlib.sha256(data).hexdigest())
            m = g.wait_line(r"sockets: conn %d: (\d+) bytes fnv ([0-9a-f]{16})" % i, timeout=30)
            assert int(m.group(1)) == len(data) and int(m.group(2), 16) == fnv(data), m.group(0)
        # two connections at once, served by two threads: the second is
        # answered while the first waits in its read
        a = socket.create_connection(("127.0.0.1", tcp), timeout=30)
        b = socket.create_connection(("127.0.0.1", tcp), timeout=30)
        for conn, word in ((b, b"second"), (a, b"first"), (b, b"again")):
            conn.sendall(word)
            assert recv_exactly(conn, len(word)) == word
        a.close()
        b.close()
        g.wait_line(r"sockets: concurrent done", timeout=30)
        # one more, after the others
        data = os.urandom(100000)
        assert echo(tcp, data) == data
        m = g.wait_line(r"sockets: conn %d: (\d+) bytes fnv ([0-9a-f]{16})" % len(payloads), timeout=30)
        assert int(m.group(1)) == len(data) and int(m.group(2), 16) == fnv(data), m.group(0)
        g.wait_line(r"sockets: udp ready", timeout=30)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(10)
        for i in range(3):
            d = b"datagram %d " % i + os.urandom(100 * i)
            u.sendto(d, ("127.0.0.1", udp))
            back, _ = u.recvfrom(4096)
            assert back == d
        u.close()
        g.wait_line(r"sockets: client done", timeout=60)
        g.wait_line(r"kestrel: power off", timeout=30)
    finally:
        g.close()
        srv.close()
        srv6.close()
    out = g.output()
    assert "sockets: socketpair done" in out and "sockets: errors done" in out, out
    assert "sockets: scm_rights done" in out, out  # descriptors passed over AF_UNIX
    assert "sockets: udp source done" in out, out  # glibc's getaddrinfo sorting two families
    assert "sockets: loopback done" in out and "sockets: unix names done" in out, out
    assert re.search(r"sockets: served \d+ of 200 dropped connections", out), out
    assert "sockets: readiness done" in out, out  # epoll and poll over sockets (linux/epoll.c)
    assert "sockets: host said [host got hello from the guest]" in out, out
    assert b"hello from the guest" in seen, seen
    assert "sockets: ipv6 loopback done" in out, out
    assert "sockets: timewait reuse done" in out, out  # a client port again at once (net/tcp_timewait.c)
    if flavour == "glibc":
        # across the NIC: the bytes the host got, and the guest's source address
        msg = bytes(ord("a") + i % 26 for i in range(3000))
        assert seen6 and seen6[0][1] == msg, seen6
        m = re.search(r"sockets: ipv6 host exchange from (\S+): (\d+) bytes back", out)
        assert m and ipaddress.IPv6Address(m.group(1)) == GUEST_SLAAC and int(m.group(2)) == len(msg), out
    assert "FAIL" not in out, out
    assert "sockets: 0 failures" in out and "kestrel: power off, status 0" in out, out


def test_linux_sockets_without_nic(boot, tmp_path):
    """No NIC: the stack starts with its loopback interface at the first
    socket(), so 127.0.0.1, AF_UNIX and socketpair work as on Linux."""
    exe = build("sockets.c", "glibc", extra=["-pthread"])
    archive = initrd(tmp_path, {"/bin/sockets": exe})
    b = boot("-- /bin/sockets local", app="hello", memory="128M", extra=["-initrd", archive])
    out = b.output
    assert "net: " not in out, out  # no interface was brought up at boot
    assert "sockets: loopback done" in out and "sockets: unix names done" in out, out
    assert re.search(r"sockets: served \d+ of 200 dropped connections", out), out
    assert "sockets: readiness done" in out, out
    assert "sockets: ipv6 loopback done" in out, out  # ::1 on the loopback interface alone
    assert "sockets: timewait reuse done" in out, out
    assert "FAIL" not in out and "sockets: 0 failures" in out, out
    assert "kestrel: power off, status 0" in out, out


def go_program(name):
    """build/linux/NAME (tests/linux/build, make linux-programs), built here
    alone when missing."""
    exe = os.path.join(ROOT, "build", "linux", name)
    src = os.path.join(ROOT, "tests", "linux", name + ".go")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        os.makedirs(os.path.dirname(exe), exist_ok=True)
        env = dict(os.environ, GOCACHE=os.path.join(ROOT, "build", "linux", "gocache"), GO111MODULE="off",
                   CGO_ENABLED="0", GOFLAGS="")
        subprocess.run(["go", "build", "-o", exe, src], check=True, env=env)
    return exe


# The presets the servers are proven on (tests/boot/test_linux_apps.py).
SERVER_PRESETS = ["microvm", "q35", "vmware", "virtualbox"]


@pytest.mark.parametrize("preset", SERVER_PRESETS)
def test_go_net_http(tmp_path, preset):
    """A Go net/http server (static, Debian's Go): its netpoller runs on
    epoll over our sockets. Fetches checked byte for byte, several at once,
    POST bodies hashed on both sides; /quit ends it cleanly."""
    archive = initrd(tmp_path, {"/bin/gohttp": go_program("gohttp")})
    port = free_port()
    cmd = kq.qemu_command(preset, app_kernel("hello"), "--ip=eth0,10.0.2.15,255.255.255.0 -- /bin/gohttp",
                          memory="256M", nics=["user,hostfwd=tcp:127.0.0.1:%d-:8080" % port],
                          extra=["-initrd", archive])
    g = Guest(cmd)
    try:
        g.wait_line(r"gohttp: listening", timeout=60)
        url = "http://127.0.0.1:%d" % port

        def pattern(n):
            return bytes((i * 7 + (i >> 9)) & 0xff for i in range(n))
        results, errors = {}, []

        def fetch(n):
            try:
                results[n] = urllib.request.urlopen("%s/bytes/%d" % (url, n), timeout=60).read()
            except Exception as e:  # noqa: BLE001 (reported below)
                errors.append((n, e))
        sizes = [0, 1, 1000, 65536, 300000, 1 << 20]
        threads = [threading.Thread(target=fetch, args=(n,)) for n in sizes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        for n in sizes:
            assert results[n] == pattern(n), "GET /bytes/%d: %d bytes back" % (n, len(results[n]))
        for n in (10, 200000):
            body = os.urandom(n)
            got = urllib.request.urlopen(url + "/echo", data=body, timeout=60).read().decode()
            assert got == hashlib.sha256(body).hexdigest()
        assert urllib.request.urlopen(url + "/quit", timeout=30).read() == b"bye\n"
        g.wait_line(r"kestrel: power off", timeout=30)
    finally:
        g.close()
    out = g.output()
    assert "gohttp: served %d requests" % (len(sizes) + 2) in out, out
    assert "kestrel: power off, status 0" in out, out


def test_go_net_http_from_image(tmp_path):
    """The same Go server from a scripts/mkimage --exec image, booted by
    GRUB under OVMF on q35 as test_nginx_from_image boots nginx: files of
    the image's ext4 partition (/www) served by net/http's FileServer, byte
    for byte, a 404; /quit ends it with status 0. Its data segment (at
    8 MiB, linked at 0x400000) lies over OVMF's ACPI NVS: linux/memory.c
    lends it other frames."""
    from http_served import check_served
    from image_guest import boot_from_image  # it imports this module
    files = tmp_path / "root"
    (files / "www" / "sub").mkdir(parents=True)
    want = {
        "/hello.html": b"<h1>Kestrel</h1>\n",
        "/big.bin": os.urandom(1024 * 1024 + 3),
        "/sub/mid.bin": os.urandom(100000),
        "/empty.bin": b"",
    }
    for name, data in want.items():
        (files / "www" / name.lstrip("/")).write_bytes(data)
    g, port, _ = boot_from_image(tmp_path, go_program("gohttp"), [], files, 8080)
    try:
        g.wait_line(r"gohttp: listening", timeout=120)
        url = "http://127.0.0.1:%d" % port
        assert b"404 page not found" in check_served(url + "/files", want)
        assert urllib.request.urlopen(url + "/quit", timeout=30).read() == b"bye\n"
        g.wait_line(r"kestrel: power off", timeout=30)
    finally:
        if g.proc.poll() is None:
            g.proc.kill()
        g.close()
    out = g.output()
    assert "gohttp: served 0 requests" in out, out
    assert "kestrel: power off, status 0" in out, out
