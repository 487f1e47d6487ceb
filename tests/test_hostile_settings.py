"""Every setting with hostile values, through the real `tracker` command in a child process.

Each case either works (exit 0, no traceback) or ends with exactly one `Error: TRACKER_X: …` line that
names the variable and what is wrong, with a non-zero exit; none prints a traceback or hangs. The
expected outcome of each case is written down, so a value that starts being accepted fails the test.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.clirun import CliResult, assert_clean, assert_one_line_error, run_cli
from tests.standin.hostile import DripServer

pytestmark = pytest.mark.slow

OK = None
EF = "expected a float"
EI = "expected an integer"
FIN = "must be a finite number"
RANGE = "must be between"

# the hostile values every number setting gets, in this order
NUMBERS = ["", "   ", "nan", "inf", "-inf", "-1", "1e308", "1e-300", "lots", "五", "1" * 5000]
NUMBER_IDS = ["empty", "whitespace", "nan", "inf", "-inf", "negative", "huge", "1e-300", "word", "cjk-numeral",
              "5000-digits"]
EXPECTED_NUMBERS: dict[str, tuple[str | None, ...]] = {
    #                          ""  "   " nan  inf  -inf  -1     1e308  1e-300 lots 五  1…1
    "TRACKER_MAX_RPM":         (OK, EF, FIN, FIN, FIN, RANGE, RANGE, RANGE, EF, EF, FIN),
    "TRACKER_RETRIES":         (OK, EI, EI, EI, EI, RANGE, EI, EI, EI, EI, EI),
    "TRACKER_BACKOFF":         (OK, EF, FIN, FIN, FIN, RANGE, RANGE, OK, EF, EF, FIN),
    "TRACKER_TIMEOUT":         (OK, EF, FIN, FIN, FIN, RANGE, RANGE, RANGE, EF, EF, FIN),
    "TRACKER_OVERLAP_DAYS":    (OK, EI, EI, EI, EI, RANGE, EI, EI, EI, EI, EI),
    "TRACKER_FULL_EVERY_DAYS": (OK, EF, FIN, FIN, FIN, RANGE, RANGE, RANGE, EF, EF, FIN),
    "TRACKER_SQL_TIMEOUT":     (OK, EF, FIN, FIN, FIN, RANGE, RANGE, RANGE, EF, EF, FIN),
    "TRACKER_RETRY_MINUTES":   (OK, EF, FIN, FIN, FIN, RANGE, RANGE, RANGE, EF, EF, FIN),
    "TRACKER_PORT":            (OK, EI, EI, EI, EI, RANGE, EI, EI, EI, EI, EI),
}

TEXT: list[tuple[str, str, str | None]] = [
    ("TRACKER_CTGOV_URL", "   ", "must not contain spaces"),
    ("TRACKER_CTGOV_URL", "http://[::1", "is not a valid URL"),
    ("TRACKER_CTGOV_URL", "http://", "must name a host"),
    ("TRACKER_CTGOV_URL", "http:///api/v2", "must name a host"),
    ("TRACKER_CTGOV_URL", "http:// clinicaltrials.gov/api/v2", "must not contain spaces"),
    ("TRACKER_CTGOV_URL", "http://clinicaltrials.gov/api v2", "must not contain spaces"),
    ("TRACKER_CTGOV_URL", "ftp://clinicaltrials.gov/api/v2", "must start with http:// or https://"),
    ("TRACKER_CTGOV_URL", "gopher://x", "must start with http:// or https://"),
    ("TRACKER_CTGOV_URL", "file:///etc/passwd", "must start with http:// or https://"),
    ("TRACKER_CTGOV_URL", "javascript:alert(1)", "must start with http:// or https://"),
    ("TRACKER_CTGOV_URL", "nan", "must start with http:// or https://"),
    ("TRACKER_CTGOV_URL", "http://x:0/api", "port must be 1-65535"),
    ("TRACKER_CTGOV_URL", "http://x:99999999999999999999/api", "is not a valid URL"),
    ("TRACKER_CTGOV_URL", "http://ünïcode.example/api", "must name a host"),
    ("TRACKER_CTGOV_URL", "http://127.0.0.1.5/api", "must name a host"),
    ("TRACKER_CTGOV_URL", "https://clinicaltrials.gov/api/v2?x=1", "without ?query"),
    ("TRACKER_CTGOV_URL", "http://" + "a" * 5000 + "/api", "must be at most 200 characters"),
    ("TRACKER_CTGOV_URL", "http://[::1]:8765/api/v2", OK),
    ("TRACKER_DUCKDB_MEMORY", "   ", "must be a size"),
    ("TRACKER_DUCKDB_MEMORY", "nan", "must be a size"),
    ("TRACKER_DUCKDB_MEMORY", "infGB", "must be a size"),
    ("TRACKER_DUCKDB_MEMORY", "-1", "must be a size"),
    ("TRACKER_DUCKDB_MEMORY", "1e-300GB", "must be a size"),
    ("TRACKER_DUCKDB_MEMORY", "0GB", "must be between 64MB"),
    ("TRACKER_DUCKDB_MEMORY", "99999999999TB", "must be between 64MB"),
    ("TRACKER_DUCKDB_MEMORY", "1" * 5000 + "GB", "must be between 64MB"),
    ("TRACKER_DUCKDB_MEMORY", "五GB", "must be a size"),
    ("TRACKER_DUCKDB_MEMORY", "1PB", "must be a size"),
    ("TRACKER_DUCKDB_MEMORY", "0%", "a share of RAM must be 1%-100%"),
    ("TRACKER_DUCKDB_MEMORY", "512MiB", OK),
    ("TRACKER_SCHEDULE", "   ", "must be a 5-field cron expression"),
    ("TRACKER_SCHEDULE", "nan", "must be a 5-field cron expression"),
    ("TRACKER_SCHEDULE", "every 99999999999999999999h", "interval must be from 1 s to 366 days"),
    ("TRACKER_SCHEDULE", "every " + "9" * 5000 + "h", "interval must be from 1 s to 366 days"),
    ("TRACKER_SCHEDULE", "every 0s", "interval must be from 1 s to 366 days"),
    ("TRACKER_SCHEDULE", "every -1h", "must be a 5-field cron expression"),
    ("TRACKER_SCHEDULE", "every inf h", "must be a 5-field cron expression"),
    ("TRACKER_SCHEDULE", "0 0 31 2 *", "never fires"),
    ("TRACKER_SCHEDULE", "* * * * * *", "must be a 5-field cron expression"),
    ("TRACKER_SCHEDULE", "61 * * * *", "not a valid cron expression"),
    ("TRACKER_SCHEDULE", "*/0 * * * *", "not a valid cron expression"),
    ("TRACKER_SCHEDULE", "*/99999999999999999999 * * * *", "not a valid cron expression"),
    ("TRACKER_SCHEDULE", "五 * * * *", "not a valid cron expression"),
    ("TRACKER_SCHEDULE", "30 14 * * 1-5", OK),
    ("TRACKER_HOST", "   ", "must be an IP address or a host name"),
    ("TRACKER_HOST", "a host", "must be an IP address or a host name"),
    ("TRACKER_HOST", "http://localhost", "must be an IP address or a host name"),
    ("TRACKER_HOST", "256.1.1.1", "must be an IP address or a host name"),
    ("TRACKER_HOST", "ünï", "must be an IP address or a host name"),
    ("TRACKER_HOST", "x" * 5000, "must be an IP address or a host name"),
    ("TRACKER_HOST", "::1", OK),
    ("TRACKER_LOG_LEVEL", "   ", "must be one of DEBUG, INFO, WARNING, ERROR"),
    ("TRACKER_LOG_LEVEL", "nan", "must be one of DEBUG, INFO, WARNING, ERROR"),
    ("TRACKER_LOG_LEVEL", "INFO\nDEBUG", "must be one of DEBUG, INFO, WARNING, ERROR"),
    ("TRACKER_LOG_LEVEL", "x" * 5000, "must be one of DEBUG, INFO, WARNING, ERROR"),
    ("TRACKER_LOG_LEVEL", "debug", OK),
    ("TRACKER_LOG_FORMAT", "   ", "must be text or json"),
    ("TRACKER_LOG_FORMAT", "yaml", "must be text or json"),
    ("TRACKER_DB", "   ", "must be a file name"),
    ("TRACKER_DB", "nan", "must be a file name"),
    ("TRACKER_DB", "/", "must be a file name"),
    ("TRACKER_DB", "x" * 300 + ".duckdb", "file name too long"),
    ("TRACKER_DB", "data/a\nb.duckdb", "must not contain control characters"),
    ("TRACKER_DB", "~nosuchuser9/t.duckdb", "cannot expand"),
    ("TRACKER_DB", "données/essai.duckdb", OK),
    ("TRACKER_RETRIES", "\u0663", OK),  # an Arabic-Indic 3 is a digit to Python, and 3 attempts are sane
    ("TRACKER_MAX_RPM", "0", OK),
    ("TRACKER_RETRIES", "0", RANGE),
    ("TRACKER_PORT", "0", RANGE),
]


def check(result: CliResult, env: str, expected: str | None) -> None:
    if expected is OK:
        assert_clean(result)
        assert result.returncode == 0, result.describe()
    else:
        assert_one_line_error(result, f"{env}: ", expected)


@pytest.mark.parametrize("env", sorted(EXPECTED_NUMBERS))
@pytest.mark.parametrize("index", range(len(NUMBERS)), ids=NUMBER_IDS)
def test_number_settings(env: str, index: int, tmp_path: Path) -> None:
    check(run_cli(["settings"], {env: NUMBERS[index]}, cwd=tmp_path), env, EXPECTED_NUMBERS[env][index])


@pytest.mark.parametrize(("env", "value", "expected"), TEXT, ids=[f"{e}={v[:40]!r}" for e, v, _ in TEXT])
def test_text_settings(env: str, value: str, expected: str | None, tmp_path: Path) -> None:
    check(run_cli(["settings"], {env: value}, cwd=tmp_path), env, expected)


def binary(tmp_path: Path) -> str:
    path = tmp_path / "binary.toml"
    path.write_bytes(os.urandom(64) + b"\xff")
    return str(path)


def sparse_20mb(tmp_path: Path) -> str:
    path = tmp_path / "huge.toml"
    with path.open("wb") as handle:
        handle.truncate(20 * 2**20)
    return str(path)


FILES: list[tuple[str, Callable[[Path], str], str | None]] = [
    ("missing", lambda tmp: str(tmp / "nope.toml"), "cannot read"),
    ("whitespace", lambda tmp: "   ", "cannot read"),
    ("directory", lambda tmp: str(tmp), "is a directory, not a TOML file"),
    ("device", lambda tmp: "/dev/zero", "is not a regular file"),
    ("unreadable", lambda tmp: "/proc/self/mem", "cannot read"),  # EIO even for root, unlike chmod 0
    ("binary", binary, "is not UTF-8 text"),
    ("20-MB", sparse_20mb, "more than the 16 MiB a TOML input may have"),
    ("under-a-file", lambda tmp: str(Path(binary(tmp)) / "scope.toml"), "cannot read"),
    ("long-name", lambda tmp: str(tmp / ("x" * 300 + ".toml")), "cannot read"),
]


@pytest.mark.parametrize("env", ["TRACKER_SCOPE", "TRACKER_CATALOGUE"])
@pytest.mark.parametrize(("kind", "make", "expected"), FILES, ids=[f[0] for f in FILES])
def test_scope_and_catalogue_files(env: str, kind: str, make: Callable[[Path], str], expected: str | None,
                                   tmp_path: Path) -> None:
    check(run_cli(["settings"], {env: make(tmp_path)}, cwd=tmp_path), env, expected)


# the inputs of findings 4 and 5 through the commands that act on them: they stop before any work
COMMANDS: list[tuple[list[str], str, str, str]] = [
    (["refresh"], "TRACKER_MAX_RPM", "1e-300", RANGE),
    (["refresh"], "TRACKER_TIMEOUT", "nan", FIN),
    (["refresh"], "TRACKER_TIMEOUT", "inf", FIN),
    (["refresh"], "TRACKER_SCHEDULE", "every 99999999999999999999h", "interval must be from 1 s"),
    (["refresh"], "TRACKER_CTGOV_URL", "http://[::1", "is not a valid URL"),
    (["refresh"], "TRACKER_CTGOV_URL", "ftp://clinicaltrials.gov/api/v2", "must start with http"),
    (["refresh"], "TRACKER_BACKOFF", "nan", FIN),
    (["refresh"], "TRACKER_BACKOFF", "inf", FIN),
    (["refresh"], "TRACKER_DUCKDB_MEMORY", "lots", "must be a size"),
    (["daemon"], "TRACKER_RETRY_MINUTES", "-1", RANGE),
    (["daemon"], "TRACKER_SCHEDULE", "every 99999999999999999999h", "interval must be from 1 s"),
    (["daemon"], "TRACKER_SCHEDULE", "0 0 31 2 *", "never fires"),
    (["sql", "select 1"], "TRACKER_SQL_TIMEOUT", "nan", FIN),
    (["status"], "TRACKER_PORT", "-1", RANGE),
]


@pytest.mark.parametrize(("args", "env", "value", "expected"), COMMANDS,
                         ids=[f"{a[0]}-{e}={v[:30]}" for a, e, v, _ in COMMANDS])
def test_commands_stop_at_a_bad_setting_before_any_work(args: list[str], env: str, value: str, expected: str,
                                                        tmp_path: Path) -> None:
    result = run_cli(args, {env: value, "TRACKER_DB": str(tmp_path / "t.duckdb")}, cwd=tmp_path, timeout=60)
    check(result, env, expected)
    assert not (tmp_path / "t.duckdb").exists()


SCOPES: list[tuple[str, str, str]] = [
    ("unknown-query-key", '[[query]]\nlabel = "B7-H3"\nparams = { "query.intr" = "enoblituzumab" }\nparam = "x"\n',
     "[[query]] #1: unknown key(s) 'param'"),
    ("unknown-ids-key", '[[ids]]\nlabel = "watch"\nnct_ids = ["NCT01714739"]\nnctids = ["NCT03841110"]\n',
     "[[ids]] #1: unknown key(s) 'nctids'"),
    ("query-longer-than-a-url", '[[query]]\nlabel = "long"\nparams = { "query.intr" = "'
     + " OR ".join(f"agent-{i}" for i in range(600)) + '" }\n', "[[query]] #1: its parameters are"),
    ("bad-id", '[[ids]]\nlabel = "watch"\nnct_ids = ["NCT0171473"]\n', "[[ids]] #1: 'NCT0171473' is not an NCT id"),
    ("deep-nesting", "a = " + "[" * 100_000 + "]" * 100_000 + "\n", "nests arrays or tables too deeply"),
]


@pytest.mark.parametrize(("content", "expected"), [s[1:] for s in SCOPES], ids=[s[0] for s in SCOPES])
def test_a_bad_scope_file_stops_a_refresh_naming_file_and_entry(content: str, expected: str, tmp_path: Path) -> None:
    scope = tmp_path / "scope.toml"
    scope.write_text(content)
    # the URL is unreachable on purpose: the scope must be refused before any request
    env = {"TRACKER_SCOPE": str(scope), "TRACKER_DB": str(tmp_path / "t.duckdb"),
           "TRACKER_CTGOV_URL": "http://127.0.0.1:9/api/v2"}
    assert_one_line_error(run_cli(["refresh"], env, cwd=tmp_path), "TRACKER_SCOPE", str(scope), expected)


def test_a_server_that_drips_bytes_is_cut_off_after_the_timeout(tmp_path: Path) -> None:
    with DripServer(interval=0.5) as drip:
        env = {"TRACKER_CTGOV_URL": drip.url, "TRACKER_TIMEOUT": "5", "TRACKER_RETRIES": "2",
               "TRACKER_BACKOFF": "0.01", "TRACKER_DB": str(tmp_path / "t.duckdb"), "TRACKER_LOG_LEVEL": "ERROR"}
        started = time.monotonic()
        result = run_cli(["refresh"], env, cwd=tmp_path, timeout=90)
        elapsed = time.monotonic() - started
    assert_one_line_error(result, "no complete answer within 5 s (TRACKER_TIMEOUT)", "after 2 attempts")
    # two attempts of 5 s and the command's start, where a per-read timeout let it run for 1,000 s
    assert elapsed < 30, result.describe()
    assert drip.connections == 2
