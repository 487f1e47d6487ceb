"""Hostile input to the dashboard: CT.gov text that looks like Markdown or HTML, bad addresses, busy ports, signals.

Text: a database built from records whose free-text fields hold links, emphasis, HTML, LaTeX, colour and
emoji shortcodes and backslashes is shown on every page through AppTest (every string Streamlit would
render as Markdown must be escaped; every plotly label HTML-escaped) and in a real Chromium (no link or
bold from CT.gov in the DOM). Processes: `tracker dashboard` and `tracker up` each give a one-line error
and a non-zero exit for a bad host or a busy port, or start, warn when other machines can reach them, and
stop their Streamlit child on SIGTERM, SIGINT and SIGHUP.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psutil
import pytest
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

from dashboards.ui import WORD_JOINER, literal
from tests.clirun import ROOT, assert_one_line_error, run_cli
from tests.fake_ctgov import FakeCtGov
from tests.synthetic import landscape_corpus, trial
from tests.test_browser import ARTIFACTS, CHROMIUM, LAUNCH_ARGS, free_port, require_browser
from tracker import api
from tracker.config import Settings
from tracker.scope import ScopeQuery

APP = str(ROOT / "dashboards" / "streamlit_app.py")
HOSTILE_NCT = "NCT90000301"
TAIL = ("[x](http://evil) **bold** <b>html</b> <script>alert(1)</script> $math$ :red[colour] :smile: "
        ":material/home: back\\slash\\*star* www.evil.com a@evil.com")
# what each of TAIL's tricks looks like when it is not escaped
RAW_TOKENS = ["[x](", "**bold**", "<b>", "<script>", "$math$", ":red[", ":smile:", ":material/", "http://",
              "www.evil", "a@evil", "star*"]
PLAIN_TEXT = {("text", "body"), ("json", "body"), ("multiselect", "options"), ("multiselect", "raw_values"),
              ("selectbox", "options"), ("selectbox", "raw_value"), ("text_input", "value")}


def hostile(marker: str) -> str:
    """Hostile text that says where it came from, so a test can tell which field reached which element."""
    return f"ZQ{marker} {TAIL}"


def hostile_study() -> dict[str, Any]:
    study = trial(HOSTILE_NCT, interventions=[("DRUG", "Monalizumab"), ("DRUG", hostile("DRUG"))],
                  conditions=["Melanoma", hostile("CONDITION")], title=hostile("TITLE"),
                  sponsor=(hostile("SPONSOR"), hostile("CLASS")), start="2024-03")
    module = study["protocolSection"]
    module["designModule"]["enrollmentInfo"] = {"count": 30, "type": hostile("ENROLL")}
    module["statusModule"]["overallStatus"] = hostile("STATUS")
    module["statusModule"]["primaryCompletionDateStruct"] = {"date": "2027-06", "type": "ESTIMATED"}
    site = module["contactsLocationsModule"]["locations"][0]
    module["contactsLocationsModule"]["locations"] = [
        {**site, "facility": hostile("SITE"), "city": "Paris", "country": hostile("COUNTRY"), "status": "RECRUITING"}]
    return study


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = Settings(db_path=tmp_path_factory.mktemp("hostile") / "tracker.duckdb", max_rpm=0)
    scope = [ScopeQuery("everything", "user", (("query.term", "x"),))]
    server = FakeCtGov([*landscape_corpus(), hostile_study()], data_timestamp=hostile("ASOF"))
    result = api.run_refresh(settings, scope=scope, transport=server.transport())
    assert result.status == "succeeded", result.error
    return settings.db_path


# ---------------------------------------------------------------------------------------------- literal()


def unescape(markdown: str) -> str:
    """What CommonMark shows for text that has only backslash escapes in it."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace(WORD_JOINER, "")


def all_escaped(markdown: str) -> bool:
    chars = iter(markdown)
    for char in chars:
        if char == "\\":
            if next(chars, "") not in string.punctuation:
                return False
        elif char in string.punctuation:
            return False
    return True


@pytest.mark.parametrize("text", [
    pytest.param(TAIL, id="every-trick"),
    pytest.param("C:\\path\\to\\*file*", id="backslashes"),
    pytest.param("line one\n\n    indented code\n# heading\n> quote\n- item", id="block-markdown"),
    pytest.param("HTTPS://EVIL.example and Www.evil.example and x@y.example", id="autolinks"),
    pytest.param("&lt;b&gt; &amp; &#60;", id="entities"),
    pytest.param(":material/home: :+1: :red-background[x] :small[x]", id="shortcodes"),
    pytest.param("", id="empty"),
])
def test_literal_escapes_every_markdown_character(text: str) -> None:
    shown = literal(text)
    assert all_escaped(shown.replace(WORD_JOINER, ""))
    assert unescape(shown) == " ".join(text.split())
    assert not re.search(r"(?i)https?:/|www\.|\w@\w", shown.replace("\\", ""))


# ---------------------------------------------------------------------------------------------- AppTest


def proto_strings(message: Message, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string field of a protobuf message, with its dotted path."""
    for field, value in message.ListFields():
        for item in value if isinstance(value, Sequence) and not isinstance(value, str | bytes) else [value]:
            if isinstance(item, Message):
                yield from proto_strings(item, f"{path}.{field.name}")
            elif isinstance(item, str):
                yield f"{path}.{field.name}".lstrip("."), item


def rendered_strings(at: AppTest) -> Iterator[tuple[str, str, str]]:
    """(element type, field, string) for every string the app sends to the browser."""
    def walk(node: Any) -> Iterator[Any]:
        yield node
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    for root in (at.main, at.sidebar):
        for node in walk(root):
            proto = getattr(node, "proto", None)
            if isinstance(proto, Message):
                kind = str(getattr(node, "type", type(node).__name__))
                for field, value in proto_strings(proto):
                    yield kind, field, value


def plotly_strings(spec: Any) -> Iterator[str]:
    """The strings of a plotly figure that plotly may draw (country names it only matches are left out)."""
    if isinstance(spec, dict):
        for name, value in spec.items():
            if name != "locations":
                yield from plotly_strings(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from plotly_strings(value)
    elif isinstance(spec, str):
        yield spec


HOSTILE_PAGES = [
    pytest.param("landscape", {}, {"ASOF": ("caption", "body")}, (), id="landscape-data-as-of"),
    pytest.param("landscape", {"ids": [hostile("URL")]}, {"URL": ("caption", "body")}, (), id="url-selection"),
    pytest.param("trial", {"nct": [HOSTILE_NCT]}, {"ENROLL": ("markdown", "body"), "STATUS": ("markdown", "body")},
                 ("SITE",), id="trial"),
    pytest.param("trials", {"sponsor": [hostile("CLASS")]}, {"CLASS": ("caption", "body")}, (),
                 id="trials-sponsor-filter"),
    pytest.param("geography", {}, {}, ("COUNTRY", "SITE"), id="geography"),
    pytest.param("timeline", {}, {}, ("TITLE",), id="timeline"),
    pytest.param("agents", {}, {}, (), id="agents"),
    pytest.param("data", {}, {}, (), id="data"),
]


@pytest.mark.parametrize(("page", "params", "escaped_in", "in_charts"), HOSTILE_PAGES)
def test_hostile_text_is_literal_on_every_page(monkeypatch: pytest.MonkeyPatch, hostile_db: Path, page: str,
                                               params: dict[str, list[str]], escaped_in: dict[str, tuple[str, str]],
                                               in_charts: tuple[str, ...]) -> None:
    monkeypatch.setenv("TRACKER_DB", str(hostile_db))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, values in params.items():
        at.query_params[key] = values
    at.run()
    if page != "landscape":
        at.switch_page(f"app_pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    found: dict[tuple[str, str], list[str]] = {}
    chart_text: list[str] = []
    for kind, field, value in rendered_strings(at):
        if kind == "plotly_chart" and field == "spec":
            chart_text += [s for s in plotly_strings(json.loads(value)) if "ZQ" in s]
        elif "ZQ" in value and (kind, field) not in PLAIN_TEXT:
            found.setdefault((kind, field), []).append(value)
            assert not [t for t in RAW_TOKENS if t in value], f"unescaped Markdown in {kind}.{field}: {value!r}"
    for marker, where in escaped_in.items():
        assert any(literal(hostile(marker)) in value for value in found.get(where, [])), (marker, where, found)
    assert [s for s in chart_text if "<" in s] == [], "CT.gov text reaches plotly as HTML"
    for marker in in_charts:
        assert any(f"ZQ{marker}" in s and "&lt;b&gt;html&lt;/b&gt;" in s for s in chart_text), (marker, chart_text)


# ---------------------------------------------------------------------------------------------- the CLI


def start_tracker(args: list[str], settings: dict[str, str]) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update({"TRACKER_LOG_LEVEL": "WARNING", "TRACKER_CTGOV_URL": "http://127.0.0.1:9/api/v2", **settings})
    return subprocess.Popen([sys.executable, "-m", "tracker", *args], env=env, text=True, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_dashboard(process: subprocess.Popen[str], port: int, timeout: float = 120) -> list[str]:
    """The lines printed up to `Dashboard: …`, once the health endpoint answers too."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while not any(line.startswith("Dashboard:") for line in lines):
        assert time.monotonic() < deadline and process.poll() is None, "".join(lines)
        lines.append(process.stdout.readline())
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as response:
                assert response.status == 200
                return lines
        except OSError:
            assert time.monotonic() < deadline, "the dashboard never answered its health check"
            time.sleep(0.3)


# ---------------------------------------------------------------------------------------------- real browser

BROWSER_PAGES = [
    pytest.param("", "ASOF", id="landscape"),
    pytest.param(f"trial?nct={HOSTILE_NCT}", "STATUS", id="trial"),
    pytest.param("trials?sponsor=" + urllib.parse.quote(hostile("CLASS")), "CLASS", id="trials-sponsor-filter"),
    pytest.param("trials?ids=" + urllib.parse.quote(hostile("URL")), "URL", id="url-selection"),
    pytest.param("geography", "ASOF", id="geography"),
    pytest.param("timeline", "ASOF", id="timeline"),
]


@pytest.fixture(scope="module")
def hostile_dashboard(hostile_db: Path) -> Iterator[str]:
    """`tracker dashboard` as a user starts it, over the hostile database."""
    require_browser()
    port = free_port()
    process = start_tracker(["dashboard"], {"TRACKER_DB": str(hostile_db), "TRACKER_PORT": str(port)})
    try:
        wait_for_dashboard(process, port)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def markdown_from_ctgov(page: Any) -> list[str]:
    """Whatever the page rendered as Markdown or HTML out of the hostile text."""
    checks = {
        "link": 'a[href*="evil"]', "bold": 'strong:has-text("bold"), b:has-text("html")', "math": ".katex",
        "colour": ".stMarkdownColoredText", "icon": '[aria-label="home icon"]', "script": 'script:has-text("alert(1)")',
    }
    found = [name for name, selector in checks.items() if page.locator(selector).count()]
    if "😄" in page.inner_text("body"):
        found.append("emoji")
    return found


def shown_text(locator: Any) -> str:
    return " ".join(locator.inner_text().replace(WORD_JOINER, "").split())


@pytest.mark.browser
@pytest.mark.slow
def test_hostile_text_is_literal_in_chromium(hostile_dashboard: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        for case in BROWSER_PAGES:
            path, marker = case.values
            page.goto(hostile_dashboard + str(path), wait_until="domcontentloaded")
            page.get_by_text(f"ZQ{marker}").first.wait_for(timeout=60_000)
            page.wait_for_timeout(1_500)
            assert markdown_from_ctgov(page) == [], case.id
            assert hostile(str(marker)) in shown_text(page.locator("body")), case.id
            page.screenshot(path=str(ARTIFACTS / f"hostile_{case.id}.png"), full_page=True)
        trial_tooltip_and_map_hover(page, hostile_dashboard)
        browser.close()


def trial_tooltip_and_map_hover(page: Any, url: str) -> None:
    """The enrollment type in the trial's summary and the site in the map's hover label, as literal text."""
    page.goto(f"{url}trial?nct={HOSTILE_NCT}", wait_until="domcontentloaded")
    page.get_by_text("Agents and the evidence").first.wait_for(timeout=60_000)
    summary = page.locator('[data-testid="stMarkdownContainer"]', has_text="Enrollment:").first
    summary.wait_for(timeout=10_000)
    assert hostile("ENROLL") in shown_text(summary)
    # the four field names are the only emphasis; CT.gov's text makes no link, bold or formula
    assert summary.locator("a, .katex").count() == 0 and summary.locator("strong").count() == 4
    page.screenshot(path=str(ARTIFACTS / "hostile_trial_summary.png"))
    page.mouse.move(0, 0)
    geo = page.locator(".geo .bg").first
    geo.scroll_into_view_if_needed()
    box = geo.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    label = page.locator(".hoverlayer .hovertext").first
    label.wait_for(timeout=10_000)
    assert (label.text_content() or "").startswith("ZQSITE [x](http://evil) **bold** <b>html</b> <script>")
    assert "font-weight: bold" not in label.inner_html() and label.locator("a").count() == 0
    page.screenshot(path=str(ARTIFACTS / "hostile_trial_map_hover.png"))


# ---------------------------------------------------------------------------------------------- processes


def is_listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


EXPOSED = "is reachable from other machines and has no login"
SIGNAL_CASES = [
    pytest.param(["dashboard"], "127.0.0.1", signal.SIGTERM, False, id="dashboard-sigterm"),
    pytest.param(["dashboard"], "0.0.0.0", signal.SIGINT, True, id="dashboard-all-ipv4-sigint"),
    pytest.param(["dashboard"], "::", signal.SIGHUP, True, id="dashboard-all-ipv6-sighup"),
    pytest.param(["up"], "127.0.0.1", signal.SIGTERM, False, id="up-sigterm"),
    pytest.param(["up"], "localhost", signal.SIGHUP, False, id="up-localhost-sighup"),
    pytest.param(["up"], "0.0.0.0", signal.SIGINT, True, id="up-all-ipv4-sigint"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "host", "signum", "warns"), SIGNAL_CASES)
def test_a_signal_stops_the_dashboard_and_frees_its_port(tmp_path: Path, args: list[str], host: str,
                                                        signum: signal.Signals, warns: bool) -> None:
    if ":" in host and not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    port = free_port()
    process = start_tracker(args, {"TRACKER_DB": str(tmp_path / "tracker.duckdb"), "TRACKER_HOST": host,
                                   "TRACKER_PORT": str(port)})
    try:
        lines = wait_for_dashboard(process, port)
        children = psutil.Process(process.pid).children(recursive=True)
        assert children, "the dashboard runs in a child process"
        process.send_signal(signum)
        rest, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    output = "".join(lines) + rest
    assert process.returncode == 0, output + errors
    assert "Stopping" in output
    _, still_running = psutil.wait_procs(children, timeout=5)
    assert still_running == [], "the Streamlit child outlived the command"
    assert not is_listening(port)
    result_lines = [line for line in errors.splitlines() if line.strip()]
    assert result_lines == ([f"Warning: TRACKER_HOST={host} listens on every network interface: the dashboard "
                             f"{EXPOSED} (TRACKER_HOST=127.0.0.1 keeps it on this machine)."] if warns else [])
    if args == ["up"]:
        assert '"state": "stopped"' in (tmp_path / "tracker.daemon.json").read_text()


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something else already listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


BUSY = "{busy}"
ERROR_CASES = [
    pytest.param({"TRACKER_HOST": "999.1.1.1"}, ["TRACKER_HOST", "999.1.1.1", "an IP address or a host name"],
                 id="host-999"),
    pytest.param({"TRACKER_HOST": "no-such-host.invalid"}, ["no-such-host.invalid", "resolve"], id="host-unknown"),
    pytest.param({"TRACKER_HOST": "10.255.255.1"}, ["10.255.255.1", "not an address of this machine"],
                 id="host-not-here"),
    pytest.param({"TRACKER_HOST": "fe80::1"}, ["fe80::1", "not an address of this machine"], id="host-ipv6-not-here"),
    pytest.param({"TRACKER_HOST": "http://localhost"}, ["http://localhost", "an IP address or a host name"],
                 id="host-url"),
    pytest.param({"TRACKER_HOST": "local host"}, ["local host", "an IP address or a host name"], id="host-with-space"),
    pytest.param({"TRACKER_HOST": "x" * 300}, ["TRACKER_HOST", "an IP address or a host name"], id="host-too-long"),
    pytest.param({"TRACKER_PORT": BUSY}, ["port {busy}", "already in use", "TRACKER_PORT"], id="port-busy"),
    pytest.param({"TRACKER_PORT": BUSY, "TRACKER_HOST": "0.0.0.0"}, ["port {busy}", "already in use"],
                 id="port-busy-on-a-wildcard"),
    pytest.param({"TRACKER_PORT": "0"}, ["TRACKER_PORT"], id="port-0"),
    pytest.param({"TRACKER_PORT": "65536"}, ["TRACKER_PORT"], id="port-too-big"),
    pytest.param({"TRACKER_PORT": "http"}, ["TRACKER_PORT"], id="port-not-a-number"),
]


# every case runs `tracker dashboard`; the commands that start the daemon first run the main ones too
EVERY_COMMAND = {"host-999", "host-unknown", "host-not-here", "port-busy"}
ADDRESS_CASES = [
    pytest.param(command, *case.values, id=f"{' '.join(command)}-{case.id}")
    for case in ERROR_CASES
    for command in (["dashboard"], ["up"], ["up", "--demo"], ["demo"])
    if command == ["dashboard"] or case.id in EVERY_COMMAND
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "settings", "mentions"), ADDRESS_CASES)
def test_a_bad_address_is_one_line_and_starts_nothing(tmp_path: Path, busy_port: int, args: list[str],
                                                      settings: dict[str, str], mentions: list[str]) -> None:
    env = {k: v.replace(BUSY, str(busy_port)) for k, v in settings.items()}
    env.update({"TRACKER_DB": str(tmp_path / "tracker.duckdb"), "TRACKER_CTGOV_URL": "http://127.0.0.1:9/api/v2"})
    result = run_cli(args, env, timeout=60)
    assert_one_line_error(result, *[m.replace(BUSY, str(busy_port)) for m in mentions])
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == [], "nothing may start (no refresh, no daemon) before the address is checked"


@pytest.mark.slow
@pytest.mark.parametrize("args", [["dashboard"], ["up"]], ids=" ".join)
def test_streamlit_dying_at_start_is_one_line_and_stops_the_daemon(tmp_path: Path, args: list[str]) -> None:
    """Streamlit refuses a certificate without its key: the command must say so, not exit 0 or hang."""
    port = free_port()
    env = {"TRACKER_DB": str(tmp_path / "tracker.duckdb"), "TRACKER_PORT": str(port),
           "TRACKER_CTGOV_URL": "http://127.0.0.1:9/api/v2", "STREAMLIT_SERVER_SSL_CERT_FILE": "/nonexistent.pem"}
    result = run_cli(args, env, timeout=90)
    assert_one_line_error(result, "dashboard", f"port {port}", "exited with status 1", "sslKeyFile")
    assert not is_listening(port)
    if args == ["up"]:
        assert '"state": "stopped"' in (tmp_path / "tracker.daemon.json").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("args", [["dashboard"], ["up"]], ids=" ".join)
def test_streamlit_dying_later_is_one_line_and_stops_the_daemon(tmp_path: Path, args: list[str]) -> None:
    port = free_port()
    process = start_tracker(args, {"TRACKER_DB": str(tmp_path / "tracker.duckdb"), "TRACKER_PORT": str(port)})
    try:
        wait_for_dashboard(process, port)
        [streamlit] = psutil.Process(process.pid).children()
        streamlit.kill()
        _, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1
    assert [line for line in errors.splitlines() if line.strip()] == [
        f"Error: the dashboard (port {port} on 127.0.0.1) was killed by SIGKILL unexpectedly"]
    if args == ["up"]:
        assert '"state": "stopped"' in (tmp_path / "tracker.daemon.json").read_text()


def test_no_warning_on_loopback(tmp_path: Path) -> None:
    """127.0.0.2 is loopback too: the check binds it, and says nothing."""
    from tracker.serve import check_listen

    listen = check_listen(Settings(db_path=tmp_path / "t.duckdb", host="127.0.0.2", port=free_port()))
    assert listen.is_loopback and listen.warning is None
