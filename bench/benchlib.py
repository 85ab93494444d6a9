"""What every bench shares: building what it needs (so that each bench works
as the first command on a fresh clone), interleaving Kestrel's and Linux's
runs, and printing medians with their spread."""

import hashlib
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "build", "bench")
MIN_RUNS = 5


def prepare(*make_targets):
    """Installs the Debian packages (scripts/deps, as `make run` does) and
    builds the given make targets (quietly: make prints only what it does)."""
    subprocess.run([os.path.join(ROOT, "scripts", "deps")], check=True)
    if make_targets:
        subprocess.run(["make", "-s", "-C", ROOT] + list(make_targets), check=True)
    os.makedirs(WORK, exist_ok=True)


def check_runs(runs):
    if runs < MIN_RUNS:
        sys.exit("bench: at least %d interleaved runs are needed for a median and its spread (got %d)"
                 % (MIN_RUNS, runs))
    return runs


def interleave(runs, trials, progress=True):
    """Runs each trial once per round, round after round, so that a slow
    spell of the host hits both guests alike. trials: [(name, fn)], where fn()
    returns a dict of measures; returns {name: {measure: [values]}}."""
    out = {name: {} for name, _ in trials}
    for i in range(runs):
        for name, fn in trials:
            if progress:
                print("  run %d/%d: %s" % (i + 1, runs, name), file=sys.stderr, flush=True)
            for key, value in fn().items():
                out[name].setdefault(key, []).append(value)
    return out


def spread(values, fmt="%.1f"):
    """'median (min-max)' of a list."""
    return (fmt + " (" + fmt + "-" + fmt + ")") % (statistics.median(values), min(values), max(values))


def paired_ratios(k, l):
    """Per-round ratios k[i]/l[i]: both guests of a round saw the same host."""
    return [a / b for a, b in zip(k, l) if b]


def ratio_summary(k, l):
    """'median (min-max, N runs)' of the paired ratios, and the median itself."""
    r = paired_ratios(k, l)
    if not r:
        return "n/a", 0.0
    med = statistics.median(r)
    return "%.3g (%.3g-%.3g, %d runs)" % (med, min(r), max(r), len(r)), med


def print_row(label, k, l, fmt="%.1f", width=28):
    """One table row: Kestrel's and Linux's median (min-max), then the ratio."""
    text, _ = ratio_summary(k, l)
    print("%-*s %24s %24s   %s" % (width, label, spread(k, fmt), spread(l, fmt), text))


def print_header(width=28):
    print("%-*s %24s %24s   %s" % (width, "", "Kestrel median (min-max)", "Linux median (min-max)",
                                    "ratio kestrel/linux median (min-max)"))


# ---- quick form and instruction counts -------------------------------------
#
# --quick: one round, the smallest sizes, ratios printed but not judged; what
# `make check` runs so that a change that breaks a bench fails the gate.
# --insns: each guest runs under bench/insn (a QEMU TCG plugin, libinsn.so)
# and the bench prints guest instructions per operation instead of times.

QUICK_RUNS = 1
INSN_PLUGIN = os.path.join(ROOT, "build", "bench", "insn", "libinsn.so")
INSN_DIR = os.path.join(WORK, "insn")
MARK_START, MARK_END, MARK_START2, MARK_END2 = 1, 2, 3, 4  # include/insn_mark.h


# ---- the host's HTTP clients (bench/http, bench/apps) -----------------------

class BenchError(Exception):
    """A client's output the bench cannot read, or bytes that are not the file's."""


def wrk_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    if not m:
        raise BenchError("cannot read wrk latency %r" % text)
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def run_wrk(url, seconds, connections):
    """wrk -t2 --latency (keep-alive): requests/s, p50 and p99 in ms. Socket
    errors and non-2xx answers wrk counted are printed on stderr."""
    r = subprocess.run(["wrk", "-t2", "-c%d" % connections, "-d%ds" % seconds, "--latency", url],
                       capture_output=True, text=True)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", r.stdout)
    p50 = re.search(r"^\s+50%\s+(\S+)", r.stdout, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", r.stdout, re.M)
    if r.returncode != 0 or not (rps and p50 and p99):
        raise BenchError("cannot read wrk's output:\n" + r.stdout + r.stderr)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", r.stdout)
    if errors:
        print("  wrk %s: %s" % (url, errors.group(0)), file=sys.stderr)
    return float(rps.group(1)), wrk_ms(p50.group(1)), wrk_ms(p99.group(1))


def curl_bulk(url, size, digest, timeout=300):
    """One GET by curl, timed by curl, every byte hashed on the way: MB/s."""
    curl = subprocess.Popen(["curl", "-sS", "--max-time", str(timeout), "-o", "-", "-w",
                             "%{stderr}%{size_download} %{time_total}", url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    h = hashlib.sha256()
    for chunk in iter(lambda: curl.stdout.read(1 << 20), b""):
        h.update(chunk)
    err = curl.stderr.read().decode()
    if curl.wait() != 0:
        raise BenchError("curl %s failed: %s" % (url, err))
    got, seconds = err.split()[-2:]
    if int(got) != size or h.hexdigest() != digest:
        raise BenchError("curl %s got %s bytes (sha256 %s), want %d (%s)" % (url, got, h.hexdigest(), size, digest))
    return size / float(seconds) / 1e6


BACKLOG_PRELOAD = os.path.join(ROOT, "build", "bench", "listen-backlog.so")


def hostfwd_env():
    """The environment for a QEMU whose hostfwd port takes many connections
    at once: bench/listen-backlog.c preloaded, since libslirp listens with
    a backlog of 1 and a burst of clients trickles in over a minute."""
    subprocess.run(["make", "-s", "-C", ROOT, "backlog-preload"], check=True)
    env = dict(os.environ)
    env["LD_PRELOAD"] = " ".join(x for x in (BACKLOG_PRELOAD, env.get("LD_PRELOAD")) if x)
    return env


def add_common_args(ap, default_runs=MIN_RUNS):
    """--runs, --quick and --insns, the same for every bench."""
    ap.add_argument("--runs", type=int, default=default_runs)
    ap.add_argument("--quick", action="store_true",
                    help="one round, smallest sizes, ratios printed but not judged (make check)")
    ap.add_argument("--insns", action="store_true",
                    help="guest instructions per operation (QEMU plugin bench/insn) instead of times")


def runs_for(a):
    """The rounds a parsed command line asks for: QUICK_RUNS with --quick."""
    if getattr(a, "quick", False):
        return QUICK_RUNS
    return check_runs(a.runs)


def quick_note(a):
    return " (--quick: %d round, ratios not judged)" % QUICK_RUNS if getattr(a, "quick", False) else ""


def insn_plugin():
    """Builds bench/insn's plugin (make insn-plugin) and returns its path."""
    subprocess.run(["make", "-s", "-C", ROOT, "insn-plugin"], check=True)
    os.makedirs(INSN_DIR, exist_ok=True)
    return INSN_PLUGIN


class InsnCounter:
    """One QEMU run under the plugin. Add qemu_args() to the QEMU command;
    then count() (the host asks at a moment of its choosing, over the
    plugin's Unix socket), marks() (what the guest marked with
    include/insn_mark.h) and exit_count() (QEMU start to exit) read it."""

    _serial = 0

    def __init__(self, name, prof=None):
        """prof: a path prefix; each count() then also writes the plugin's
        profile to PREFIX.N (bench/insn/README.md, bench/insn/profile)."""
        self.prof = prof
        InsnCounter._serial += 1
        tag = "%s-%d-%d" % (name.replace(" ", "_").replace("/", "_"), os.getpid(), InsnCounter._serial)
        self.out = os.path.join(INSN_DIR, tag + ".txt")
        self.sock = os.path.join(INSN_DIR, tag + ".sock")
        for p in (self.out, self.sock):
            if os.path.exists(p):
                os.unlink(p)

    def qemu_args(self):
        prof = ",prof=%s" % self.prof if self.prof else ""
        return ["-plugin", "%s,out=%s,sock=%s%s" % (INSN_PLUGIN, self.out, self.sock, prof)]

    def count(self, timeout=10):
        """Instructions executed so far, asked over the plugin's socket."""
        import socket
        import time
        end = time.monotonic() + timeout
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(timeout)
                s.connect(self.sock)
                break
            except OSError:
                s.close()
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(64)
            if not chunk:
                break
            data += chunk
        s.close()
        parts = data.decode().split()
        if len(parts) != 2 or parts[0] != "count":
            raise RuntimeError("insn plugin answered %r" % data)
        return int(parts[1])

    def _lines(self):
        """Complete lines only: the plugin may still be writing."""
        if not os.path.exists(self.out):
            return []
        with open(self.out) as f:
            text = f.read()
        return [l.split() for l in text.split("\n")[:-1]]

    def marks(self):
        """[(id, count)] in the order the guest executed them."""
        return [(int(p[1]), int(p[2])) for p in self._lines() if len(p) == 3 and p[0] == "mark"]

    def exit_count(self):
        for p in self._lines():
            if len(p) == 2 and p[0] == "exit":
                return int(p[1])
        return None

    def between(self, start=MARK_START, end=MARK_END):
        """Instructions from the first start mark to the first end mark after it."""
        m = self.marks()
        s = next((c for i, c in m if i == start), None)
        e = next((c for i, c in m if i == end and s is not None and c >= s), None)
        if s is None or e is None:
            raise RuntimeError("insn marks %d..%d not found in %s (got %s)" % (start, end, self.out, m))
        return e - s

    def cleanup(self):
        for p in (self.out, self.sock):
            if os.path.exists(p):
                os.unlink(p)


def insn_spread(values):
    """'median (min-max, spread S%)': S is (max - min) / median."""
    med = statistics.median(values)
    s = (max(values) - min(values)) / med * 100 if med else 0.0
    return "%s (%s-%s, %.2f%%)" % (_human(med), _human(min(values)), _human(max(values)), s)


def _human(x):
    if x < 100:
        return "%.1f" % x
    return "%.0f" % x if x < 1e6 else "%.4gM" % (x / 1e6)


def print_insn_header(width=28):
    print("%-*s %32s %32s   %s" % (width, "instructions per operation", "Kestrel median (min-max, spread)",
                                    "Linux median (min-max, spread)", "ratio linux/kestrel"))


def print_insn_row(label, k, l, width=28):
    """One row of instruction counts; the ratio is Linux's over Kestrel's, so
    above 1 means Kestrel does the operation in fewer instructions (the same
    sense as the throughput ratios kestrel/linux)."""
    text, _ = ratio_summary(l, k)
    print("%-*s %32s %32s   %s" % (width, label, insn_spread(k), insn_spread(l), text))
    return text
