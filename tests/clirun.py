"""Run the real `tracker` command in a child process and check what a user would see.

Used by the table-driven tests of hostile inputs: every case must end with a one-line error naming
what is wrong and a non-zero exit, or succeed; none may print a traceback or hang.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class CliResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def error_lines(self) -> list[str]:
        """The lines of stderr a person reads (log lines of the refresh excluded)."""
        return [line for line in self.stderr.splitlines() if line.strip() and " INFO " not in line
                and " WARNING " not in line and " ERROR tracker." not in line]

    def describe(self) -> str:
        return (f"tracker {' '.join(self.args)} -> exit {self.returncode} in {self.seconds:.1f} s\n"
                f"stdout: {self.stdout[-1500:]}\nstderr: {self.stderr[-3000:]}")


def run_cli(args: Sequence[str], env: Mapping[str, str] | None = None, *, timeout: float = 60.0,
            cwd: Path | None = None, stdin: str | None = None, prefix: Sequence[str] = ()) -> CliResult:
    """`tracker ARGS` with only the given TRACKER_* settings; a hang fails the test with what it printed.

    `prefix` runs the command under another one, e.g. setpriv to take root's permission override away.
    """
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    base["PYTHONPATH"] = os.pathsep.join([str(ROOT), base.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    base["COLUMNS"] = "200"
    started = time.monotonic()
    try:
        done = subprocess.run([*prefix, sys.executable, "-m", "tracker.cli", *args], env={**base, **(env or {})},
                              cwd=cwd, input=stdin, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise AssertionError(f"tracker {' '.join(args)} hung for {timeout} s\nstdout: {out[-1500:]}\n"
                             f"stderr: {err[-1500:]}") from None
    return CliResult(tuple(args), done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def assert_clean(result: CliResult) -> None:
    """No traceback anywhere in what the command printed."""
    for stream in (result.stdout, result.stderr):
        assert "Traceback (most recent call last)" not in stream, result.describe()


def assert_one_line_error(result: CliResult, *mentions: str) -> None:
    """A non-zero exit with exactly one `Error: …` line that names each of `mentions` (case-insensitive)."""
    assert_clean(result)
    assert result.returncode != 0, result.describe()
    lines = result.error_lines
    assert len(lines) == 1, result.describe()
    assert lines[0].startswith("Error: "), result.describe()
    for text in mentions:
        assert text.lower() in lines[0].lower(), f"expected {text!r} in the error\n{result.describe()}"


def assert_ok_or_one_line_error(result: CliResult) -> None:
    """Either it worked, or it said in one line why not."""
    if result.returncode == 0:
        assert_clean(result)
    else:
        assert_one_line_error(result)
