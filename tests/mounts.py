"""Real small file systems for tests: a tmpfs that fills up, a read-only one. Skips where mounting is not allowed."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def tmpfs(path: Path, options: str) -> Iterator[Path]:
    """Mount a tmpfs with `options` (e.g. size=32m) at `path` for the block; skip the test if that is not allowed."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        _umount(path)


def remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True, capture_output=True)


def _umount(path: Path) -> None:
    for _ in range(20):
        if subprocess.run(["umount", str(path)], capture_output=True).returncode == 0:
            return
        time.sleep(0.25)  # a child that was just killed may still hold a file open
    subprocess.run(["umount", "--lazy", str(path)], check=True)


def free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def leave_free(disk: Path, free: int) -> None:
    """Fill the file system with a filler file until only `free` bytes are left."""
    filler = disk / "filler"
    filler.unlink(missing_ok=True)
    fill = free_bytes(disk) - free
    with open(filler, "wb") as handle:
        if fill > 0:
            os.posix_fallocate(handle.fileno(), 0, fill)
