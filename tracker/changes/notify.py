"""After a refresh: the Atom feed of its changes beside the database, and the user's hook command.

The feed holds exactly the changes the last run found at or above TRACKER_FEED_SEVERITY (a run that
found none writes an empty feed), each entry linking to the CT.gov record; it is replaced in one
rename, so a feed reader never sees half of it. TRACKER_CHANGES_HOOK, when set, is run through the
shell with the same changes as a JSON array on stdin, so a user can mail or post them; a hook that
fails or hangs is logged and never fails the refresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tracker import db
from tracker.config import Settings
from tracker.errors import TrackerError

log = logging.getLogger(__name__)

ATOM = "http://www.w3.org/2005/Atom"
HOOK_TIMEOUT_SECONDS = 120
LEVELS = {"minor": ["minor", "major", "critical"], "major": ["major", "critical"], "critical": ["critical"]}
FEED_COLUMNS = ("change_id, nct_id, field, old_value, new_value, shift_days, pct_change, severity, reason, "
                "mechanism_class, target, phase, is_nk_specific, source, posted_date, detected_at, brief_title, url, "
                "run_id, version_before, version_after")


def run_changes(settings: Settings, run_id: int) -> list[dict[str, Any]]:
    """The changes a run found at or above the feed severity, most severe first."""
    frame = db.read_frame(settings.db_path, f"""
        select {FEED_COLUMNS} from trial_changes
        where run_id = ? and list_contains(?, severity)
        order by case severity when 'critical' then 0 when 'major' then 1 else 2 end, posted_date desc, nct_id, field
    """, [run_id, LEVELS[settings.feed_severity]])
    return frame.to_dicts()


def after_refresh(settings: Settings, run_id: int) -> int:
    """Write the feed and run the hook for one finished run; returns how many changes went out."""
    try:
        changes = run_changes(settings, run_id)
        write_feed(settings.feed_path, changes, severity=settings.feed_severity, now=datetime.now(UTC))
    except (TrackerError, OSError) as exc:
        log.error("the changes feed was not written: %s", exc)
        return 0
    if settings.changes_hook and changes:
        run_hook(settings.changes_hook, changes)
    return len(changes)


def feed_xml(changes: list[dict[str, Any]], *, severity: str, now: datetime) -> bytes:
    """An Atom 1.0 document with one entry per change."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "title", f"NK-cell immunotherapy landscape: {severity} changes and above")
    _text(feed, "id", "urn:nk-landscape-tracker:changes")
    _text(feed, "updated", _stamp(now))
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "nk-landscape-tracker")
    _text(feed, "generator", "nk-landscape-tracker")
    for change in changes:
        feed.append(_entry(change, now))
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


def _entry(change: dict[str, Any], now: datetime) -> ET.Element:
    entry = ET.Element(f"{{{ATOM}}}entry")
    key = "|".join(str(change.get(k)) for k in ("nct_id", "field", "version_before", "version_after",
                                                 "old_value", "new_value", "source"))
    _text(entry, "id", f"urn:nk-landscape-tracker:change:{hashlib.sha1(key.encode()).hexdigest()}")
    _text(entry, "title", f"[{change['severity']}] {change['nct_id']}: {change['reason']}")
    _text(entry, "updated", _stamp(change.get("detected_at") or now))
    if isinstance(change.get("posted_date"), date):
        _text(entry, "published", _stamp(change["posted_date"]))
    ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html", "href": change["url"]})
    mechanism = "/".join(x for x in (change.get("mechanism_class"), change.get("target")) if x)
    summary = [f"{change['field']}: {change.get('old_value') or '—'} → {change.get('new_value') or '—'}",
               change.get("brief_title") or "",
               f"mechanism: {mechanism or 'none'}; phase: {change.get('phase') or '—'}",
               f"posted by CT.gov {change.get('posted_date')}; source: {change.get('source')}"]
    _text(entry, "summary", "\n".join(s for s in summary if s))
    for term in (change["severity"], change["field"], change.get("mechanism_class")):
        if term:
            ET.SubElement(entry, f"{{{ATOM}}}category", {"term": str(term)})
    return entry


def write_feed(path: Path, changes: list[dict[str, Any]], *, severity: str, now: datetime) -> None:
    """Replace the feed file atomically."""
    body = feed_xml(changes, severity=severity, now=now)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp",
                                     delete=False) as handle:
        handle.write(body)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(handle.name, path)


def run_hook(command: str, changes: list[dict[str, Any]]) -> bool:
    """Run the user's command with the changes as JSON on stdin; True when it exited 0."""
    payload = json.dumps(changes, default=str, ensure_ascii=False)
    try:
        done = subprocess.run(command, shell=True, input=payload, text=True, capture_output=True,
                              timeout=HOOK_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        log.error("the changes hook did not finish within %d s and was stopped: %s", HOOK_TIMEOUT_SECONDS, command)
        return False
    except OSError as exc:
        log.error("the changes hook could not be started (%s): %s", exc, command)
        return False
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        log.error("the changes hook exited with status %d%s", done.returncode, f": {detail[-1]}" if detail else "")
        return False
    log.info("the changes hook received %d change(s)", len(changes))
    return True


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{tag}").text = text


def _stamp(value: datetime | date) -> str:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
