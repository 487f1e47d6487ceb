"""Checks on what CT.gov sends before it may change the database: each study record, and a full run's scope drop.

CT.gov's answers are data from the network: a broken mirror, a proxy or a hostile server can send anything
that parses. A record the tracker cannot identify is not stored and fails the run, because skipping it
would make the trial it stood for look as if it had left the scope; a full run that would take a large
part of the landscape out of scope at once fails unless the user confirms it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import msgspec

from tracker.errors import CtGovError, ScopeDropRefused
from tracker.scope import NCT_ID

# a full run may mark at most this share of the trials in scope, or this many, as out of scope
# without a confirmation (both must be exceeded to refuse: small landscapes move by a few trials)
SCOPE_DROP_SHARE = 0.2
SCOPE_DROP_MIN = 50
MAX_REASONS_SHOWN = 3

_Date = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$")]


class _PostDate(msgspec.Struct):
    date: _Date | None = None
    type: str | None = None


class _Status(msgspec.Struct):
    lastUpdatePostDateStruct: _PostDate | None = None


class _Identification(msgspec.Struct):
    nctId: str


class _Protocol(msgspec.Struct):
    identificationModule: _Identification
    statusModule: _Status


class _Misc(msgspec.Struct):
    versionHolder: str | None = None


class _Derived(msgspec.Struct):
    miscInfoModule: _Misc | None = None


class _Record(msgspec.Struct):
    """The parts of a study the tracker relies on to identify, date and version it; the rest is kept as sent."""

    protocolSection: _Protocol
    derivedSection: _Derived | None = None


_record_decoder = msgspec.json.Decoder(_Record)


@dataclass(frozen=True)
class RecordKeys:
    """What the load needs of a record that passed the checks: read in the same decode, not a second one."""

    nct_id: str
    last_update_post_date: str | None
    last_update_post_date_type: str | None
    version_holder: str | None


def record_problem(raw: bytes) -> str | None:
    """Why one study record cannot be stored (None when it can): no id, a malformed id, missing modules."""
    checked = _checked(raw)
    return checked if isinstance(checked, str) else None


def _checked(raw: bytes) -> RecordKeys | str:
    try:
        record = _record_decoder.decode(raw)
    except msgspec.DecodeError as exc:
        return str(exc)
    nct_id = record.protocolSection.identificationModule.nctId
    if not NCT_ID.fullmatch(nct_id):
        shown = repr(nct_id) if len(nct_id) <= 40 else f"{nct_id[:40]!r}…"
        return f"nctId {shown} is not NCT followed by 8 digits"
    posted = record.protocolSection.statusModule.lastUpdatePostDateStruct
    misc = record.derivedSection.miscInfoModule if record.derivedSection else None
    return RecordKeys(nct_id, posted.date if posted else None, posted.type if posted else None,
                      misc.versionHolder if misc else None)


def check_records(studies: Sequence[bytes], *, label: str, page: int, url: str) -> list[RecordKeys]:
    """Each record's keys; CtGovError naming the first malformed records of a page, and nothing of the run kept."""
    checked = [_checked(raw) for raw in studies]
    problems = [(n, problem) for n, problem in enumerate(checked, start=1) if isinstance(problem, str)]
    if not problems:
        return [keys for keys in checked if isinstance(keys, RecordKeys)]
    shown = "; ".join(f"record {n}: {problem}" for n, problem in problems[:MAX_REASONS_SHOWN])
    more = f" (+{len(problems) - MAX_REASONS_SHOWN} more)" if len(problems) > MAX_REASONS_SHOWN else ""
    raise CtGovError(
        f"CT.gov sent {len(problems)} malformed study record(s) on page {page} of query {label!r}: {shown}{more}; "
        "the answer is not trusted and nothing from this run was kept",
        url=url,
    )


def check_scope_drop(left: int, in_scope_before: int, *, allowed: bool) -> None:
    """Refuse a full run that would mark too many of the trials in scope as out of scope at once."""
    if allowed or left <= SCOPE_DROP_MIN or left <= SCOPE_DROP_SHARE * in_scope_before:
        return
    raise ScopeDropRefused(
        f"this full run would mark {left:,} of the {in_scope_before:,} trials in scope "
        f"({left / max(in_scope_before, 1):.0%}) as out of scope at once (more than {SCOPE_DROP_SHARE:.0%} and "
        f"more than {SCOPE_DROP_MIN}); CT.gov's answer looks wrong, so nothing from this run was kept. If those "
        "trials really left the scope, confirm with `tracker refresh --full --allow-scope-drop`"
    )
