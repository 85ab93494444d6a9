"""What every bench shares: building what it needs (so that each bench works
as the first command on a fresh clone), interleaving Kestrel's and Linux's
runs, and printing medians with their spread."""

import os
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
