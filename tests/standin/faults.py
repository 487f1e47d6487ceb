"""Fault injection: what can go wrong on the way to CT.gov, per request to ``/api/v2`` (never ``/_admin``).

The fault kinds and what a client sees:

``429``             status 429, ``text/plain`` body, no ``Retry-After`` (as CT.gov would send it, if ever)
``429ra``           status 429 with ``Retry-After: <retry_after_seconds>``
``500`` / ``503``   status 500 / 503 with a short ``text/plain`` body (503 reads like the Envoy proxy's)
``reset``           the request is read, then the socket is closed with ``SO_LINGER`` 0: a TCP RST, no response
``truncate_close``  headers with the full ``Content-Length``, half of the body, then the connection closes
``truncate_json``   a complete, well-framed HTTP response whose JSON body is cut in half
``truncate_archive`` (script only) the bulk download sends half the archive and ends the response cleanly
``cut_archive``     (script only) the bulk download sends half the archive and drops the connection
``empty_page``      (``p_empty_middle_page`` or the script) a ``/studies`` page *after the first* with
                    ``"studies": []`` and a token that resumes where it stopped; only while studies remain

``script`` is consumed one name per request before any random draw ("ok" = no fault); random faults
come from one RNG seeded with ``seed``, so a single-threaded client sees the same faults on every run.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Final

__all__ = ["FAULT_NAMES", "SCRIPT_NAMES", "FaultEngine", "Faults"]

FAULT_NAMES: Final = ("429", "429ra", "500", "503", "reset", "truncate_close", "truncate_json")
# the bulk download's own faults (bulk.py) are scripted only: a random mix never truncates an archive
ARCHIVE_FAULTS: Final = ("truncate_archive", "cut_archive")
SCRIPT_NAMES: Final = frozenset({*FAULT_NAMES, *ARCHIVE_FAULTS, "ok", "empty_page"})
# how Faults.mixed spreads its rate: throttling and gateway errors are the common real failures
_MIXED_SHARES: Final = (0.2, 0.15, 0.1, 0.2, 0.15, 0.1, 0.1)


@dataclass
class Faults:
    """A fault profile.  Probabilities are per request; the seven response faults add up to at most 1.

    Mutating a live profile's probabilities takes effect at once; a new ``script`` or ``seed`` needs a
    new profile assigned to ``FaultyStandIn.faults`` (which restarts the script and the RNG).
    """

    seed: int = 0
    p_429: float = 0.0
    p_429_retry_after: float = 0.0
    retry_after_seconds: float = 1
    p_500: float = 0.0
    p_503: float = 0.0
    p_reset: float = 0.0
    p_truncate_close: float = 0.0
    p_truncate_json: float = 0.0
    p_empty_middle_page: float = 0.0
    spurious_last_token: bool = True  # the real quirk: an exactly full last page still carries a token
    honour_range: bool = True  # the bulk download answers Range with 206; False: always the whole archive
    delay_s: float = 0.0
    script: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        probabilities = self.probabilities()
        if any(not 0.0 <= p <= 1.0 for p in (*probabilities, self.p_empty_middle_page)):
            raise ValueError("fault probabilities must lie in [0, 1]")
        if sum(probabilities) > 1.0 + 1e-9:
            raise ValueError("fault probabilities must add up to at most 1")
        unknown = [name for name in self.script if name not in SCRIPT_NAMES]
        if unknown:
            raise ValueError(f"unknown fault names in script: {unknown} (known: {sorted(SCRIPT_NAMES)})")
        if self.delay_s < 0 or self.retry_after_seconds < 0:
            raise ValueError("delays must not be negative")

    def probabilities(self) -> tuple[float, ...]:
        """The probabilities of FAULT_NAMES, in that order."""
        return (
            self.p_429, self.p_429_retry_after, self.p_500, self.p_503,
            self.p_reset, self.p_truncate_close, self.p_truncate_json,
        )

    @classmethod
    def mixed(cls, rate: float, seed: int = 0) -> Faults:
        """Spread a total fault probability of rate over 429, 429+Retry-After, 5xx, resets and truncations."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("the fault rate must lie in [0, 1]")
        p = {name: rate * share for name, share in zip(FAULT_NAMES, _MIXED_SHARES, strict=True)}
        return cls(
            seed=seed,
            p_429=p["429"],
            p_429_retry_after=p["429ra"],
            p_500=p["500"],
            p_503=p["503"],
            p_reset=p["reset"],
            p_truncate_close=p["truncate_close"],
            p_truncate_json=p["truncate_json"],
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Faults:
        """Build from a JSON object; unknown keys raise ValueError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown Faults fields: {unknown}")
        return cls(**dict(data))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultEngine:
    """Draws the fault of each request from one profile: its script first, then its RNG."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)
        self._script = deque(faults.script)
        self._lock = threading.Lock()

    def draw(self) -> str | None:
        """Return the fault for this request: the next scripted name, else a random draw."""
        with self._lock:
            if self._script:
                name = self._script.popleft()
                return None if name == "ok" else name
            roll = self._rng.random()
        cumulative = 0.0
        for name, p in zip(FAULT_NAMES, self.faults.probabilities(), strict=True):
            cumulative += p
            if roll < cumulative:
                return name
        return None

    def empty_page(self) -> bool:
        """Whether this later page comes back empty (drawn only when the profile asks for it)."""
        if self.faults.p_empty_middle_page <= 0:
            return False
        with self._lock:
            return self._rng.random() < self.faults.p_empty_middle_page
