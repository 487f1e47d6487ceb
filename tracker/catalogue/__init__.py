"""The reviewed domain data: vocabulary, agent catalogue, generic rules and indication map, loaded from TOML.

The domain lives in data files (`tracker/catalogue/data/*.toml`) so that adding an agent or a rule is
a reviewed edit of a TOML file, not a code change. This package only reads and checks them: every
mistake is reported as a `CatalogueError` naming the file, the line and the field, in one line.

- `model`: the dataclasses the loaders return;
- `reader`: the general TOML reader that keeps line numbers, and the field specs a table kind declares;
- `vocabulary`, `agents`, `rules`, `indications`: one loader per file, each declaring its tables'
  fields as data and adding only the checks that relate them;
- `regex`: which regexes both Python and polars read alike.

The classifier that applies them lives elsewhere; the semantics it implements are written in the
header comments of `rules.toml` and `indications.toml`.
"""

from __future__ import annotations

from tracker.catalogue.agents import EVIDENCE, MODALITIES, REVIEW, agent_table, alias_key, load_catalogue
from tracker.catalogue.indications import load_indications
from tracker.catalogue.model import (
    Agent,
    Antigen,
    Catalogue,
    IndicationArea,
    IndicationCode,
    IndicationDef,
    IndicationMap,
    Mechanism,
    MechanismRef,
    PartnerGate,
    Phase,
    Placebo,
    Placeholder,
    Rule,
    RuleSet,
    StatusGroup,
    Support,
    Target,
    Trap,
    Vocabulary,
)
from tracker.catalogue.paths import AGENTS_FILE, DATA_DIR, INDICATIONS_FILE, RULES_FILE, SCOPE_FILE, VOCABULARY_FILE
from tracker.catalogue.reader import SCHEMA_VERSION
from tracker.catalogue.regex import regex_problem
from tracker.catalogue.rules import ANTIGEN_TARGET, RULE_FIELDS, load_rules
from tracker.catalogue.vocabulary import CTGOV_PHASES, CTGOV_STATUSES, ROLES, load_vocabulary

__all__ = [
    "AGENTS_FILE", "ANTIGEN_TARGET", "CTGOV_PHASES", "CTGOV_STATUSES", "DATA_DIR", "EVIDENCE", "INDICATIONS_FILE",
    "MODALITIES", "REVIEW", "ROLES", "RULES_FILE", "RULE_FIELDS", "SCHEMA_VERSION", "SCOPE_FILE", "VOCABULARY_FILE",
    "Agent", "Antigen", "Catalogue", "IndicationArea", "IndicationCode", "IndicationDef", "IndicationMap",
    "Mechanism", "MechanismRef", "PartnerGate", "Phase", "Placebo", "Placeholder", "Rule", "RuleSet", "StatusGroup",
    "Support", "Target", "Trap", "Vocabulary", "agent_table", "alias_key", "load_catalogue", "load_indications",
    "load_rules", "load_vocabulary", "regex_problem",
]
