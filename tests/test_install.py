"""A non-editable install works without the source tree: `pip install .` gives a working `tracker up --demo`.

The wheel is built from a copy of the working tree (setuptools would mix the leftovers of an earlier build
in the tree's build/ into it), its contents are checked, and it is installed into a fresh virtual
environment whose dependencies come from this one's site-packages through a .pth file, so nothing is
downloaded but the build backend. Every command then runs from a folder outside the repository, with no
PYTHONPATH, so only the installed package can answer.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# what the wheel must not carry: the test rig and the fault injection, admin API and generator it holds
RIG_MODULES = {"faults.py", "admin.py", "hostile.py", "synthetic.py", "plans.py", "make_demo.py", "server.py"}
NOT_COPIED = shutil.ignore_patterns(".git", ".venv*", "build", "*.egg-info", "__pycache__", ".*_cache",
                                    "test-artifacts", ".cache", "results")

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Installed:
    wheel: Path
    python: Path
    tracker: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(command: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def outside_env(workdir: Path, **extra: str) -> dict[str, str]:
    """The environment of a user's shell: no PYTHONPATH pointing into the repository, no TRACKER_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "PYTHON"))}
    return {**env, "HOME": str(workdir), **extra}


def build_wheel(tmp: Path) -> Path:
    source = tmp / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=NOT_COPIED)
    run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--quiet", "-w", str(tmp / "dist")])
    (wheel,) = (tmp / "dist").glob("nk_landscape_tracker-*.whl")
    return wheel


def install(wheel: Path, tmp: Path) -> Installed:
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip())
    # the dependencies, from this environment; its own copy of the tracker (editable or not) stays out of
    # reach: paths a .pth adds come after the venv's site-packages, and their own .pth files are not run
    (site / "parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", "--quiet", str(wheel)])
    return Installed(wheel, python, venv / "bin" / "tracker")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("install")
    return install(build_wheel(tmp), tmp)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    assert ROOT not in workdir.parents
    return workdir


def test_the_wheel_holds_the_product_and_not_the_test_rig(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    tops = {name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")}
    assert tops == {"tracker", "dashboards"}
    assert not {name for name in names if name.rsplit("/", 1)[-1] in RIG_MODULES}
    assert not [name for name in names if "testing" in name or "tests/" in name or "/data/real/" in name]
    # every module of the source tree: a subpackage missing from pyproject's list fails here
    for package in ("tracker", "dashboards"):
        for path in (ROOT / package).rglob("*.py"):
            assert path.relative_to(ROOT).as_posix() in names
    for path in (ROOT / "sql").rglob("*.sql"):
        assert f"tracker/sql/{path.relative_to(ROOT / 'sql').as_posix()}" in names
    data = {f"tracker/catalogue/data/{p.name}" for p in (ROOT / "tracker" / "catalogue" / "data").glob("*.toml")}
    assert data | {"tracker/demo/data/demo-corpus.json.gz", "tracker/changes/fields.toml",
                   "dashboards/static/topojson/world_110m.json", "dashboards/.streamlit/config.toml"} <= names


def test_the_installed_package_is_the_one_that_runs(installed: Installed, outside: Path) -> None:
    code = "import tracker, dashboards; print(tracker.__file__); print(dashboards.__file__)"
    paths = run([str(installed.python), "-c", code], cwd=outside, env=outside_env(outside)).split()
    venv = installed.python.parent.parent
    assert all(Path(path).is_relative_to(venv) for path in paths), paths


@dataclass
class Demo:
    process: subprocess.Popen[str]
    workdir: Path
    port: int
    lines: list[str]


def wait_for_line(demo: Demo, prefix: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = next((line for line in list(demo.lines) if line.startswith(prefix)), None)
        if found is not None:
            return found
        assert demo.process.poll() is None, "".join(demo.lines)
        time.sleep(0.5)
    raise AssertionError(f"no line starting with {prefix!r} in {timeout:.0f} s:\n{''.join(demo.lines)}")


@pytest.fixture(scope="module")
def demo(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`tracker up --demo` as a user of the installed package starts it: elsewhere, on a free port."""
    workdir = tmp_path_factory.mktemp("elsewhere")
    port = free_port()
    env = outside_env(workdir, TRACKER_DB=str(workdir / "data" / "tracker.duckdb"), TRACKER_PORT=str(port),
                      TRACKER_LOG_LEVEL="WARNING")
    process = subprocess.Popen([str(installed.tracker), "up", "--demo"], cwd=workdir, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    started = Demo(process, workdir, port, [])
    output = process.stdout
    assert output is not None
    # a thread drains the output, so a quiet or stuck child cannot block the test on readline()
    reader = threading.Thread(target=lambda: started.lines.extend(iter(output.readline, "")), daemon=True)
    reader.start()
    try:
        yield started
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)
        reader.join(10)
        output.close()


def fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read()


def test_tracker_up_demo_serves_the_dashboard_and_its_map_outlines(demo: Demo) -> None:
    line = wait_for_line(demo, "Dashboard: ", timeout=400)
    assert line.split()[1] == f"http://localhost:{demo.port}/"
    status, page = fetch(f"http://127.0.0.1:{demo.port}/")
    assert status == 200 and b"<html" in page.lower()
    # served by Streamlit's static serving, which only the shipped .streamlit/config.toml turns on
    status, outlines = fetch(f"http://127.0.0.1:{demo.port}/app/static/topojson/world_110m.json")
    assert status == 200 and "objects" in json.loads(outlines)
    assert any(line.startswith("Demo: week 6 of 6") for line in demo.lines), "".join(demo.lines)


def test_tracker_sql_reads_the_demo_database(installed: Installed, demo: Demo) -> None:
    wait_for_line(demo, "Dashboard: ", timeout=400)
    env = outside_env(demo.workdir, TRACKER_DB=str(demo.workdir / "data" / "demo" / "tracker.duckdb"))
    output = run([str(installed.tracker), "sql", "select count(*) as n from trials", "--format", "json"],
                 cwd=demo.workdir, env=env)
    assert json.loads(output)[0]["n"] >= 500


def test_sigint_stops_the_installed_demo(demo: Demo) -> None:
    wait_for_line(demo, "Dashboard: ", timeout=400)
    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(60) == 0, "".join(demo.lines)
    wait_for_line(demo, "Stopping", timeout=10)
    with pytest.raises(OSError):
        fetch(f"http://127.0.0.1:{demo.port}/_stcore/health")
