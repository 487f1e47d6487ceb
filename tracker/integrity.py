"""Whether a file is a whole tracker database: the checks made before a file is published or trusted.

DuckDB verifies a block's checksum whenever it reads the block, and its header records how many blocks
the file has; a copy cut short by a full disk still opens, and only fails (`Could not read enough
bytes`) when a missing block is read. These checks read what tells a whole file from a broken one
before the file is published, or before a working copy left by a dead process is trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker import db, files

FINISHED = ("succeeded", "skipped")


@dataclass(frozen=True)
class Snapshot:
    """What a database file holds, as far as recovery needs to know: its runs, oldest first."""

    runs: list[dict[str, Any]]

    @property
    def newest_run(self) -> int:
        return int(self.runs[-1]["run_id"]) if self.runs else 0

    @property
    def newest_status(self) -> str | None:
        return str(self.runs[-1]["status"]) if self.runs else None


def inspect(path: Path, *, thorough: bool = False) -> Snapshot:
    """Open a tracker database read-only and check that it is whole; a DatabaseError says what is wrong.

    Whole means: DuckDB opens it, it is the tracker's, the file is as long as its header says (every
    read-only db.connect checks that), and its runs table reads. `thorough` reads every row of every
    table as well, for a file about to replace a published one that this process did not just write.
    """
    con = db.connect(path, read_only=True, allow_empty=True)
    try:
        if thorough:
            read_everything(con, path)
        with db.errors(path, doing="read"):
            if not db.scalar(con, "select count(*) from duckdb_tables() where database_name = ? "
                                  "and schema_name = 'meta' and table_name = 'refresh_runs'", [db.CATALOG]):
                return Snapshot([])
            runs = db.fetch_frame(con, "select * from meta.refresh_runs order by run_id").to_dicts()
    finally:
        con.close()
    return Snapshot(runs)


def check_database(path: Path) -> bool:
    """Whether a tracker database is at `path` (False: nothing yet); a DatabaseError if what is there is unusable."""
    if not files.check_database_path(path) or path.stat().st_size == 0:
        return False
    db.connect(path, read_only=True, allow_empty=True).close()
    return True


def read_everything(con: db.Connection, path: Path) -> None:
    """Read every row of every table, so that DuckDB checks the checksum of every block holding data."""
    with db.errors(path, doing="read"):
        tables = con.execute("select schema_name, table_name from duckdb_tables() where database_name = ?",
                             [db.CATALOG]).fetchall()
        for schema, table in tables:
            # the whole row, hashed: a count alone would read no column at all
            con.execute(f'select bit_xor(hash(t)) from "{schema}"."{table}" as t').fetchall()
