"""Labels computed while a refresh still loads: the batches' new versions, classified in a thread of their own.

Classifying is Python and polars while loading is DuckDB, so on two cores the one runs beside the other
instead of after it. A trial's labels depend on its normalized rows alone, and a batch's are classified
from the rows its load just wrote; a trial whose content changes again in a later batch of the run takes
that batch's labels. A few batches go to the classifier at once (EARLY_CHUNK), since a call has a fixed
cost. The classify stage then writes these labels as if it had computed them itself.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import polars as pl

from tracker import db, landscape

IN_FLIGHT = 2  # classifier calls waiting: their input frames are held meanwhile
# trials per classifier call: a call costs ~0.45 CPU-s whatever its size (regexes and alias automata built
# anew), so batches of 4,000 are classified a few at once, not one by one
EARLY_CHUNK = 10_000


class EarlyLabels:
    """The labels of every batch submitted so far, computed one batch at a time beside the loading."""

    def __init__(self, domain: landscape.Domain) -> None:
        self._domain = domain
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="labels")
        self._pending: list[Future[landscape.Labels]] = []
        self._gathered: list[dict[str, pl.DataFrame]] = []  # batches read, not yet handed to the classifier
        self._gathered_trials = 0

    def submit(self, con: db.Connection) -> None:
        """Classify the trials of temp table page_changed from the core rows the batch's load just wrote.

        The batch's rows are read now (the next batch may replace them) and classified once EARLY_CHUNK
        trials have gathered, or when the result is asked for.
        """
        inputs = landscape.read_inputs(con, "where nct_id in (select nct_id from page_changed)")
        self._gathered.append(inputs)
        self._gathered_trials += inputs["trials"].height
        if self._gathered_trials >= EARLY_CHUNK:
            self._classify_gathered()

    def flush(self) -> None:
        """Hand what has gathered to the classifier now: no batch follows (the loading is over)."""
        self._classify_gathered()

    def _classify_gathered(self) -> None:
        if not self._gathered:
            return
        waiting = [f for f in self._pending if not f.done()]
        if len(waiting) >= IN_FLIGHT:
            waiting[0].result()  # the classifier is behind: hold no more input frames than this
        inputs = latest_inputs(self._gathered)
        self._gathered, self._gathered_trials = [], 0
        self._pending.append(self._pool.submit(landscape.label, self._domain, inputs))

    def result(self) -> landscape.Labels | None:
        """Every batch's labels, the latest batch's for a trial labelled twice; None when nothing was submitted."""
        self._classify_gathered()
        if not self._pending:
            return None
        parts = [future.result() for future in self._pending]
        tables = latest_rows([(p.trial_ids, p.tables) for p in parts])
        return landscape.Labels(pl.concat([p.trial_ids.select("nct_id") for p in parts]).unique(), tables)

    def close(self) -> None:
        """Stop the thread; a batch it has not started is dropped (the run failed or is over)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def latest_inputs(batches: list[dict[str, pl.DataFrame]]) -> dict[str, pl.DataFrame]:
    """The classifier inputs of several batches as one: a trial in two batches has the later batch's rows."""
    return latest_rows([(inputs["trials"], inputs) for inputs in batches])


def latest_rows(batches: list[tuple[pl.DataFrame, dict[str, pl.DataFrame]]]) -> dict[str, pl.DataFrame]:
    """Frames of several batches, each given with its trials (nct_id), as one frame per name: a trial in two
    batches keeps the later batch's rows only."""
    later = pl.DataFrame(schema={"nct_id": pl.String})
    parts: dict[str, list[pl.DataFrame]] = {name: [] for name in batches[0][1]}
    for trials, frames in reversed(batches):
        for name, frame in frames.items():
            parts[name].append(frame.join(later, on="nct_id", how="anti"))
        later = pl.concat([later, trials.select("nct_id")])
    return {name: pl.concat(frames[::-1], how="vertical_relaxed") for name, frames in parts.items()}
