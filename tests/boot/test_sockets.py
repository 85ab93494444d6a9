"""The socket API from a client app (apps/netcheck) over lwIP on virtio-net:
getaddrinfo through a DNS server this harness runs (the guest is pointed at
it with --nameserver), a TCP echo of 256 KiB and ten UDP datagrams checked
byte for byte, poll, shutdown, and the errno values of failed calls."""

import fcntl
import socket
import socketserver
import struct
import threading
import time

import pytest

DNS_NAME = "kestrel.test"
DNS_ADDR = "10.0.2.77"


class TcpEcho(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                break
            self.request.sendall(data)


def dns_answer(query):
    """An A record for DNS_NAME, NXDOMAIN for anything else (RFC 1035 4.1)."""
    ident, _, qdcount = struct.unpack(">HHH", query[:6])
    labels, i = [], 12
    while query[i]:
        labels.append(query[i + 1:i + 1 + query[i]].decode())
        i += 1 + query[i]
    question = query[12:i + 5]
    if ".".join(labels).lower() != DNS_NAME:
        return struct.pack(">HHHHHH", ident, 0x8183, 1, 0, 0, 0) + question
    answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton(DNS_ADDR)
    return struct.pack(">HHHHHH", ident, 0x8180, 1, 1, 0, 0) + question + answer


def serve_udp(sock, fn):
    def loop():
        while True:
            try:
                data, addr = sock.recvfrom(2048)
            except OSError:
                return
            reply = fn(data)
            if reply is not None:
                sock.sendto(reply, addr)
    threading.Thread(target=loop, daemon=True).start()


@pytest.fixture
def servers():
    tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), TcpEcho)
    tcp.daemon_threads = True
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    serve_udp(udp, lambda d: d)
    # QEMU's user network maps 10.0.2.2:53 to the host's 127.0.0.1:53, a
    # port only one test on the machine can hold: another checkout's make
    # check beside this one waits its turn (a host-wide lock, bounded).
    lock = open("/tmp/kestrel-test-port53.lock", "w")
    deadline = time.monotonic() + 300
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                pytest.fail("127.0.0.1:53 held by another test run for 300 s")
            time.sleep(0.5)
    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind(("127.0.0.1", 53))
    serve_udp(dns, dns_answer)
    try:
        yield tcp.server_address[1], udp.getsockname()[1]
    finally:
        tcp.shutdown()
        udp.close()
        dns.close()
        lock.close()


def test_socket_calls(boot, servers):
    tcp_port, udp_port = servers
    b = boot("--nameserver=10.0.2.2 netcheck %d %d %s" % (tcp_port, udp_port, DNS_NAME), app="netcheck",
             preset="q35", nics=["user"], timeout=120)
    out = b.output
    assert "netcheck: %s is %s" % (DNS_NAME, DNS_ADDR) in out, out
    assert "netcheck: tcp echo 262144 of 262144 bytes, intact" in out, out
    assert "netcheck: udp echo 10 of 10" in out, out
    # A reset answering the SYN: lwIP 2.1 says ECONNRESET where Linux says ECONNREFUSED.
    assert "netcheck: connect to a closed port: -1 errno 104" in out, out
    assert "netcheck: recv on a bad descriptor: -1 errno 9" in out, out  # EBADF
    assert "netcheck: socket of an unknown type: -1 errno 22" in out, out  # EINVAL
    assert "netcheck: done" in out and b.status == 0, out
