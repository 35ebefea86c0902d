"""Files as Unix tools treat them: outputs written to devices, FIFOs and through symbolic links
in place, regular files replaced atomically with their mode kept; inputs that never end or never
open refused at once. Every special file is made here, in a temporary directory."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading

import pytest

from conftest import ROOT
from tutor.errors import TutorError
from tutor.files import read_bytes, write_file

XOR = str(ROOT / "problems" / "xor.yaml")
ANSWERS = str(ROOT / "problems" / "answers" / "xor.yaml")


def tutor(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "tutor", *args], capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def one_clean_line(r):
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    return r.stderr


def _device(tmp_path, name: str, minor: int):
    """A character device of the memory driver (major 1), made here (root only)."""
    if os.geteuid() != 0:
        pytest.skip("mknod needs root")
    path = tmp_path / name
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    return path


@pytest.fixture
def null_device(tmp_path):
    """Like /dev/null (1, 3): takes anything."""
    return _device(tmp_path, "null", 3)


@pytest.fixture
def zero_device(tmp_path):
    """Like /dev/zero (1, 5): endless input."""
    return _device(tmp_path, "zero", 5)


# -- writing --

def test_a_device_is_written_not_replaced(null_device):
    r = tutor("check", XOR, ANSWERS, "-o", str(null_device))
    assert r.returncode == 1, r.stderr     # some answers are wrong: that is all
    assert stat.S_ISCHR(os.stat(null_device).st_mode)
    for args in (["derive", XOR, "-p", "W2[1,1]"], ["train", XOR, "--epochs", "10"]):
        r = tutor(*args, "-o", str(null_device))
        assert r.returncode == 0, r.stderr
        assert stat.S_ISCHR(os.stat(null_device).st_mode)


def _fifo_read(tmp_path):
    """A FIFO made here, and a thread reading it whole: (fifo, reader, what it got)."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []

    def read():
        with open(fifo, "rb") as f:
            got.append(f.read())
    reader = threading.Thread(target=read)
    reader.start()
    return fifo, reader, got


def test_a_fifo_is_written_not_replaced(tmp_path):
    fifo, reader, got = _fifo_read(tmp_path)
    r = tutor("derive", XOR, "-p", "W2[1,1]", "-f", "json", "-o", str(fifo))
    reader.join(timeout=60)
    assert r.returncode == 0, r.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert b'"W2[1,1]"' in got[0]


def test_a_symlink_is_followed(tmp_path):
    target = tmp_path / "real.txt"
    target.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    write_file(link, "new")
    assert link.is_symlink() and target.read_text() == "new"
    # a link to a file not there yet creates the file, as > does
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(tmp_path / "later.txt")
    write_file(dangling, "made")
    assert dangling.is_symlink() and (tmp_path / "later.txt").read_text() == "made"


def test_the_mode_of_a_replaced_file_is_kept(tmp_path):
    pdf = tmp_path / "shared.txt"
    pdf.write_text("old")
    os.chmod(pdf, 0o644)
    write_file(pdf, "new")
    assert stat.S_IMODE(os.stat(pdf).st_mode) == 0o644 and pdf.read_text() == "new"
    os.chmod(pdf, 0o600)
    write_file(pdf, "newer")
    assert stat.S_IMODE(os.stat(pdf).st_mode) == 0o600


def test_a_new_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        write_file(tmp_path / "new.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.txt").st_mode) == 0o640
    # and from the command line, with the usual umask
    r = subprocess.run(["sh", "-c", f"umask 022 && {sys.executable} -m tutor train {XOR} "
                        f"--epochs 5 -o {tmp_path / 'run.txt'}"], capture_output=True)
    assert r.returncode == 0
    assert stat.S_IMODE(os.stat(tmp_path / "run.txt").st_mode) == 0o644


def test_dash_is_standard_output():
    r = tutor("derive", XOR, "-p", "W2[1,1]", "-f", "json", "-o", "-")
    assert r.returncode == 0 and '"W2[1,1]"' in r.stdout
    assert not os.path.exists("-")


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(TutorError, match="is a directory"):
        write_file(tmp_path, "x")


# -- reading --

def test_a_fifo_without_a_writer_is_refused_at_once(tmp_path):
    fifo = tmp_path / "problem.yaml"
    os.mkfifo(fifo)
    err = one_clean_line(tutor("derive", str(fifo), timeout=30))
    assert "a FIFO, not a regular file" in err and str(fifo) in err
    link = tmp_path / "link.yaml"
    link.symlink_to(fifo)
    assert "FIFO" in one_clean_line(tutor("check", XOR, str(link), timeout=30))


def test_an_endless_device_is_refused(zero_device):
    err = one_clean_line(tutor("derive", str(zero_device), timeout=30))
    assert "a character device, not a regular file" in err
    err = one_clean_line(tutor("check", XOR, str(zero_device), timeout=30))
    assert "character device" in err


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as f:
        f.truncate(10**9)          # sparse: a gigabyte of zeros on no disk
    err = one_clean_line(tutor("derive", str(big), timeout=30))
    assert "at most 1,000,000 bytes" in err
    with pytest.raises(TutorError, match="larger than 10 bytes"):
        read_bytes(big, 10)


# -- the server's problems directory --

def test_a_problems_directory_with_hostile_entries(tmp_path, zero_device):
    """A symbolic link to a secret, a FIFO, an endless device, a broken problem: the server
    starts, offers the good problems (also *.yml), and shows no word of any file's content."""
    from tutor.web.library import Library
    d = tmp_path / "problems"
    d.mkdir()
    (d / "xor.yaml").write_text((ROOT / "problems" / "xor.yaml").read_text())
    (d / "neuron.yml").write_text((ROOT / "problems" / "neuron.yaml").read_text())
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:SECRET-CONTENT:/root:/bin/bash\n")
    (d / "passwd.yaml").symlink_to(secret)
    (d / "inside.yaml").symlink_to(d / "xor.yaml")     # a link within the directory is fine
    os.mkfifo(d / "fifo.yaml")
    (d / "zero.yaml").symlink_to(zero_device)
    (d / "broken.yaml").write_text("name: SECRET-CONTENT\nnetwork: SECRET-CONTENT\n")
    library = Library.from_dir(d)
    assert sorted(e.id for e in library.entries()) == ["inside", "neuron", "xor"]
    shown = "\n".join(library.skipped)
    assert "SECRET" not in shown
    assert "passwd.yaml: a symbolic link out of the directory" in shown
    assert "fifo.yaml" in shown and "zero.yaml" in shown and "broken.yaml:1: not a usable problem" in shown
    # the server's own log has the full errors
    assert any("a FIFO" in e for e in library.errors)


def test_serve_starts_with_a_fifo_in_the_directory(tmp_path):
    pytest.importorskip("starlette")
    import socket
    import time
    import urllib.request
    d = tmp_path / "problems"
    d.mkdir()
    (d / "xor.yaml").write_text((ROOT / "problems" / "xor.yaml").read_text())
    os.mkfifo(d / "fifo.yaml")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "tutor", "serve", "--port", str(port),
                             "--problems", str(d)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/problems",
                                            timeout=5) as r:
                    assert [p["id"] for p in json.loads(r.read())["problems"]] == ["xor"]
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        proc.stderr.close()


def _pieces(fail_after=None):
    for k in range(5):
        if fail_after is not None and k == fail_after:
            raise RuntimeError("made half-way")
        yield f"piece {k} ∂ℓ\n"


def test_a_document_written_as_it_is_made_replaces_the_file_once_whole(tmp_path):
    """Pieces (a large HTML page as it is made) go to a temporary file; the file is replaced
    only when they are all written, and a failure half-way leaves it as it was."""
    path = tmp_path / "out.html"
    path.write_text("old")
    write_file(path, _pieces())
    assert path.read_text() == "".join(_pieces())
    path.write_text("old")
    with pytest.raises(RuntimeError):
        write_file(path, _pieces(fail_after=3))
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.html"]      # no temporary file left


def test_a_fifo_is_given_a_document_made_in_pieces_whole_or_not_at_all(tmp_path):
    fifo, reader, got = _fifo_read(tmp_path)
    write_file(fifo, _pieces())
    reader.join(timeout=60)
    assert got == ["".join(_pieces()).encode()]
    with pytest.raises(RuntimeError):       # never opened: no reader needed
        write_file(fifo, _pieces(fail_after=2))
