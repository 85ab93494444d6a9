"""xenrig-tool's xenstore commands (libxenstore, linked statically as the rig
builds it) against a model of xenstored on a unix socket (XENSTORED_PATH).
The model answers as xenstored does: a watch's first event follows its reply
at once, and every write fires the watches on its path, so a client that
mixes watch events with read replies on one connection is caught (the rig's
xenstore check once timed out that way)."""
import os
import pathlib
import socket
import struct
import subprocess
import threading
import time

import pytest

HERE = pathlib.Path(__file__).parent
XS_READ, XS_WATCH, XS_WRITE, XS_WATCH_EVENT, XS_ERROR = 2, 4, 11, 15, 16


class Xenstored:
    def __init__(self, path):
        self.store, self.watches, self.lock = {}, [], threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(str(path))
        self.sock.listen(8)
        threading.Thread(target=self.accept, daemon=True).start()

    def send(self, conn, kind, req, payload):
        with self.lock:
            conn.sendall(struct.pack("<IIII", kind, req, 0, len(payload)) + payload)

    def write(self, path, value):
        self.store[path] = value
        self.fire(path)

    def fire(self, path):
        for conn, wpath, token in list(self.watches):
            if wpath == path:
                self.send(conn, XS_WATCH_EVENT, 0, path + b"\0" + token + b"\0")

    def accept(self):
        while True:
            conn, _ = self.sock.accept()
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        def take(n):
            data = b""
            while len(data) < n:
                more = conn.recv(n - len(data))
                if not more:
                    raise EOFError
                data += more
            return data
        try:
            while True:
                kind, req, _, length = struct.unpack("<IIII", take(16))
                body = take(length)
                if kind == XS_WATCH:
                    path, token = body.split(b"\0")[:2]
                    self.watches.append((conn, path, token))
                    self.send(conn, XS_WATCH, req, b"OK\0")
                    self.send(conn, XS_WATCH_EVENT, 0, path + b"\0" + token + b"\0")
                elif kind == XS_READ:
                    path = body.rstrip(b"\0")
                    if path in self.store:
                        self.send(conn, XS_READ, req, self.store[path])
                    else:
                        self.send(conn, XS_ERROR, req, b"ENOENT\0")
                elif kind == XS_WRITE:
                    path, value = body.split(b"\0", 1)
                    # Stored before the reply, as xenstored does: a client that
                    # has its OK may exit, and the test then reads the store.
                    self.store[path] = value
                    self.send(conn, XS_WRITE, req, b"OK\0")
                    self.fire(path)
                else:
                    self.send(conn, kind, req, b"OK\0")
        except (EOFError, OSError):
            pass


@pytest.fixture(scope="module")
def tool(tmp_path_factory):
    if not pathlib.Path("/usr/lib/x86_64-linux-gnu/libxenstore.a").exists():
        pytest.fail("libxen-dev is not installed (scripts/deps)")
    out = tmp_path_factory.mktemp("tool") / "xenrig-tool"
    subprocess.run(["gcc", "-static", "-O2", "-Wall", "-Werror", "-o", str(out), str(HERE / "xenrig-tool.c"),
                    "-lxenstore", "-lxentoolcore"], check=True)
    return out


@pytest.fixture
def xenstored(tmp_path):
    path = tmp_path / "socket"
    return Xenstored(path), dict(os.environ, XENSTORED_PATH=str(path))


def test_wait_sees_a_later_write(tool, xenstored):
    xs, env = xenstored
    threading.Timer(1.0, xs.write, (b"/local/domain/1/data/pong", b"xr42")).start()
    r = subprocess.run([str(tool), "xs-wait", "/local/domain/1/data/pong", "10"], env=env,
                       capture_output=True, text=True, timeout=20)
    assert (r.returncode, r.stdout) == (0, "xr42\n")


def test_wait_is_bounded(tool, xenstored):
    _, env = xenstored
    t0 = time.monotonic()
    r = subprocess.run([str(tool), "xs-wait", "/nothing", "1"], env=env, capture_output=True, timeout=20)
    assert r.returncode != 0 and r.stdout == b""
    assert time.monotonic() - t0 < 5


def test_pingpong(tool, xenstored):
    xs, env = xenstored
    guest = subprocess.Popen([str(tool), "xs-pingpong"], env=env, stdout=subprocess.PIPE, text=True)
    assert guest.stdout.readline().strip() == "KESTREL-XEN-XS-READY"
    xs.write(b"data/ping", b"tok7")
    assert guest.wait(timeout=10) == 0
    assert xs.store[b"data/pong"] == b"tok7"
