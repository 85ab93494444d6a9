"""A cloud metadata server for one HTTP connection on stdin/stdout: QEMU's
guestfwd runs it once per connection the guest opens to 169.254.169.254:80.
usage: cloud_meta_server.py ec2|gce SCENARIO LOGFILE
SCENARIO: userdata (user-data "hello from-cloud 42"), nouserdata (404),
oversized (a 100 KiB user-data answer), silent (never answers), truncated
(user-data shorter than its Content-Length, then the connection closes),
staletoken (the token handed out is not the one GETs must carry: 401).
Each request is appended to LOGFILE as one JSON line for the test to check."""

import json
import sys
import time

TOKEN = "AQAEAkestrel-token-0123456789"
EC2_ID = "i-0123456789abcdef0"
GCE_ID = "4520031799277581759"
USER_DATA = b"hello from-cloud 42"


def read_head(f):
    data = b""
    while b"\r\n\r\n" not in data:
        c = f.read(1)
        if not c:
            return None
        data += c
        if len(data) > 8192:
            return None
    lines = data.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return method, path, headers


def answer(status, body=b""):
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
              405: "Method Not Allowed"}[status]
    return b"HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (
        status, reason.encode(), len(body)) + body


def user_data(scenario):
    if scenario == "nouserdata":
        return answer(404)
    if scenario == "oversized":
        return answer(200, b"x" * (100 * 1024))
    if scenario == "truncated":
        return answer(200, USER_DATA)[:-5]
    return answer(200, USER_DATA)


def ec2(method, path, h, scenario):
    if method == "PUT" and path == "/latest/api/token":
        if h.get("x-aws-ec2-metadata-token-ttl-seconds") != "21600":
            return answer(400)
        return answer(200, (TOKEN + "-stale" if scenario == "staletoken" else TOKEN).encode())
    if method != "GET":
        return answer(405)
    if h.get("x-aws-ec2-metadata-token") != TOKEN:
        return answer(401)
    if path == "/latest/meta-data/instance-id":
        return answer(200, EC2_ID.encode())
    if path == "/latest/user-data":
        return user_data(scenario)
    return answer(404)


def gce(method, path, h, scenario):
    if h.get("metadata-flavor") != "Google":
        return answer(403)
    if method != "GET":
        return answer(405)
    if path == "/computeMetadata/v1/instance/id":
        return answer(200, GCE_ID.encode())
    if path == "/computeMetadata/v1/instance/attributes/user-data":
        return user_data(scenario)
    return answer(404)


def main():
    dialect, scenario, log = sys.argv[1:4]
    fin, fout = sys.stdin.buffer, sys.stdout.buffer
    req = read_head(fin)
    if req is None:
        return
    method, path, headers = req
    if scenario == "silent":
        out = None
    else:
        out = (ec2 if dialect == "ec2" else gce)(method, path, headers, scenario)
    with open(log, "a") as f:
        f.write(json.dumps({"method": method, "path": path, "headers": headers,
                            "status": int(out.split(b" ")[1]) if out else None}) + "\n")
    if out is None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and fin.read(1):
            pass  # until the guest gives up and closes
        return
    fout.write(out)
    fout.flush()


if __name__ == "__main__":
    main()
