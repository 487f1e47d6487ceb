"""Labels computed while a refresh still loads: the batches' new versions, classified in a thread of their own.

Classifying is Python and polars while loading is DuckDB, so on two cores the one runs beside the other
instead of after it. A trial's labels depend on its normalized rows alone. Once a batch has committed, its
changed trials are handed over; the thread reads their rows through a connection of its own (it sees what
is committed, never a batch half loaded) and classifies them. A few batches go to the classifier at once
(EARLY_CHUNK), since a call has a fixed cost; a trial whose content changes again in a later batch of the
run is read again with that batch and takes its labels. The classify stage then writes these labels as if
it had computed them itself.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import polars as pl

from tracker import db, landscape

IN_FLIGHT = 2  # classifier calls waiting: the thread is behind, and the loading waits rather than pile up calls
# trials per classifier call: a call costs ~0.45 CPU-s whatever its size (regexes and alias automata built
# anew), so batches of 4,000 are classified a few at once, not one by one
EARLY_CHUNK = 10_000


class EarlyLabels:
    """The labels of every batch submitted so far, read and computed beside the loading."""

    def __init__(self, domain: landscape.Domain, con: db.Connection) -> None:
        self._domain = domain
        self._reader = db.second_connection(con)  # the labelling thread's, to the same database
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="labels")
        self._pending: list[Future[landscape.Labels]] = []
        self._gathered: list[pl.DataFrame] = []  # trials of committed batches, not yet handed to the classifier
        self._gathered_trials = 0

    def submit(self, changed: pl.DataFrame, *, flush: bool = False) -> None:
        """Classify the trials (nct_id) a batch that has committed changed.

        They are classified once EARLY_CHUNK trials have gathered, when `flush` says the next batch is the
        query's last (so that it alone is left for the run's tail), or when the result is asked for.
        """
        self._gathered.append(changed.select("nct_id"))
        self._gathered_trials += changed.height
        if flush or self._gathered_trials >= EARLY_CHUNK:
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
        trials = pl.concat(self._gathered).unique()
        self._gathered, self._gathered_trials = [], 0
        self._pending.append(self._pool.submit(self._label, trials))

    def _label(self, trials: pl.DataFrame) -> landscape.Labels:
        """The labels of `trials`, from their rows as committed now (the labelling thread)."""
        reader = self._reader
        db.register(reader, "early_trials", trials)
        try:
            inputs = landscape.read_inputs(reader, "where nct_id in (select nct_id from early_trials)")
        finally:
            db.unregister(reader, "early_trials")
        return landscape.label(self._domain, inputs)

    def result(self) -> landscape.Labels | None:
        """Every batch's labels, the latest call's for a trial labelled twice; None when nothing was submitted."""
        self._classify_gathered()
        if not self._pending:
            return None
        parts = [future.result() for future in self._pending]
        tables = latest_rows([(p.trial_ids, p.tables) for p in parts])
        return landscape.Labels(pl.concat([p.trial_ids.select("nct_id") for p in parts]).unique(), tables)

    def close(self) -> None:
        """Stop the thread (a call it has not started is dropped: the run failed or is over) and its connection."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._reader.close()


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
