"""Every command against every kind of file that is not a usable database (issue 9, findings 4 and 5).

Table-driven: each case makes a TRACKER_DB, each command runs as the real CLI in a child process. A
command either works, or ends with one line naming the path and what is wrong and a non-zero exit;
none prints a traceback or hangs, and no file that is not the tracker's is ever written to.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from tests.clirun import CliResult, assert_clean, assert_ok_or_one_line_error, assert_one_line_error, run_cli
from tests.mounts import remount, tmpfs
from tests.standin.corpus import synthetic_studies
from tracker import api
from tracker.config import Settings
from tracker.demo.registry import Registry
from tracker.demo.standin import StandIn

pytestmark = pytest.mark.slow

ARGS = {
    "refresh": ["refresh"],
    "status": ["status"],
    "sql": ["sql", "select count(*) from trials"],
    "classify": ["classify"],
    "curate": ["curate", "--limit", "3"],
    "dashboard": ["dashboard"],  # fails at its start check, before Streamlit starts
    "up": ["up"],  # fails at its first step, before the daemon and the dashboard start
}
READERS = ("status", "sql", "curate")
WRITERS = ("refresh", "classify")
ALL = (*WRITERS, *READERS, "dashboard", "up")
# the commands that never end by themselves once they work: run only where they must fail
SERVERS = ("dashboard", "up")
# a root process reads any file: without these capabilities it is held to the permission bits
NO_OVERRIDE = ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--")

Make = Callable[[Path, Path, ExitStack], Path]


@dataclass(frozen=True)
class Case:
    make: Make
    says: tuple[str, ...] = ()  # what every error line names, besides the path
    works: tuple[str, ...] = ()  # commands that must succeed
    maybe: tuple[str, ...] = ()  # commands whose outcome depends on which block they read
    says_for: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per command, instead of `says`
    commands: tuple[str, ...] = ALL
    prefix: tuple[str, ...] = ()


def at(name: str) -> Make:
    def make(tmp: Path, good: Path, stack: ExitStack) -> Path:
        return tmp / name
    return make


def copy_of_good(name: str = "tracker.duckdb", then: Callable[[Path], None] | None = None) -> Make:
    def make(tmp: Path, good: Path, stack: ExitStack) -> Path:
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(good, path)
        if then is not None:
            then(path)
        return path
    return make


def written(content: bytes) -> Make:
    def make(tmp: Path, good: Path, stack: ExitStack) -> Path:
        path = tmp / "tracker.duckdb"
        path.write_bytes(content)
        return path
    return make


def cut(keep: Callable[[int], int]) -> Make:
    return copy_of_good(then=lambda path: os.truncate(path, keep(path.stat().st_size)))


def flipped(offsets: Callable[[Path], list[int]]) -> Make:
    def flip(path: Path) -> None:
        with open(path, "r+b") as handle:
            for offset in offsets(path):
                handle.seek(offset)
                byte = handle.read(1)[0]
                handle.seek(offset)
                handle.write(bytes([byte ^ 0x20]))
    return copy_of_good(then=flip)


def payload_blocks(path: Path) -> list[int]:
    """A byte inside each block holding study JSON: the catalogue and the runs table still read."""
    with duckdb.connect(str(path), read_only=True) as con:
        size = con.execute("select block_size from pragma_database_size()").fetchall()[0][0]
        blocks = con.execute("select distinct block_id from pragma_storage_info('raw.study_versions') "
                             "where column_name = 'payload' and block_id >= 0").fetchall()
    return [3 * 4096 + block * size + 777 for (block,) in blocks]


def directory(tmp: Path, good: Path, stack: ExitStack) -> Path:
    path = tmp / "tracker.duckdb"
    path.mkdir()
    return path


def read_only_directory(with_database: bool) -> Make:
    def make(tmp: Path, good: Path, stack: ExitStack) -> Path:
        folder = tmp / "ro"
        if os.geteuid() == 0:  # a root process writes into any directory: only a read-only mount stops it
            stack.enter_context(tmpfs(folder, "size=32m"))
        else:
            folder.mkdir()
            stack.callback(folder.chmod, 0o755)
        if with_database:
            shutil.copyfile(good, folder / "tracker.duckdb")
        if os.geteuid() == 0:
            remount(folder, "ro")
        else:
            folder.chmod(0o555)
        return folder / "tracker.duckdb"
    return make


def unreadable(tmp: Path, good: Path, stack: ExitStack) -> Path:
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("root reads every file, and setpriv is not here to take that away")
    path = copy_of_good()(tmp, good, stack)
    path.chmod(0)
    return path


def foreign(tmp: Path, good: Path, stack: ExitStack) -> Path:
    path = tmp / "shop.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table customers as select 1 as id, 'Ada' as name")
    return path


def empty_duckdb(tmp: Path, good: Path, stack: ExitStack) -> Path:
    path = tmp / "tracker.duckdb"
    duckdb.connect(str(path)).close()
    return path


def marker(value: str) -> Callable[[Path], None]:
    def mark(path: Path) -> None:
        with duckdb.connect(str(path)) as con:
            con.execute("delete from meta.state where key = 'schema'")
            if value:
                con.execute("insert into meta.state values ('schema', ?)", [value])
    return mark


def dangling(tmp: Path, good: Path, stack: ExitStack) -> Path:
    path = tmp / "tracker.duckdb"
    path.symlink_to(tmp / "gone" / "tracker.duckdb")
    return path


def link_to(target: str) -> Make:
    def make(tmp: Path, good: Path, stack: ExitStack) -> Path:
        path = tmp / "tracker.duckdb"
        path.symlink_to(target)
        return path
    return make


def loop(tmp: Path, good: Path, stack: ExitStack) -> Path:
    (tmp / "a.duckdb").symlink_to(tmp / "b.duckdb")
    (tmp / "b.duckdb").symlink_to(tmp / "a.duckdb")
    return tmp / "a.duckdb"


def fifo(tmp: Path, good: Path, stack: ExitStack) -> Path:
    path = tmp / "tracker.duckdb"
    os.mkfifo(path)
    return path


def beside_good(name: str) -> Make:
    """A good database with a directory where the tracker keeps one of its own files."""
    def make(tmp: Path, good: Path, stack: ExitStack) -> Path:
        path = copy_of_good()(tmp, good, stack)
        (tmp / name).mkdir()
        return path
    return make


def held_by_a_writer(tmp: Path, good: Path, stack: ExitStack) -> Path:
    path = copy_of_good()(tmp, good, stack)
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('open', flush=True); time.sleep(600)", str(path)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    stack.callback(holder.stdout.close)
    stack.callback(holder.wait)
    stack.callback(holder.kill)
    assert holder.stdout.readline().strip() == "open"
    return path


def unreadable_prefix() -> tuple[str, ...]:
    return NO_OVERRIDE if os.geteuid() == 0 else ()


CASES: dict[str, Case] = {
    # the inputs of the report
    "directory": Case(directory, ("is a directory",)),
    "read-only-directory": Case(read_only_directory(False), says_for={
        "refresh": ("cannot create the lock file",), "classify": ("cannot create the lock file",),
        "up": ("cannot create the lock file",), **dict.fromkeys(READERS, ("no database at",))},
        commands=(*WRITERS, *READERS, "up")),
    "read-only-directory-with-database": Case(read_only_directory(True), ("cannot create the lock file",),
                                              works=READERS, commands=(*WRITERS, *READERS)),
    "under-a-regular-file": Case(at("/etc/passwd/x.duckdb"), ("/etc/passwd is not a directory",)),
    "300-character-name": Case(at("n" * 300 + ".duckdb"), ("file name too long",)),
    "truncated-to-its-header": Case(cut(lambda size: 5000), ("cannot open", "could not read enough bytes")),
    "truncated-to-half": Case(cut(lambda size: size // 2)),
    "bit-flipped-header": Case(flipped(lambda path: [8, 9]), ("not a valid DuckDB database file",)),
    "bit-flipped-data": Case(flipped(payload_blocks), maybe=(*WRITERS, *READERS),
                             commands=(*WRITERS, *READERS)),
    "foreign-duckdb": Case(foreign, ("not the tracker's", "customers")),
    "text": Case(written(b"id,name\n1,Ada\n"), ("not a valid DuckDB database file",)),
    "zeros": Case(written(bytes(65536)), ("not a valid DuckDB database file",)),
    "empty-file": Case(written(b""), ("empty file",), works=WRITERS, commands=(*WRITERS, *READERS)),
    "no-read-permission": Case(unreadable, ("cannot read", "Permission denied"), prefix=unreadable_prefix()),
    "dangling-symlink": Case(dangling, ("symbolic link", "does not exist")),
    "proc": Case(at("/proc/tracker.duckdb"), says_for={
        "refresh": ("cannot create the lock file at /proc/tracker.lock",),
        "classify": ("cannot create the lock file at /proc/tracker.lock",),
        "up": ("cannot create the lock file at /proc/tracker.lock",), **dict.fromkeys(READERS, ("no database at",))},
        commands=(*WRITERS, *READERS, "up")),
    # more
    "named-pipe": Case(fifo, ("named pipe",)),
    "link-to-dev-null": Case(link_to("/dev/null"), ("character device",)),
    "symlink-loop": Case(loop, ("symbolic links",)),
    "from-a-newer-tracker": Case(copy_of_good(then=marker("nk-landscape-tracker/99")), ("newer tracker",)),
    "marked-by-another-program": Case(copy_of_good(then=marker("other-program/1")), ("not a tracker database",),
                                      commands=(*WRITERS, *READERS)),
    "from-before-the-marker": Case(copy_of_good(then=marker("")), works=(*WRITERS, *READERS),
                                   commands=(*WRITERS, *READERS)),
    "empty-duckdb-database": Case(empty_duckdb, ("empty DuckDB database",), works=WRITERS,
                                  commands=(*WRITERS, *READERS)),
    "quote-and-spaces-in-the-name": Case(copy_of_good("it's a db/tracker's copy.duckdb"),
                                         works=(*WRITERS, *READERS), commands=(*WRITERS, *READERS)),
    "working-copy-is-a-directory": Case(beside_good("tracker.work.duckdb"), ("tracker.work.duckdb",
                                        "is a directory"), works=READERS, commands=(*WRITERS, *READERS)),
    "lock-file-is-a-directory": Case(beside_good("tracker.lock"), ("cannot create the lock file",),
                                     works=READERS, commands=(*WRITERS, *READERS)),
    "held-open-by-a-writer": Case(held_by_a_writer, ("lock",), commands=(*WRITERS, *READERS)),
}

PARAMS = [pytest.param(name, command, id=f"{name}-{command}") for name, case in CASES.items()
          for command in case.commands]


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with StandIn(Registry(synthetic_studies(120, seed=5))) as server:
        yield server


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory, standin: StandIn) -> Path:
    path = tmp_path_factory.mktemp("good") / "tracker.duckdb"
    settings = Settings(db_path=path, ctgov_url=standin.url, max_rpm=0, backoff=0.01, retries=3, timeout=15.0)
    assert api.run_refresh(settings, full=True).status == "succeeded"
    return path


@contextmanager
def busy_port() -> Iterator[int]:
    """A port this test listens on: a dashboard that wrongly got past its check cannot start and linger."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port: int = sock.getsockname()[1]
        yield port


def digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    except OSError:
        return None


@pytest.mark.parametrize(("name", "command"), PARAMS)
def test_hostile_database_file(name: str, command: str, tmp_path: Path, good: Path, standin: StandIn) -> None:
    case = CASES[name]
    with ExitStack() as stack:
        db_path = case.make(tmp_path, good, stack)
        before = digest(db_path)
        port = stack.enter_context(busy_port())
        env = {"TRACKER_DB": str(db_path), "TRACKER_CTGOV_URL": standin.url, "TRACKER_MAX_RPM": "0",
               "TRACKER_BACKOFF": "0.01", "TRACKER_RETRIES": "2", "TRACKER_PORT": str(port),
               "TRACKER_LOG_LEVEL": "WARNING"}
        result = run_cli(ARGS[command], env, timeout=120, prefix=case.prefix)
        check(case, command, result, db_path)
        if result.returncode != 0 and before is not None:
            assert digest(db_path) == before, f"{db_path} was written to\n{result.describe()}"


def check(case: Case, command: str, result: CliResult, db_path: Path) -> None:
    if command in case.works:
        assert_clean(result)
        assert result.returncode == 0, result.describe()
    elif command in case.maybe:
        assert_ok_or_one_line_error(result)
    else:
        assert_one_line_error(result, *case.says_for.get(command, case.says))
        line = result.error_lines[0]
        # a name too long to print whole is named by its setting
        named = (str(db_path) in line or db_path.name in line or str(db_path.parent) in line
                 or line.startswith("Error: TRACKER_DB:"))
        assert named, result.describe()


def test_every_case_of_the_report_runs_every_command() -> None:
    reported = ["directory", "read-only-directory", "under-a-regular-file", "300-character-name",
                "truncated-to-half", "bit-flipped-data", "foreign-duckdb", "text", "zeros", "empty-file",
                "no-read-permission", "dangling-symlink", "proc"]
    for name in reported:
        missing = set(ALL) - set(CASES[name].commands) - set(SERVERS)
        assert not missing, (name, missing)


def test_a_symlinked_database_is_published_through_the_link(tmp_path: Path, good: Path, standin: StandIn) -> None:
    target = tmp_path / "store" / "tracker.duckdb"
    target.parent.mkdir()
    shutil.copyfile(good, target)
    link = tmp_path / "tracker.duckdb"
    link.symlink_to(target)
    env = {"TRACKER_DB": str(link), "TRACKER_CTGOV_URL": standin.url, "TRACKER_MAX_RPM": "0"}
    result = run_cli(["refresh", "--full"], env, timeout=120)
    assert result.returncode == 0, result.describe()
    assert link.is_symlink() and link.resolve() == target
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("select count(*) from meta.refresh_runs").fetchall() == [(2,)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store", "tracker.duckdb"]  # nothing beside the link


def test_a_foreign_duckdb_file_is_never_taken_over(tmp_path: Path, standin: StandIn) -> None:
    path = foreign(tmp_path, tmp_path, ExitStack())
    before = digest(path)
    env = {"TRACKER_DB": str(path), "TRACKER_CTGOV_URL": standin.url, "TRACKER_MAX_RPM": "0"}
    for command in ("refresh", "classify"):
        assert_one_line_error(run_cli(ARGS[command], env, timeout=120), "not the tracker's")
    assert digest(path) == before
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("select schema_name, table_name from duckdb_tables()").fetchall() == [
            ("main", "customers")]


def test_a_new_database_carries_the_marker_and_an_old_one_gets_it(tmp_path: Path, good: Path,
                                                                  standin: StandIn) -> None:
    with duckdb.connect(str(good), read_only=True) as con:
        assert con.execute("select value from meta.state where key = 'schema'").fetchall() == [
            ("nk-landscape-tracker/1",)]
    old = copy_of_good(then=marker(""))(tmp_path, good, ExitStack())
    env = {"TRACKER_DB": str(old), "TRACKER_CTGOV_URL": standin.url, "TRACKER_MAX_RPM": "0"}
    assert run_cli(["refresh"], env, timeout=120).returncode == 0
    with duckdb.connect(str(old), read_only=True) as con:
        assert con.execute("select value from meta.state where key = 'schema'").fetchall() == [
            ("nk-landscape-tracker/1",)]
