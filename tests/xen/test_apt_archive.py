"""tests/xen/apt-archive: the rig takes its Debian archive (and the security
twin) from the machine's apt sources. Fixture /etc/apt trees in both formats,
with the traps a real one has: deb-src twins, disabled and commented entries,
[options] on one-line entries, and a suite no source carries."""
import pathlib
import subprocess

import pytest

TOOL = pathlib.Path(__file__).with_name("apt-archive")


def archive(etc, suite):
    r = subprocess.run([str(TOOL), suite, str(etc)], capture_output=True, text=True)
    return r.returncode, r.stdout.strip()


@pytest.fixture
def etc(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    return tmp_path


def test_deb822(etc):
    (etc / "sources.list.d" / "a-src.sources").write_text(
        "Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\nComponents: main\n")
    (etc / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\n# a comment inside the paragraph\nURIs: http://old.example/debian\n"
        "Suites: bookworm\nEnabled: no\n\n"
        "Types: deb deb-src\nURIs: http://archive.example/debian/\nSuites: bookworm bookworm-updates\n"
        "Components: main\n\n"
        "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n")
    assert archive(etc, "bookworm") == (0, "http://archive.example/debian")
    assert archive(etc, "bookworm-updates") == (0, "http://archive.example/debian")
    assert archive(etc, "bookworm-security") == (0, "http://security.example/debian-security")
    assert archive(etc, "trixie") == (1, "")


def test_one_line(etc):
    (etc / "sources.list").write_text(
        "# deb http://commented.example/debian bookworm main\n"
        "deb-src http://src.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://mirror.example/debian bookworm main\n"
        "deb http://mirror.example/debian-security bookworm-security main\n")
    assert archive(etc, "bookworm") == (0, "http://mirror.example/debian")
    assert archive(etc, "bookworm-security") == (0, "http://mirror.example/debian-security")


def test_nothing_configured(etc):
    assert archive(etc, "bookworm") == (1, "")
