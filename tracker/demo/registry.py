"""The registry of studies the stand-in serves: records, aliases, the data date and daily updates.

Every stored study is wrapped in a :class:`Record` that caches what serving needs: its compact JSON
(serialized once, split around ``derivedSection.miscInfoModule.versionHolder`` so the data date can be
spliced in per request), and the folded search text of each piece or area that a query has touched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Final

import msgspec

from tracker.demo.fields import Field, field_text, leaves

__all__ = ["DEFAULT_TODAY", "Record", "Registry", "Study", "bulk_allocation", "normalize_nct_id", "shallow_changes"]

Study = dict[str, Any]
Mutation = Callable[[Study], None]

# the day the bundled corpora are dated (corpus.DEMO_TODAY): served studies carry it as versionHolder
DEFAULT_TODAY: Final = dt.date(2026, 11, 20)
NCT_PATTERN: Final = re.compile(r"^[Nn][Cc][Tt]0*[1-9]\d{0,7}$")
_STORED_ID: Final = re.compile(r"NCT\d{8}")
_VH_SENTINEL: Final = "@@standin:versionHolder@@"
_VH_SPLIT: Final = b'"' + _VH_SENTINEL.encode() + b'"'
ENCODER: Final = msgspec.json.Encoder()

# keys an update may name directly, and the protocolSection module that holds each
_MODULE_OF_KEY: Final = {
    **dict.fromkeys(("overallStatus", "lastKnownStatus", "whyStopped", "statusVerifiedDate"), "statusModule"),
    **dict.fromkeys(("briefTitle", "officialTitle", "acronym", "nctIdAliases"), "identificationModule"),
    **dict.fromkeys(("conditions", "keywords"), "conditionsModule"),
    **dict.fromkeys(("phases", "studyType"), "designModule"),
    **dict.fromkeys(("briefSummary", "detailedDescription"), "descriptionModule"),
}


def normalize_nct_id(value: str) -> str:
    """Return ``NCT`` + 8 digits for an id matching the API's NCT pattern; raise ValueError otherwise."""
    text = value.strip()
    if not NCT_PATTERN.match(text):
        raise ValueError(f"Invalid NCT ID: {value}")
    return f"NCT{int(text[3:]):08d}"


def timestamp_of(day: dt.date) -> str:
    """The /version dataTimestamp of a daily refresh (CT.gov posts around 09:00 UTC)."""
    return f"{day.isoformat()}T09:00:05"


def fresh(value: Any) -> Any:
    """Copy the containers of a JSON value; strings are immutable, so they are shared."""
    if type(value) is dict:
        return {k: fresh(v) for k, v in value.items()}
    if type(value) is list:
        return [fresh(v) for v in value]
    return value


def study_nct_id(study: Mapping[str, Any]) -> str:
    """The nctId of a study; ValueError when it is missing or not NCT + 8 digits."""
    try:
        nct_id = study["protocolSection"]["identificationModule"]["nctId"]
    except (KeyError, TypeError) as exc:
        raise ValueError("study has no protocolSection.identificationModule.nctId") from exc
    if not isinstance(nct_id, str) or not _STORED_ID.fullmatch(nct_id):
        raise ValueError(f"study nctId {nct_id!r} is not NCT followed by 8 digits")
    return nct_id


def _status_module(study: Study) -> dict[str, Any]:
    section: dict[str, Any] = study.setdefault("protocolSection", {})
    module: dict[str, Any] = section.setdefault("statusModule", {})
    return module


def with_version_holder(study: Study, holder: str) -> Study:
    """Return a shallow copy of the study whose derivedSection.miscInfoModule.versionHolder is holder."""
    derived = dict(study.get("derivedSection") or {})
    misc = dict(derived.get("miscInfoModule") or {})
    misc["versionHolder"] = holder
    if "miscInfoModule" in derived:
        derived["miscInfoModule"] = misc
    else:
        derived = {"miscInfoModule": misc, **derived}
    if "derivedSection" in study:
        return {**study, "derivedSection": derived}
    # the API writes derivedSection just before hasResults; keep that key order
    patched: Study = {}
    for key, value in study.items():
        if key == "hasResults":
            patched["derivedSection"] = derived
        patched[key] = value
    patched.setdefault("derivedSection", derived)
    return patched


@contextlib.contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large corpus is built, then freeze what was built.

    A corpus is millions of small, acyclic, long-lived dicts.  Left to the collector, every full
    collection rescans all of them: loading 20,000 studies took twice as long, and every later burst
    of allocation (decoding a 17 MB page in the same process) paid seconds for it.  Frozen objects are
    still freed by reference counting when dropped; only reference cycles among them would leak.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def shallow_changes(changes: Mapping[str, Any]) -> Mutation:
    """Turn ``{"overallStatus": "COMPLETED"}`` or ``{"statusModule": {...}}`` into a study mutation.

    A module name merges its dict into that protocolSection module; any other key is set in the
    module that holds it (known keys first, else the first module that already has the key).
    """

    def mutate(study: Study) -> None:
        section: dict[str, Any] = study.setdefault("protocolSection", {})
        for key, value in changes.items():
            if isinstance(section.get(key), dict) and isinstance(value, dict):
                section[key].update(value)
                continue
            module = _MODULE_OF_KEY.get(key) or next(
                (m for m, content in section.items() if isinstance(content, dict) and key in content), None
            )
            if module is None:
                raise ValueError(f"cannot tell which protocolSection module holds {key!r}")
            section.setdefault(module, {})[key] = value

    return mutate


class Record:
    """One stored study plus caches derived from it; replaced (never mutated) when the study changes."""

    __slots__ = ("nct_id", "study", "aliases", "order_key", "_parts", "_texts", "_values")

    def __init__(self, study: Study) -> None:
        self.study = study
        self.nct_id = study_nct_id(study)
        aliases = study["protocolSection"]["identificationModule"].get("nctIdAliases") or []
        self.aliases: tuple[str, ...] = tuple(a for a in aliases if isinstance(a, str))
        # the API is "unsorted by default"; a hash order is stable yet unrelated to NCT order
        self.order_key = hashlib.blake2b(self.nct_id.encode(), digest_size=8).digest()
        self._parts: tuple[bytes, bytes] | None = None
        self._texts: dict[str, bytes] = {}
        self._values: dict[str, list[Any]] = {}

    def parts(self) -> tuple[bytes, bytes]:
        """Compact JSON of the study split around the versionHolder value, serialized once."""
        if self._parts is None:
            raw = ENCODER.encode(with_version_holder(self.study, _VH_SENTINEL))
            head, sep, tail = raw.partition(_VH_SPLIT)
            if not sep:
                raise RuntimeError(f"{self.nct_id}: versionHolder sentinel lost in serialization")
            self._parts = (head, tail)
        return self._parts

    def text(self, fld: Field) -> bytes:
        cached = self._texts.get(fld.name)
        if cached is None:
            cached = self._texts[fld.name] = field_text(self.study, fld)
        return cached

    def values(self, fld: Field) -> list[Any]:
        cached = self._values.get(fld.name)
        if cached is None:
            cached = self._values[fld.name] = [v for p in fld.paths for v in leaves(self.study, p)]
        return cached

    def matches_id(self, ids: frozenset[str]) -> bool:
        return self.nct_id in ids or not ids.isdisjoint(self.aliases)


class Registry:
    """Thread-safe store of the studies the stand-in serves, keyed by nctId in insertion order.

    ``today`` is the data date: the day of the last daily refresh, served as every study's
    versionHolder and in ``/version``.  The registry takes ownership of the dicts it is given; change
    a stored study only through :meth:`update`, which copies it, so pages being served stay consistent.
    """

    def __init__(
        self,
        studies: Iterable[Study] = (),
        *,
        today: dt.date = DEFAULT_TODAY,
        data_timestamp: str | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self._records: dict[str, Record] = {}
        self._aliases: dict[str, str] = {}
        # every version each study was posted in, oldest first: what CT.gov's history endpoints serve
        self._versions: dict[str, list[Study]] = {}
        self._ordered: list[Record] | None = None
        self._today = today
        self._data_timestamp = data_timestamp or timestamp_of(today)
        with bulk_allocation():
            for study in studies:
                self.add(study, keep_dates=True)

    @property
    def today(self) -> dt.date:
        return self._today

    @property
    def data_timestamp(self) -> str:
        return self._data_timestamp

    @property
    def data_date(self) -> str:
        """The date every served study carries as derivedSection.miscInfoModule.versionHolder."""
        return self._today.isoformat()

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, nct_id: object) -> bool:
        return nct_id in self._records

    def ids(self) -> list[str]:
        """Return the NCT ids in insertion order."""
        with self._lock:
            return list(self._records)

    def get(self, nct_id: str) -> Study | None:
        """Return the stored study (not a copy: do not mutate it), or None."""
        record = self._records.get(nct_id)
        return record.study if record else None

    def record(self, nct_id: str) -> Record | None:
        return self._records.get(nct_id)

    def resolve(self, nct_id: str) -> str | None:
        """Return the current id for an id or an alias, or None when neither is known."""
        with self._lock:
            if nct_id in self._records:
                return nct_id
            return self._aliases.get(nct_id)

    def aliases(self) -> dict[str, str]:
        """Return a copy of the alias → current id map."""
        with self._lock:
            return dict(self._aliases)

    def add(self, study: Study, *, keep_dates: bool = False) -> str:
        """Store a new study; unless keep_dates, it is first posted and last updated today."""
        nct_id = study_nct_id(study)
        with self._lock:
            if nct_id in self._records:
                raise ValueError(f"{nct_id} is already in the registry; use update()")
            if not keep_dates:
                today = self.data_date
                module = _status_module(study)
                module.setdefault("studyFirstSubmitDate", today)
                module["studyFirstPostDateStruct"] = {"date": today, "type": "ACTUAL"}
                module["lastUpdateSubmitDate"] = today
                module["lastUpdatePostDateStruct"] = {"date": today, "type": "ACTUAL"}
            self._store(Record(study))
        return nct_id

    def update(self, nct_id: str, change: Mutation | Mapping[str, Any] | None = None) -> Study:
        """Apply change to a copy of the study, post it as updated today and return the new study.

        change is a function that edits the copy in place, or a mapping of shallow changes
        (see :func:`shallow_changes`); None only re-posts the study (a no-op "update").
        """
        mutate = shallow_changes(change) if isinstance(change, Mapping) else change
        with self._lock:
            record = self._records.get(nct_id)
            if record is None:
                raise KeyError(nct_id)
            study: Study = fresh(record.study)
            if mutate is not None:
                mutate(study)
            if study_nct_id(study) != nct_id:
                raise ValueError(f"update of {nct_id} must not change its nctId")
            module = _status_module(study)
            module["lastUpdateSubmitDate"] = self.data_date
            module["lastUpdatePostDateStruct"] = {"date": self.data_date, "type": "ACTUAL"}
            self._store(Record(study))
            return study

    def remove(self, nct_id: str) -> None:
        """Delete a study and the aliases that pointed to it; KeyError when it is not stored."""
        with self._lock:
            record = self._records.pop(nct_id)
            for alias in record.aliases:
                self._aliases.pop(alias, None)
            self._ordered = None

    def add_alias(self, old_id: str, current_id: str) -> None:
        """Make old_id an alias of current_id (a merged duplicate); a stored old_id record is dropped."""
        old_id, current_id = normalize_nct_id(old_id), normalize_nct_id(current_id)
        with self._lock:
            record = self._records.get(current_id)
            if record is None:
                raise KeyError(current_id)
            if old_id == current_id:
                raise ValueError("an id cannot be an alias of itself")
            if old_id in self._records:
                self.remove(old_id)
            study: Study = fresh(record.study)
            ident = study["protocolSection"]["identificationModule"]
            aliases = ident.setdefault("nctIdAliases", [])
            if old_id not in aliases:
                aliases.append(old_id)
            self._store(Record(study))

    def advance(self, days: int = 1) -> dt.date:
        """Move the data date forward (a new daily refresh) and return the new date."""
        with self._lock:
            self._today = self._today + dt.timedelta(days=days)
            self._data_timestamp = timestamp_of(self._today)
            return self._today

    def warm(self, areas: Iterable[Field] = ()) -> None:
        """Serialize every study now, and fold the given areas, instead of on the first request."""
        wanted = list(areas)
        for record in self.snapshot():
            record.parts()
            for fld in wanted:
                record.text(fld)

    def snapshot(self) -> list[Record]:
        """All records in the stable default order the API serves them in (do not mutate the list)."""
        with self._lock:
            if self._ordered is None:
                self._ordered = sorted(self._records.values(), key=lambda r: r.order_key)
            return self._ordered

    def versions(self, nct_id: str) -> list[Study]:
        """Every version of a study as it was posted, oldest first (a copy of the list)."""
        with self._lock:
            return list(self._versions.get(nct_id, []))

    def _store(self, record: Record) -> None:
        self._versions.setdefault(record.nct_id, []).append(record.study)
        previous = self._records.get(record.nct_id)
        if previous is not None:
            for alias in previous.aliases:
                self._aliases.pop(alias, None)
        self._records[record.nct_id] = record
        for alias in record.aliases:
            self._aliases[alias] = record.nct_id
        self._ordered = None
