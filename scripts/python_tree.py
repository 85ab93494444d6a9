#!/usr/bin/env python3
"""Builds a --files tree for Debian's /usr/bin/python3.11 on Kestrel (issue 21):
the host's standard library (/usr/lib/python3.11) pruned to what a server or
a test run uses, the libraries its extension modules (lib-dynload) link to,
and, on request, a few modules of CPython's own test suite (Debian's
libpython3.11-testsuite).

    scripts/python_tree.py DIR [--test test_math --test test_json ...]
    scripts/run --files DIR --exec /usr/bin/python3.11 -- -m test test_math

Left out: the test package (but what --test names and the regrtest driver),
the GUI and 2to3 packages, the build configuration (config-3.11-*, 25 MiB),
site-packages, and the optimised (.opt-1/.opt-2) byte code. The plain
.cpython-311.pyc files stay: compiling every module again under TCG costs
far more than their few MiB of ramfs."""

import argparse
import glob
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kestrel_initrd as ki  # noqa: E402

LIB = "/usr/lib/python3.11"
SKIP_DIRS = {"test", "idlelib", "tkinter", "turtledemo", "lib2to3", "ensurepip", "pydoc_data",
             "site-packages", "dist-packages", "venv", "distutils"}
# Packages' own tests (unittest/test, ctypes/test, ...).
SKIP_ANYWHERE = {"test", "tests", "idle_test"}
# Extension modules left out with the large libraries they pull in (OpenSSL,
# Kerberos, Berkeley DB, SQLite, ncurses): hashlib falls back to the built-in
# _sha2/_md5 modules without _hashlib.
SKIP_EXTENSIONS = ("_ssl", "_hashlib", "_dbm", "_gdbm", "_curses", "_curses_panel", "readline", "_sqlite3",
                   "nis", "_tkinter", "_ctypes_test")
# What `python3 -m test` itself imports from the test package.
TEST_DRIVER = ["__init__.py", "__main__.py", "regrtest.py", "libregrtest", "support"]


def _ignore(path, names):
    out = set()
    top = os.path.realpath(path) == os.path.realpath(LIB)
    for n in names:
        if top and (n in SKIP_DIRS or n.startswith("config-")) or n in SKIP_ANYWHERE:
            out.add(n)
        elif n.endswith(".so") and n.split(".")[0] in SKIP_EXTENSIONS:
            out.add(n)
        elif n.endswith(".pyc") and (".opt-" in n or "cpython-311" not in n):
            out.add(n)
    return out


def _copy(src, dest):
    if os.path.isdir(src):
        shutil.copytree(src, dest, ignore=_ignore, dirs_exist_ok=True)
    else:
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy(src, dest)


# Helper modules of the test package some test modules import.
HELPERS = {"test_threading": ["lock_tests.py"], "test_socket": ["mock_socket.py"]}


def test_files(name):
    """The files of one CPython test module: test_x.py or the package test_x/,
    its byte code, and the data files named like it (math_testcases.txt)."""
    test = os.path.join(LIB, "test")
    found = [p for p in (os.path.join(test, name + ".py"), os.path.join(test, name)) if os.path.exists(p)]
    if not found:
        raise SystemExit("python_tree: no %s in %s (is libpython3.11-testsuite installed?)" % (name, test))
    found += [os.path.join(test, h) for h in HELPERS.get(name, [])]
    found += glob.glob(os.path.join(test, "__pycache__", name + ".cpython-311.pyc"))
    stem = name[len("test_"):]
    found += [p for p in glob.glob(os.path.join(test, "*.txt")) if stem in os.path.basename(p)]
    return found


def build(dest, tests=()):
    lib = os.path.join(dest, LIB.lstrip("/"))
    _copy(LIB, lib)
    if tests:
        for n in TEST_DRIVER:
            _copy(os.path.join(LIB, "test", n), os.path.join(lib, "test", n))
        for p in glob.glob(os.path.join(LIB, "test", "__pycache__", "*.cpython-311.pyc")):
            if os.path.basename(p).split(".")[0] in ("__init__", "__main__", "regrtest"):
                _copy(p, os.path.join(lib, "test", "__pycache__", os.path.basename(p)))
        for t in tests:
            for p in test_files(t):
                _copy(p, os.path.join(lib, os.path.relpath(p, LIB)))
        # A few tests open these data files whatever module runs (ieee754.txt by test_math's doctests).
        for extra in ("ieee754.txt",):
            if os.path.exists(os.path.join(LIB, "test", extra)):
                _copy(os.path.join(LIB, "test", extra), os.path.join(lib, "test", extra))
    # The extension modules' own libraries (libffi, libssl, liblzma, ...):
    # ldd of the program names only the interpreter's.
    for so in sorted(glob.glob(os.path.join(lib, "lib-dynload", "*.so"))):
        r = subprocess.run(["ldd", so], capture_output=True, text=True, env=dict(os.environ, LC_ALL="C"))
        for path in ki.parse_ldd(r.stdout) if r.returncode == 0 else []:
            target = os.path.join(dest, path.lstrip("/"))
            if not os.path.exists(target):
                _copy(os.path.realpath(path), target)
    os.makedirs(os.path.join(dest, "tmp"), exist_ok=True)
    return dest


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dest", help="directory to fill (the guest's /)")
    ap.add_argument("--test", action="append", default=[], help="a CPython test module to include (repeatable)")
    a = ap.parse_args()
    build(a.dest, a.test)


if __name__ == "__main__":
    main()
