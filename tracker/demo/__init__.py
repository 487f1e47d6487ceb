"""The offline demo of `tracker up --demo`: a CT.gov API v2 stand-in serving a bundled synthetic corpus.

* :mod:`.standin` — a loopback HTTP server with the API's semantics (:mod:`.query`, :mod:`.essie`,
  :mod:`.fields`) and its per-study history endpoints (:mod:`.history`), over a :mod:`.registry` of studies;
* :mod:`.corpus` — the 600-trial demo corpus, read from ``data/demo-corpus.json.gz``;
* :mod:`.activity` — six weeks of registry edits replayed before the demo's "today", so the change pages
  have history.

The test rig (``tests/standin``) builds on it: faults, an admin API, the synthetic generator.
"""
