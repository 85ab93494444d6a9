"""scripts/bootchart: the SVG it draws is well-formed and holds every phase
the kernel printed, at the times it printed, in its lane (boot line or CPU)."""

import os
import re
import subprocess
import xml.etree.ElementTree as ET

from conftest import ROOT, app_kernel

SCRIPT = os.path.join(ROOT, "scripts", "bootchart")
SVG = "{http://www.w3.org/2000/svg}"
MARK = re.compile(r"^(?:cpu(\d+) )?([^:]+): (\d+\.\d+) ms \(\+\d+\.\d+ ms\)$")


def kernel_marks(output):
    return [(int(m.group(1) or 0), m.group(2), float(m.group(3)))
            for m in (MARK.match(line) for line in output.splitlines()) if m]


def svg_runs(path):
    root = ET.parse(path).getroot()  # raises on a malformed file
    assert root.tag == SVG + "svg"
    runs = []
    for g in root.iter(SVG + "g"):
        if g.get("class") == "run":
            phases = [(int(p.get("data-lane")), p.get("data-phase"), float(p.get("data-end-ms")))
                      for p in g.iter(SVG + "g") if p.get("class") == "phase"]
            runs.append((g.get("data-name"), float(g.get("data-total-ms")), phases))
    return runs


def test_two_saved_logs_one_picture(boot, tmp_path):
    logs = []
    for smp in (1, 2):
        b = boot("--bootchart hello", app="hello", smp=smp, expect_status=0)
        marks = kernel_marks(b.output)
        assert len(marks) >= 8, b.output
        if smp == 2:
            assert {p for lane, p, _ in marks if lane == 1} >= {"startup ipi", "ap entry", "online"}
        path = tmp_path / ("smp%d.log" % smp)
        path.write_text(b.output + "\n")
        logs.append((path, marks))
    out = tmp_path / "chart.svg"
    r = subprocess.run([SCRIPT, "-o", str(out)] + [str(p) for p, _ in logs], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    runs = svg_runs(out)
    assert [name for name, _, _ in runs] == ["smp1.log", "smp2.log"]
    for (_, marks), (_, total, phases) in zip(logs, runs):
        assert sorted(phases) == sorted(marks)  # every phase, its lane and its time
        assert total == max(t for lane, _, t in marks if lane == 0)


def test_boots_by_itself(tmp_path):
    out = tmp_path / "self.svg"
    r = subprocess.run([SCRIPT, "-o", str(out), "--smp", "2", "--kernel", app_kernel("hello")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    (name, total, phases), = svg_runs(out)
    assert "2 CPUs" in name and total > 0
    assert {"boot info", "memory", "clock", "smp", "app main"} <= {p for lane, p, _ in phases if lane == 0}
    assert {p for lane, p, _ in phases if lane == 1} == {"startup ipi", "ap entry", "online"}


def test_log_without_bootchart_is_refused(tmp_path):
    log = tmp_path / "plain.log"
    log.write_text("Hello from Kestrel\n")
    out = tmp_path / "none.svg"
    r = subprocess.run([SCRIPT, "-o", str(out), str(log)], capture_output=True, text=True)
    assert r.returncode == 1
    assert "no bootchart lines" in r.stderr
    assert not out.exists()
