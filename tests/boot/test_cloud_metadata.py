"""Cloud metadata (--cloud-config, net/cloud_meta.c) against a metadata server
the test runs per connection through QEMU user networking: net=169.254.0.0/16
and guestfwd put tests/boot/cloud_meta_server.py at 169.254.169.254:80. The
server enforces each dialect (EC2: the IMDSv2 token, else 401; GCE: the
Metadata-Flavor header, else 403) and logs every request; the test checks that
log, the instance id the guest logged and the arguments the hello app printed."""

import json
import os
import re
import time

import pytest

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cloud_meta_server.py")
TOKEN = "AQAEAkestrel-token-0123456789"


def run(boot, tmp_path, preset, dialect, scenario, options="", timeout=90):
    log = tmp_path / "requests.jsonl"
    nic = "user,net=169.254.0.0/16,guestfwd=tcp:169.254.169.254:80-cmd:python3 %s %s %s %s" % (
        SERVER, dialect, scenario, log)
    start = time.monotonic()
    b = boot("%s--cloud-config hello keep-me" % options, app="hello", preset=preset, nics=[nic],
             timeout=timeout, expect_status=0)
    elapsed = time.monotonic() - start
    reqs = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return b, reqs, elapsed


def args_printed(b):
    return re.findall(r"^arg \d+: (.*)$", b.output, re.M)


def test_ec2_user_data_is_the_command_line(boot, tmp_path):
    b, reqs, _ = run(boot, tmp_path, "ec2", "ec2", "userdata")
    assert "cloud: ec2 instance i-0123456789abcdef0" in b.output, b.log
    assert args_printed(b) == ["from-cloud", "42"], b.log
    assert [(r["method"], r["path"], r["status"]) for r in reqs] == [
        ("PUT", "/latest/api/token", 200),
        ("GET", "/latest/meta-data/instance-id", 200),
        ("GET", "/latest/user-data", 200)], reqs
    assert reqs[0]["headers"].get("x-aws-ec2-metadata-token-ttl-seconds") == "21600"
    assert all(r["headers"].get("x-aws-ec2-metadata-token") == TOKEN for r in reqs[1:])


def test_gce_user_data_is_the_command_line(boot, tmp_path):
    b, reqs, _ = run(boot, tmp_path, "gce", "gce", "userdata")
    assert "cloud: gce instance 4520031799277581759" in b.output, b.log
    assert args_printed(b) == ["from-cloud", "42"], b.log
    assert [(r["method"], r["path"], r["status"]) for r in reqs] == [
        ("GET", "/computeMetadata/v1/instance/id", 200),
        ("GET", "/computeMetadata/v1/instance/attributes/user-data", 200)], reqs
    assert all(r["headers"].get("metadata-flavor") == "Google" for r in reqs)


def test_unknown_platform_tries_ec2_then_gce(boot, tmp_path):
    """q35 names neither cloud: EC2's token PUT is refused (403, no header),
    then the GCE dialect is spoken."""
    b, reqs, _ = run(boot, tmp_path, "q35", "gce", "userdata")
    assert [(r["method"], r["status"]) for r in reqs][0] == ("PUT", 403), reqs
    assert "cloud: gce instance 4520031799277581759" in b.output, b.log
    assert args_printed(b) == ["from-cloud", "42"], b.log


def test_missing_user_data_keeps_the_app(boot, tmp_path):
    b, reqs, _ = run(boot, tmp_path, "ec2", "ec2", "nouserdata")
    assert "cloud: ec2 instance i-0123456789abcdef0" in b.output, b.log
    assert "cloud: ec2 has no user-data (404), keeping the app" in b.output, b.log
    assert args_printed(b) == ["keep-me"], b.log
    assert reqs[-1]["status"] == 404


def test_oversized_answer_is_refused(boot, tmp_path):
    b, reqs, _ = run(boot, tmp_path, "gce", "gce", "oversized")
    assert "cloud: gce instance 4520031799277581759" in b.output, b.log
    assert re.search(r"cloud: gce GET /computeMetadata/v1/instance/attributes/user-data: "
                     r"answer too large, refused", b.output), b.log
    assert args_printed(b) == ["keep-me"], b.log


def test_silent_server_times_out(boot, tmp_path):
    b, reqs, elapsed = run(boot, tmp_path, "ec2", "ec2", "silent")
    assert "cloud: ec2 PUT /latest/api/token: no answer within 3 s" in b.output, b.log
    assert "cloud: ec2 instance" not in b.output
    assert args_printed(b) == ["keep-me"], b.log
    assert [r["method"] for r in reqs] == ["PUT"], reqs  # EC2 platform: GCE not tried
    assert elapsed < 60, elapsed


def test_without_the_option_nothing_is_fetched(boot, tmp_path):
    log = tmp_path / "requests.jsonl"
    nic = "user,net=169.254.0.0/16,guestfwd=tcp:169.254.169.254:80-cmd:python3 %s ec2 userdata %s" % (SERVER, log)
    b = boot("hello keep-me", app="hello", preset="ec2", nics=[nic], timeout=90, expect_status=0)
    assert "cloud:" not in b.output
    assert args_printed(b) == ["keep-me"]
    assert not log.exists()


def test_ec2_get_with_a_wrong_token_gets_401(boot, tmp_path):
    b, reqs, _ = run(boot, tmp_path, "ec2", "ec2", "staletoken")
    assert [(r["method"], r["status"]) for r in reqs] == [("PUT", 200), ("GET", 401)], reqs
    assert "cloud: ec2 instance id: status 401" in b.output, b.log
    assert "cloud: ec2 instance i-" not in b.output
    assert args_printed(b) == ["keep-me"], b.log


def test_truncated_answer_is_refused(boot, tmp_path):
    b, reqs, _ = run(boot, tmp_path, "ec2", "ec2", "truncated")
    assert "cloud: ec2 instance i-0123456789abcdef0" in b.output, b.log
    assert "cloud: ec2 GET /latest/user-data: truncated answer, refused" in b.output, b.log
    assert args_printed(b) == ["keep-me"], b.log
