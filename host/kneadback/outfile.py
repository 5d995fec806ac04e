"""Writing a file the user named (`--out`, `--screenshot`, the calibration) the way they expect.

What the name is decides how it is written:

- `-` is standard output (binary formats go to its byte stream).
- Absent, or a regular file: a hidden `.NAME.*.part` file beside it is written, flushed to disk
  and renamed over it, so a crash or kill leaves the old file or none, never half a file; an
  existing file keeps its permission bits, a failed write leaves no `.part` behind.
- A symbolic link: the file it points at is written by the rule above; the link stays a link.
- A FIFO or a device (`/dev/null`, a terminal): written directly; a rename would put a regular
  file in its place. `/dev/stdout`, `/dev/fd/N`: written to that descriptor of this process
  (as root, a rename used to replace `/dev/stdout` itself).

Every failure is an `InputError` naming the path (one line for the user, exit 2). A reader that
goes away (`| head`) raises `BrokenPipeError`, which the command line ends quietly on.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, TextIO, cast, overload

from kneadback.errors import InputError

STDOUT = "-"
OutPath = str | os.PathLike[str]  # a file name, or STDOUT
MAX_LINKS = 40  # the kernel's own limit on symbolic links in one lookup


@overload
def open_out(path: OutPath, *, binary: Literal[False] = False, new_mode: int = 0o666) -> AbstractContextManager[TextIO]: ...
@overload
def open_out(path: OutPath, *, binary: Literal[True], new_mode: int = 0o666) -> AbstractContextManager[BinaryIO]: ...
@overload
def open_out(path: OutPath, *, binary: bool, new_mode: int = 0o666) -> AbstractContextManager[IO[Any]]: ...


@contextlib.contextmanager
def open_out(path: OutPath, *, binary: bool = False, new_mode: int = 0o666) -> Iterator[Any]:  # typed by the overloads
    """`path` open for writing, text (UTF-8, `\\n` line ends) or `binary`, placed as the module says.

    `new_mode` is for a file that does not exist yet (the umask applies, as for any new file).
    """
    name = os.fspath(path)
    if name == STDOUT:
        with _named("standard output"), _stdout(binary) as f:
            yield f
        return
    with _named(name):
        plan = _plan(name)
        if plan.fd is not None:
            sys.stdout.flush()  # fd 1 is sys.stdout's too: what was printed before comes first
            with _open(plan.fd, binary, closefd=False) as f:
                yield f
        elif plan.direct:
            with _open(plan.target, binary) as f:
                yield f
        else:
            with _replace(name, plan.target, plan.old, binary, new_mode) as f:
                yield f


def check_out(path: OutPath) -> None:
    """Raise now the `InputError` that writing `path` would raise, so a long run refuses a wrong
    name before its work."""
    name = os.fspath(path)
    if name == STDOUT:
        return
    with _named(name):
        plan = _plan(name)
        if plan.fd is not None:
            return
        where = plan.target
        if not plan.direct:
            where = plan.target.parent
            _need_folder(name, where)
        if not os.access(where, os.W_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))


def is_stdout(path: OutPath) -> bool:
    """Whether writing `path` lands on standard output (`-`, `/dev/stdout`, the terminal it is):
    then nothing else may be printed there."""
    if os.fspath(path) == STDOUT:
        return True
    try:
        return os.path.samestat(os.stat(path), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError):  # no such file yet, or a stdout without a descriptor
        return False


def write_out(path: OutPath, data: str | bytes, *, new_mode: int = 0o666) -> None:
    """Write `data` to `path` whole (see `open_out`)."""
    with open_out(path, binary=isinstance(data, bytes), new_mode=new_mode) as f:
        f.write(data)


def _open(file: int | Path, binary: bool, *, closefd: bool = True) -> IO[Any]:
    if binary:
        return open(file, "wb", closefd=closefd)
    return open(file, "w", encoding="utf-8", newline="\n", closefd=closefd)


@contextlib.contextmanager
def _stdout(binary: bool) -> Iterator[IO[Any]]:
    """Standard output's byte stream, for text through a UTF-8 encoder that never closes it."""
    sys.stdout.flush()  # what was printed before comes first
    raw = sys.stdout.buffer
    yield raw if binary else cast(IO[str], codecs.getwriter("utf-8")(raw))
    raw.flush()


@contextlib.contextmanager
def _named(name: str) -> Iterator[None]:
    """An OSError becomes one line naming the file; a reader that went away stays a BrokenPipeError."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as e:
        raise InputError(f"{name}: cannot write: {e.strerror or e}") from None


@dataclass(frozen=True)
class _Plan:
    """How a name is written."""

    target: Path  # the file, links followed
    old: os.stat_result | None = None  # what is there now (None: nothing)
    fd: int | None = None  # the name stands for this descriptor of ours
    direct: bool = False  # a FIFO, a device, a file in /proc: written in place


def _plan(name: str) -> _Plan:
    target = _follow(Path(name))
    fd = _own_descriptor(target)
    if fd is not None:
        return _Plan(target, fd=fd)
    old = _stat(target)
    if old is not None and stat.S_ISDIR(old.st_mode):
        raise InputError(f"{name}: is a directory, not a file")
    in_proc = target.parts[:2] == ("/", "proc")
    return _Plan(target, old, direct=in_proc or (old is not None and not stat.S_ISREG(old.st_mode)))


def _follow(path: Path) -> Path:
    """The file `path` names once symbolic links are followed; a link into /proc (`/dev/stdout`,
    `/dev/fd/N`) is where the walk stops, as only opening it reaches what it stands for."""
    for _ in range(MAX_LINKS):
        path = Path(os.path.realpath(path.parent)) / path.name
        if path.parts[:2] == ("/", "proc") or not path.is_symlink():
            return path
        path = path.parent / os.readlink(path)
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP))


def _own_descriptor(path: Path) -> int | None:
    """N for `/proc/<this process>/fd/N`: writing to the descriptor itself shares its position
    (a reopen of a redirected stdout would truncate the file, or write over what was printed)."""
    if path.parent == Path(f"/proc/{os.getpid()}/fd") and path.name.isdigit():
        return int(path.name)
    return None


def _stat(path: Path) -> os.stat_result | None:
    """What is at `path`; None when nothing is (its folder is checked where it is needed)."""
    try:
        return path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None


@contextlib.contextmanager
def _replace(name: str, target: Path, old: os.stat_result | None, binary: bool, new_mode: int) -> Iterator[IO[Any]]:
    """A temporary file beside `target`, renamed over it once written and flushed to disk."""
    folder = target.parent
    _need_folder(name, folder)
    while True:
        tmp = folder / f".{target.name}.{os.urandom(4).hex()}.part"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, new_mode)
            break
        except FileExistsError:
            continue
    try:
        with _open(fd, binary) as f:
            if old is not None:
                _keep_owner_and_mode(f.fileno(), old)
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(folder)


def _need_folder(name: str, folder: Path) -> None:
    """`folder` (where `name` lands) is a directory, or one line saying what is wrong."""
    if folder.is_dir():
        return
    shown = Path(name).parent if Path(os.path.realpath(Path(name).parent)) == folder else folder
    if os.path.lexists(folder):
        raise InputError(f"{name}: {shown} is not a directory")
    raise InputError(f"{name}: the directory {shown} does not exist")


def _keep_owner_and_mode(fd: int, old: os.stat_result) -> None:
    """The new file takes the old one's permission bits, and its owner where we may set it."""
    if (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
        with contextlib.suppress(PermissionError):
            os.fchown(fd, old.st_uid, old.st_gid)
    os.fchmod(fd, stat.S_IMODE(old.st_mode))


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the system lets a folder be synced)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
