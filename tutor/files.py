"""Reading input files and writing output files, as Unix tools do.

Reading: only regular files (a symbolic link to one is fine), opened without blocking and read
up to a size limit, so that /dev/zero, a FIFO without a writer or a huge file is refused at
once instead of filling memory or hanging.

Writing: ``-`` is standard output; a device or a FIFO is written in place (``-o /dev/stdout``,
a pipe); a symbolic link is followed to the file it names; a regular file is replaced
atomically (a temporary file beside it, then a rename), so that a failure never leaves it
half-written, and the new file keeps the mode (and, where allowed, the owner) of the file it
replaces, or gets the umask's mode when new, as a file made by ``>`` would.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

from .errors import TutorError
from .i18n import N_, _

STDOUT = "-"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return _("a directory")
    if stat.S_ISFIFO(mode):
        return _("a FIFO")
    if stat.S_ISCHR(mode):
        return _("a character device")
    if stat.S_ISBLK(mode):
        return _("a block device")
    if stat.S_ISSOCK(mode):
        return _("a socket")
    return _("not a regular file")


def _reason(e: OSError) -> str:
    """Why an operation on a file failed, in the reader's language for the usual reasons
    (the system's own words otherwise)."""
    import errno
    words = {errno.ENOENT: N_("no such file or directory"),
             errno.EACCES: N_("permission denied"),
             errno.EISDIR: N_("it is a directory"), errno.ENOTDIR: N_("not a directory"),
             errno.ENOSPC: N_("no space left on the device"),
             errno.EROFS: N_("the file system is read-only"),
             errno.EPERM: N_("the operation is not permitted")}.get(e.errno)
    return _(words) if words else str(e.strerror or e)


class FileTooLarge(TutorError):
    """A file larger than the limit it was read with."""


def read_bytes(path: str | Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them. TutorError (with the
    reason as its message, the caller adds the file) for anything else: a file that cannot be
    opened, a device, a FIFO, a directory, or a file larger than ``limit``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise TutorError(_("cannot read the file: {why}").format(why=_reason(e))) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise TutorError(_("cannot read the file: it is {kind}, not a regular file").format(
                kind=_kind(st.st_mode)))
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as e:
        raise TutorError(_("cannot read the file: {why}").format(why=_reason(e))) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise FileTooLarge(f"the file is larger than {limit:,} bytes")
    return data


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # (not thread-safe, hence only where /proc is missing)
    os.umask(mask)
    return mask


def write_file(path: str | Path, data) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` as described in the module docstring.
    ``data`` may also be an iterable of text pieces (a document written as it is made): a
    regular file is still replaced only once they all are written, and a device or FIFO is
    given nothing until they are all made (a failure half-way writes nothing)."""
    if isinstance(data, (str, bytes)):
        blocks = [data.encode("utf-8") if isinstance(data, str) else data]
    else:
        blocks = (piece.encode("utf-8") for piece in data)
    if str(path) == STDOUT:
        payload = b"".join(blocks)
        sys.stdout.flush()
        sys.stdout.buffer.write(payload)
        sys.stdout.buffer.flush()
        return
    path = Path(path)
    # Follow symbolic links (a chain, or one to a file that does not exist yet) to the path
    # that is really written.
    target = Path(os.path.realpath(path))
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise TutorError(_("{path}: cannot write there: {why}").format(
            path=path, why=_reason(e))) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise TutorError(_("{path}: cannot write there: it is a directory").format(path=path))
    if st is not None and not stat.S_ISREG(st.st_mode):
        _write_in_place(path, target, b"".join(blocks))
    else:
        _replace(path, target, blocks, st)


def _write_in_place(path: Path, target: Path, payload: bytes) -> None:
    """A device, a FIFO or a socket: opened for writing and written, never replaced."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise TutorError(_("{path}: cannot write: {why}").format(
            path=path, why=_reason(e))) from None
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view):]
    except OSError as e:
        raise TutorError(_("{path}: cannot write: {why}").format(
            path=path, why=_reason(e))) from None
    finally:
        os.close(fd)


def _replace(path: Path, target: Path, blocks, st: os.stat_result | None) -> None:
    directory = target.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    except OSError as e:
        raise TutorError(_("{path}: cannot write there: {why}").format(
            path=path, why=_reason(e))) from None
    try:
        with os.fdopen(fd, "wb") as f:
            for block in blocks:
                f.write(block)
            f.flush()
            if st is not None:
                os.fchmod(f.fileno(), stat.S_IMODE(st.st_mode))
                try:
                    os.fchown(f.fileno(), st.st_uid, st.st_gid)
                except OSError:
                    pass  # only root may give a file away; the mode is kept all the same
            else:
                os.fchmod(f.fileno(), 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise TutorError(_("{path}: cannot write: {why}").format(
            path=path, why=_reason(e))) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
