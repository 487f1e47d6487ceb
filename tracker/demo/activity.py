"""Demo activity: six weeks of registry edits replayed before :data:`DEMO_TODAY`, one refresh a week.

The offline demo starts its registry :data:`DEMO_WEEKS` weeks before ``DEMO_TODAY`` (trials first posted
later are held back). A first full refresh is the baseline; then each week the registry moves forward seven
days, a handful of seeded, realistic edits are posted on landscape trials (status moves, terminations and
suspensions with a reason, primary-completion slips, enrollment changes, phase advances, results, new
trials) and an incremental refresh picks them up, so the Changes and Readouts pages have real history
detected by the tracker's own change stage. The last week ends on ``DEMO_TODAY``.

The edits depend only on the seed, so :meth:`DemoActivity.finish` can bring the registry to the same final
state without refreshing (a demo database that already holds data is served what it last saw).
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from tracker.demo.corpus import DEMO_SEED, DEMO_TODAY, load_demo
from tracker.demo.registry import Registry, Study

__all__ = ["DEMO_WEEKS", "DemoActivity", "Week"]

DEMO_WEEKS: Final = 6
NEW_TRIAL_START_ID: Final = 99_000_001

Edit = Callable[[Study], None]
OPEN = ("RECRUITING", "ACTIVE_NOT_RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION")
WHY_STOPPED = ("Sponsor decision", "Slow accrual", "Funding withdrawn", "Safety review by the DSMB",
               "Manufacturing issue with the cell product", "Business reasons")
PHASE_STEPS = {("EARLY_PHASE1",): ["PHASE1"], ("PHASE1",): ["PHASE1", "PHASE2"],
               ("PHASE1", "PHASE2"): ["PHASE2"], ("PHASE2",): ["PHASE3"]}


@dataclass(frozen=True)
class Week:
    number: int
    day: dt.date
    edits: int  # registry posts this week: updated and new trials


def _status(module: Study) -> dict[str, Any]:
    status: dict[str, Any] = module["protocolSection"]["statusModule"]
    return status


def _last_update(study: Study) -> str:
    return str((_status(study).get("lastUpdatePostDateStruct") or {}).get("date") or "")


def _first_post(study: Study) -> str:
    return str((_status(study).get("studyFirstPostDateStruct") or {}).get("date") or "")


def move_status(value: str, why: str | None = None) -> Edit:
    def edit(study: Study) -> None:
        module = _status(study)
        module["overallStatus"] = value
        if why:
            module["whyStopped"] = why
    return edit


def slip_completion(days: int) -> Edit:
    def edit(study: Study) -> None:
        struct = _status(study).setdefault("primaryCompletionDateStruct", {})
        year, _, month = (struct.get("date") or "2027-01")[:7].partition("-")
        old = dt.date(int(year), int(month or 1), 1)
        struct["date"] = (old + dt.timedelta(days=days)).isoformat()
        struct["type"] = "ESTIMATED"
    return edit


def change_enrollment(factor: float) -> Edit:
    def edit(study: Study) -> None:
        info = study["protocolSection"]["designModule"].setdefault("enrollmentInfo", {"type": "ESTIMATED"})
        info["count"] = max(1, round((info.get("count") or 20) * factor))
        info.setdefault("type", "ESTIMATED")
    return edit


def advance_phase(study: Study) -> None:
    design = study["protocolSection"]["designModule"]
    design["phases"] = PHASE_STEPS[tuple(design.get("phases") or ())]


def post_results(day: dt.date) -> Edit:
    def edit(study: Study) -> None:
        study["hasResults"] = True
        module = _status(study)
        module["resultsFirstSubmitDate"] = (day - dt.timedelta(days=30)).isoformat()
        module["resultsFirstPostDateStruct"] = {"date": day.isoformat(), "type": "ACTUAL"}
    return edit


class DemoActivity:
    """The demo registry, DEMO_WEEKS weeks before DEMO_TODAY, and the weekly edits that bring it to DEMO_TODAY."""

    def __init__(self, weeks: int = DEMO_WEEKS, seed: int = DEMO_SEED) -> None:
        self.weeks = weeks
        self.start = DEMO_TODAY - dt.timedelta(days=7 * weeks)
        self._random = random.Random(seed)
        self._week = 0
        corpus = load_demo()
        start = self.start.isoformat()
        self._held = sorted((s for s in corpus.studies if _first_post(s) > start), key=_last_update)
        self.registry = Registry([s for s in corpus.studies if _first_post(s) <= start], today=self.start)
        # landscape trials untouched since the start: an edit posted this week is their newest version
        self._pool = [
            sid for sid in self.registry.ids()
            if sid in corpus.landscape_trials and _last_update(self.registry.get(sid) or {}) <= start
        ]
        self._used: set[str] = set()
        self._next_id = NEW_TRIAL_START_ID

    @property
    def done(self) -> bool:
        return self._week >= self.weeks

    def replay(self) -> Iterator[Week]:
        """Each remaining week: advance the registry seven days, post the week's edits, yield it.

        The caller refreshes after each yield; at the end the registry's data date is DEMO_TODAY.
        """
        while not self.done:
            yield self._step()

    def finish(self) -> None:
        """Apply every remaining week without refreshing: the registry's state on DEMO_TODAY."""
        for _ in self.replay():
            pass

    def _pick(self, predicate: Callable[[Study], bool]) -> str | None:
        candidates = [sid for sid in self._pool
                      if sid not in self._used and predicate(self.registry.get(sid) or {})]
        if not candidates:
            return None
        sid = self._random.choice(candidates)
        self._used.add(sid)
        return sid

    def _edit(self, predicate: Callable[[Study], bool], *edits: Edit) -> int:
        sid = self._pick(predicate)
        if sid is None:
            return 0

        def apply(study: Study) -> None:
            for edit in edits:
                edit(study)
        self.registry.update(sid, apply)
        return 1

    def _step(self) -> Week:
        self._week += 1
        week, rnd = self._week, self._random
        day = self.registry.advance(7)

        def status_is(*values: str) -> Callable[[Study], bool]:
            return lambda s: _status(s).get("overallStatus") in values

        def future_completion(s: Study) -> bool:
            date = (_status(s).get("primaryCompletionDateStruct") or {}).get("date") or ""
            return _status(s).get("overallStatus") in OPEN and date[:7] >= day.isoformat()[:7]

        def phases_in(s: Study) -> bool:
            return tuple(s["protocolSection"]["designModule"].get("phases") or ()) in PHASE_STEPS

        edits = 0
        for _ in range(rnd.randint(1, 2)):
            edits += self._edit(status_is("RECRUITING"), move_status("ACTIVE_NOT_RECRUITING"))
        edits += self._edit(status_is("NOT_YET_RECRUITING"), move_status("RECRUITING"))
        for _ in range(rnd.randint(1, 2)):
            edits += self._edit(future_completion, slip_completion(rnd.randint(90, 270)))
        edits += self._edit(status_is(*OPEN), change_enrollment(rnd.choice((0.5, 0.7, 1.3, 1.5, 2.0))))
        if week % 3 == 2:
            stop = rnd.choice(("TERMINATED", "TERMINATED", "SUSPENDED"))
            edits += self._edit(status_is("RECRUITING", "ACTIVE_NOT_RECRUITING"),
                                move_status(stop, rnd.choice(WHY_STOPPED)))
        if week % 3 == 0:
            edits += self._edit(lambda s: status_is(*OPEN)(s) and phases_in(s), advance_phase)
        if week % 4 == 1:
            edits += self._edit(lambda s: status_is("COMPLETED")(s) and not s.get("hasResults"),
                                post_results(day))
        if week % 4 == 0:
            edits += self._new_trial()
        # trials of the corpus first posted this week appear now, as on CT.gov
        while self._held and (_last_update(self._held[0]) <= day.isoformat() or self.done):
            self.registry.add(self._held.pop(0), keep_dates=True)
            edits += 1
        return Week(week, day, edits)

    def _new_trial(self) -> int:
        sid = self._pick(lambda s: _status(s).get("overallStatus") in OPEN)
        if sid is None:
            return 0
        study = copy.deepcopy(self.registry.get(sid) or {})
        ident = study["protocolSection"]["identificationModule"]
        new_id = f"NCT{self._next_id:08d}"
        self._next_id += 1
        ident["nctId"] = new_id
        ident.pop("nctIdAliases", None)
        ident.pop("orgStudyIdInfo", None)
        if "briefTitle" in ident:
            ident["briefTitle"] = f"{ident['briefTitle']} (Expansion Cohort)"
        module = _status(study)
        module["overallStatus"] = "NOT_YET_RECRUITING"
        module["studyFirstSubmitDate"] = (self.registry.today - dt.timedelta(days=5)).isoformat()
        module.pop("studyFirstSubmitQcDate", None)
        self.registry.add(study)
        return 1
