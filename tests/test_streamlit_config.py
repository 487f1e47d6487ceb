"""`tracker dashboard` and `streamlit run dashboards/streamlit_app.py` start the same dashboard.

The settings live in .streamlit/config.toml, which Streamlit reads from its working directory; the tracker's
command line passes only the address and port and runs Streamlit from the repository root.
"""

from __future__ import annotations

import ipaddress
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tracker import serve
from tracker.config import Settings

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".streamlit" / "config.toml"
EXPECTED = {
    ("global", "developmentMode"): False,
    ("server", "headless"): True,
    ("server", "enableStaticServing"): True,  # the world map's outlines come from dashboards/static
    ("server", "fileWatcherType"): "none",
    ("browser", "gatherUsageStats"): False,
    ("client", "toolbarMode"): "viewer",  # no Deploy button
}


def test_the_config_file_holds_the_dashboard_settings() -> None:
    assert serve.STREAMLIT_CONFIG == CONFIG
    config = tomllib.loads(CONFIG.read_text())
    for (section, key), value in EXPECTED.items():
        assert config.get(section, {}).get(key) == value, f"{section}.{key}"


def test_the_command_line_passes_only_address_and_port() -> None:
    command = serve.dashboard_command(Settings(host="127.0.0.1", port=8765))
    options = {arg: value for arg, value in zip(command, command[1:], strict=False) if arg.startswith("--")}
    assert options == {"--server.address": "127.0.0.1", "--server.port": "8765"}
    # nothing on the command line overrides (contradicts) a setting of the file
    assert not {f"--{section}.{key}" for section, key in EXPECTED} & set(options)


def test_tracker_dashboard_runs_streamlit_from_the_repository_root(monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    class FakePopen:
        def __init__(self, command: list[str], **kwargs: Any) -> None:
            seen.update(kwargs, command=command)

    monkeypatch.setattr(serve.subprocess, "Popen", FakePopen)
    monkeypatch.chdir(tmp_path)
    settings = Settings(db_path=Path("data/tracker.duckdb"), scope_file=Path("scope.toml"))
    dashboard = serve.Dashboard(settings, serve.Listen("127.0.0.1", ipaddress.ip_address("127.0.0.1"), 8501))
    dashboard._log.close()
    assert seen["cwd"] == ROOT
    # paths the user gave relative to where they ran `tracker` still point there
    assert seen["env"]["TRACKER_DB"] == str(tmp_path / "data" / "tracker.duckdb")
    assert seen["env"]["TRACKER_SCOPE"] == str(tmp_path / "scope.toml")


def test_streamlit_reads_the_file_from_the_repository_root() -> None:
    shown = subprocess.run([sys.executable, "-m", "streamlit", "config", "show"], cwd=ROOT, capture_output=True,
                           text=True, timeout=60).stdout
    for (_, key), value in EXPECTED.items():
        if key == "developmentMode":
            continue  # a hidden option: `config show` leaves it out
        expected = f'"{value}"' if isinstance(value, str) else str(value).lower()
        assert f"\n{key} = {expected}\n" in shown, key
