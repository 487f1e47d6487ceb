"""Where the bundled data files are: `data/` beside this package, shipped as package data."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
VOCABULARY_FILE = DATA_DIR / "vocabulary.toml"
AGENTS_FILE = DATA_DIR / "agents.toml"
RULES_FILE = DATA_DIR / "rules.toml"
INDICATIONS_FILE = DATA_DIR / "indications.toml"
# the generic CT.gov searches of the scope (read by tracker.scope)
SCOPE_FILE = DATA_DIR / "scope.toml"
