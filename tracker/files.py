"""The files beside the database: path checks, atomic copies, and OS errors told as one line.

Every write the tracker makes outside DuckDB (working copy, published copy, heartbeat, lock file)
goes through here, so a full disk or a path that cannot hold a database is reported the same way
wherever it happens, and a copy never leaves a half-written file under a name anyone reads.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path

from tracker.errors import DatabaseError, DiskFull

UNCHANGED = "the published database is unchanged"
_FULL = {errno.ENOSPC, errno.EDQUOT}
_KINDS = {stat.S_IFIFO: "named pipe", stat.S_IFCHR: "character device", stat.S_IFBLK: "block device",
          stat.S_IFSOCK: "socket"}


def write_error(exc: OSError, path: Path | str, *, doing: str = "write", outcome: str = UNCHANGED) -> DatabaseError:
    """The one-line error for a failed write: a full disk says so; the outcome tells what was kept."""
    reason = exc.strerror or type(exc).__name__
    suffix = f"; {outcome}" if outcome else ""
    if exc.errno in _FULL:
        return DiskFull(f"disk full writing {path} ({reason}){suffix}")
    return DatabaseError(f"cannot {doing} {path} ({reason}){suffix}")


def check_database_path(path: Path) -> bool:
    """Whether a usable file is at `path` (False: nothing there yet); a DatabaseError names what is wrong.

    Run before DuckDB sees the path: DuckDB would block forever on a named pipe, create a file at the
    far end of a dangling symlink, and report a directory or an over-long name as an I/O error.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if path.is_symlink():
            raise DatabaseError(f"{path} is a symbolic link to {os.readlink(path)}, which does not exist") from None
        return False
    except OSError as exc:
        raise DatabaseError(f"cannot use {path} as the database: {_path_reason(path, exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise DatabaseError(f"{path} is a directory, not a database file")
    if not stat.S_ISREG(info.st_mode):
        kind = _KINDS.get(stat.S_IFMT(info.st_mode), "special file")
        raise DatabaseError(f"{path} is a {kind}, not a database file")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise DatabaseError(f"cannot read {path}: {exc.strerror}") from None
    return True


def check_directory(path: Path) -> None:
    """Create the database's directory if needed; a DatabaseError says why it cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot create the directory {path}: {_path_reason(path, exc)}") from None
    if not path.is_dir():
        raise DatabaseError(f"cannot use {path} as the database directory: it is not a directory")


def _path_reason(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ENOTDIR:
        # name the ancestor that is a file: "/etc/passwd is not a directory", not just ENOTDIR
        for parent in path.parents:
            if parent.exists() and not parent.is_dir():
                return f"{parent} is not a directory"
    if exc.errno == errno.ENAMETOOLONG:
        longest = max(len(os.fsencode(part)) for part in path.parts)
        return f"file name too long ({longest} bytes; the file system allows {_name_max(path)})"
    return exc.strerror or type(exc).__name__


def _name_max(path: Path) -> int:
    for parent in path.parents:
        try:
            return os.pathconf(parent, "PC_NAME_MAX")
        except OSError:
            continue
    return 255


def temp_name(path: Path) -> Path:
    """The hidden name a copy is written under before its rename; the pid lets a later run clean it up."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def copy_atomic(src: Path, dst: Path, *, outcome: str = UNCHANGED) -> None:
    """Copy src to dst so that dst is the whole old file or the whole new one, even on a full disk."""
    tmp = temp_name(dst)
    try:
        shutil.copyfile(src, tmp)
        fsync(tmp)
        os.replace(tmp, dst)
    except OSError as exc:
        raise write_error(exc, tmp, outcome=outcome) from None
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(dst.parent)


def fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # the rename is done; only its durability across a power cut is left to the file system
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove(*paths: Path) -> None:
    """Delete files that must not be used again; a failure to delete is an error, never ignored."""
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise write_error(exc, path, doing="delete") from None


def check_lock_creatable(path: Path) -> None:
    """Whether the lock file could be made, leaving nothing behind: `tracker up` checks before it starts."""
    if path.exists():
        probe_lock_file(path)
        return
    try:
        # a file made and removed at once: access() says yes to root even on /proc or a read-only mount
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as exc:
        if exc.errno in _FULL:
            raise write_error(exc, path) from None
        raise DatabaseError(f"cannot create the lock file at {path}: {_path_reason(path, exc)}") from None


def probe_lock_file(path: Path) -> None:
    """Create (or open) the lock file once, so an impossible path is an error, not "another refresh is running"."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if exc.errno in _FULL:
            raise write_error(exc, path) from None
        raise DatabaseError(f"cannot create the lock file at {path}: {_path_reason(path, exc)}") from None
    os.close(fd)
