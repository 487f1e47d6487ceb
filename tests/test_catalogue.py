"""The bundled domain data loads, is consistent with vocabulary.md, and malformed files fail precisely."""

from __future__ import annotations

import re
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tracker.catalogue import (
    AGENTS_FILE,
    DATA_DIR,
    Catalogue,
    IndicationMap,
    RuleSet,
    Vocabulary,
    agent_table,
    alias_key,
    load_catalogue,
    load_indications,
    load_rules,
    load_vocabulary,
    regex_problem,
)
from tracker.errors import CatalogueError

ROOT = Path(__file__).resolve().parent.parent
CASES_FILE = ROOT / "tests" / "cases" / "classification.toml"
# the shared reference when it sits beside the project, else the copy kept for clones elsewhere
VOCABULARY_MD = next((p for p in (ROOT.parent / "shared" / "reference" / "vocabulary.md",
                                  ROOT / "tests" / "contract" / "reference" / "vocabulary.md") if p.exists()),
                     ROOT / "tests" / "contract" / "reference" / "vocabulary.md")
KEBAB = re.compile(r"^[A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*$")
INTERVENTION_TYPES = {
    "BEHAVIORAL", "BIOLOGICAL", "COMBINATION_PRODUCT", "DEVICE", "DIAGNOSTIC_TEST", "DIETARY_SUPPLEMENT",
    "DRUG", "GENETIC", "PROCEDURE", "RADIATION", "OTHER",
}


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return load_vocabulary()


@pytest.fixture(scope="module")
def catalogue(vocabulary: Vocabulary) -> Catalogue:
    return load_catalogue(vocabulary=vocabulary)


@pytest.fixture(scope="module")
def rules(vocabulary: Vocabulary, catalogue: Catalogue) -> RuleSet:
    return load_rules(vocabulary=vocabulary, catalogue=catalogue)


@pytest.fixture(scope="module")
def indications(vocabulary: Vocabulary) -> IndicationMap:
    return load_indications(vocabulary=vocabulary)


@pytest.fixture(scope="module")
def cases() -> list[dict[str, Any]]:
    return list(tomllib.loads(CASES_FILE.read_text(encoding="utf-8"))["case"])


# ---------------------------------------------------------------------------------------- bundled files


def test_bundled_files_load_with_defaults() -> None:
    catalogue = load_catalogue()
    assert catalogue.path == AGENTS_FILE
    assert len(catalogue.agents) >= 100
    assert load_rules().rules
    assert load_indications().definitions
    assert {p.name for p in DATA_DIR.glob("*.toml")} >= {
        "vocabulary.toml", "agents.toml", "rules.toml", "indications.toml"}


def test_loaders_accept_str_paths(vocabulary: Vocabulary) -> None:
    assert load_catalogue(str(AGENTS_FILE), vocabulary).agents


def _vocabulary_md_codes() -> dict[str, set[str]]:
    """The codes vocabulary.md writes, parsed the way /work/shared/checks/public_contract.py does."""
    text = VOCABULARY_MD.read_text(encoding="utf-8")
    starts = {m.group(1): m.start() for m in re.finditer(r"^## \d+\. (\w+)", text, re.M)}
    order = sorted(starts.items(), key=lambda kv: kv[1])
    part = {name: text[start:(order[i + 1][1] if i + 1 < len(order) else len(text))]
            for i, (name, start) in enumerate(order)}
    mechanism_rows = re.findall(r"^\| \d+ \| `([a-z0-9_]+)` \| [^|]+ \| (.+) \|$", part["Mechanism"], re.M)
    indication_rows = [r for r in re.findall(r"^\| `([a-z0-9_]+)` \| (.+) \|$", part["Indication"], re.M)
                       if r[0] != "indication_area"]
    return {
        "mechanism_class": {code for code, _ in mechanism_rows},
        "phase": set(re.findall(r"\| `(Early Phase 1|Phase [0-9/]+|Not applicable)` \|", part["Phase"])),
        "status_group": set(re.findall(r"^\| `([a-z0-9_]+)` \|", part["Status"], re.M)) - {"status_group"},
        "indication_area": {area for area, _ in indication_rows},
        "indication": {c for _, rest in indication_rows for c in re.findall(r"`([a-z0-9_]+)`", rest)},
        **{f"targets:{code}": set(re.findall(r"`([^`]+)`", rest)) for code, rest in mechanism_rows},
    }


@pytest.mark.skipif(not VOCABULARY_MD.exists(), reason="shared reference vocabulary.md not present")
def test_vocabulary_has_exactly_the_public_codes_of_vocabulary_md(vocabulary: Vocabulary) -> None:
    md = _vocabulary_md_codes()
    assert {m.code for m in vocabulary.mechanisms} == md["mechanism_class"]
    assert {p.code for p in vocabulary.phases} == md["phase"]
    assert {g.code for g in vocabulary.status_groups} == md["status_group"]
    assert {a.code for a in vocabulary.indication_areas} == md["indication_area"]
    assert {i.code for i in vocabulary.indications} == md["indication"]
    for mechanism in vocabulary.mechanisms:
        # every target vocabulary.md names for the class is a target here, spelled the same
        assert md[f"targets:{mechanism.code}"] <= set(mechanism.target_codes), mechanism.code


def test_vocabulary_priority_roles_and_primary_target(vocabulary: Vocabulary) -> None:
    assert [m.priority for m in vocabulary.mechanisms] == list(range(1, 11))
    assert [m.code for m in vocabulary.mechanisms if m.role == "partner"] == ["adcc_antibody", "nk_modulator"]
    assert vocabulary.primary([("immune_checkpoint", "PD-L1"), ("immune_checkpoint", "TIGIT")]) == (
        "immune_checkpoint", "TIGIT")
    kir = ("nk_checkpoint", "KIR")
    assert vocabulary.primary([("nk_modulator", "DNMT"), kir]) == kir
    assert vocabulary.primary([("car_nk", "unspecified"), ("car_nk", "CD19")]) == ("car_nk", "CD19")
    assert vocabulary.primary([]) is None


@pytest.mark.parametrize(("phases", "code", "rank"), [
    (["EARLY_PHASE1"], "Early Phase 1", 0.0),
    (["PHASE2", "PHASE1"], "Phase 1/2", 1.5),
    (["PHASE2", "PHASE3"], "Phase 2/3", 2.5),
    (["NA"], "Not applicable", None),
])
def test_phase_lookup(vocabulary: Vocabulary, phases: list[str], code: str, rank: float | None) -> None:
    phase = vocabulary.phase_for(phases)
    assert phase is not None
    assert (phase.code, phase.phase_rank) == (code, rank)


def test_phase_absent_and_status_groups(vocabulary: Vocabulary) -> None:
    assert vocabulary.phase_for(None) is None
    assert vocabulary.status_group_for("ENROLLING_BY_INVITATION") == "open"
    assert vocabulary.status_group_for("SUSPENDED") == "stopped"
    assert vocabulary.status_group_for("WITHHELD") == "other"


def test_every_code_used_by_the_data_exists_in_the_vocabulary(
    vocabulary: Vocabulary, catalogue: Catalogue, rules: RuleSet, indications: IndicationMap
) -> None:
    for agent in catalogue.agents:
        for row in agent.mechanisms:
            assert row.target in vocabulary.mechanism(row.mechanism_class).target_codes, agent.name
        assert agent.role == vocabulary.role_of(agent.mechanism_class)
    car_targets = vocabulary.mechanism("car_nk").target_codes
    assert {a.code for a in rules.antigens} <= set(car_targets)
    for rule in rules.rules:
        targets = vocabulary.mechanism(rule.mechanism_class).target_codes
        assert rule.target == "antigen" or rule.target in targets
    codes = {c.code for c in vocabulary.indications}
    assert [d.code for d in indications.definitions if d.code not in codes] == []
    # every indication code is reachable, in one entry each
    assert sorted(d.code for d in indications.definitions) == sorted(codes)
    assert indications.fallback in codes


def test_indication_order_puts_specific_before_generic(indications: IndicationMap) -> None:
    order = [d.code for d in indications.definitions]
    for first, then in [("nasopharyngeal", "head_and_neck"), ("t_nk_cell_lymphoma", "b_cell_lymphoma"),
                        ("t_nk_cell_lymphoma", "heme_unspecified"), ("nsclc", "sclc"), ("sclc", "lung_other"),
                        ("heme_other", "mds"), ("sarcoma", "endometrial"), ("biliary", "hepatocellular")]:
        assert order.index(first) < order.index(then), (first, then)
    assert order[-3:] == ["heme_unspecified", "solid_tumor_unspecified", "cancer_unspecified"]


# ---------------------------------------------------------------------------------------- agents.md §3

QUICK_INDEX: list[tuple[str, str, str]] = [
    # agents.md §3 quick index, by canonical name (INN where there is one) and the row it must have
    ("FT596", "car_nk", "CD19"), ("FT576", "car_nk", "BCMA"), ("NKX101", "car_nk", "NKG2D-L"),
    ("NKX019", "car_nk", "CD19"), ("TAK-007", "car_nk", "CD19"), ("PD-L1 t-haNK", "car_nk", "PD-L1"),
    ("CD19 t-haNK", "car_nk", "CD19"), ("NK-92/5.28.z", "car_nk", "HER2"),
    ("FT500", "adoptive_nk", "none"), ("CYNK-001", "adoptive_nk", "none"), ("oNKord", "adoptive_nk", "none"),
    ("SNK01", "adoptive_nk", "none"), ("SNK02", "adoptive_nk", "none"), ("SMT-NK", "adoptive_nk", "none"),
    ("AB-101", "adoptive_nk", "none"), ("GDA-201", "adoptive_nk", "none"), ("aNK", "adoptive_nk", "none"),
    ("AFM13-NK", "adoptive_nk", "none"), ("AFM13-NK", "nk_engager", "CD16A"),
    ("FT516", "adoptive_nk", "CD16"), ("haNK", "adoptive_nk", "CD16"), ("FT538", "adoptive_nk", "IL-15"),
    ("acimtamig", "nk_engager", "CD16A"), ("AFM24", "nk_engager", "CD16A"),
    ("SAR443579", "nk_engager", "NKp46"), ("SAR445514", "nk_engager", "NKp46"),
    ("DF1001", "nk_engager", "NKG2D"), ("GTB-3550", "nk_engager", "CD16A+IL-15"),
    ("GTB-3650", "nk_engager", "CD16A+IL-15"), ("GTB-5550", "nk_engager", "CD16A+IL-15"),
    ("lirilumab", "nk_checkpoint", "KIR"), ("IPH2101", "nk_checkpoint", "KIR"),
    ("monalizumab", "nk_checkpoint", "NKG2A"), ("S095029", "nk_checkpoint", "NKG2A"),
    ("BMS-986315", "nk_checkpoint", "NKG2A"),
    ("tiragolumab", "immune_checkpoint", "TIGIT"), ("ociperlimab", "immune_checkpoint", "TIGIT"),
    ("vibostolimab", "immune_checkpoint", "TIGIT"), ("domvanalimab", "immune_checkpoint", "TIGIT"),
    ("belrestotug", "immune_checkpoint", "TIGIT"), ("etigilimab", "immune_checkpoint", "TIGIT"),
    ("GSK6097608", "immune_checkpoint", "CD96"),
    ("sabatolimab", "immune_checkpoint", "TIM-3"), ("cobolimab", "immune_checkpoint", "TIM-3"),
    ("Sym023", "immune_checkpoint", "TIM-3"), ("BGB-A425", "immune_checkpoint", "TIM-3"),
    ("LY3321367", "immune_checkpoint", "TIM-3"), ("INCAGN02390", "immune_checkpoint", "TIM-3"),
    ("relatlimab", "immune_checkpoint", "LAG-3"), ("ieramilimab", "immune_checkpoint", "LAG-3"),
    ("favezelimab", "immune_checkpoint", "LAG-3"), ("fianlimab", "immune_checkpoint", "LAG-3"),
    ("eftilagimod alfa", "immune_checkpoint", "LAG-3"), ("tebotelimab", "immune_checkpoint", "LAG-3"),
    ("tebotelimab", "immune_checkpoint", "PD-1"), ("FS118", "immune_checkpoint", "LAG-3"),
    ("FS118", "immune_checkpoint", "PD-L1"),
    ("nivolumab", "immune_checkpoint", "PD-1"), ("pembrolizumab", "immune_checkpoint", "PD-1"),
    ("cemiplimab", "immune_checkpoint", "PD-1"), ("spartalizumab", "immune_checkpoint", "PD-1"),
    ("dostarlimab", "immune_checkpoint", "PD-1"), ("tislelizumab", "immune_checkpoint", "PD-1"),
    ("sintilimab", "immune_checkpoint", "PD-1"), ("camrelizumab", "immune_checkpoint", "PD-1"),
    ("toripalimab", "immune_checkpoint", "PD-1"), ("ezabenlimab", "immune_checkpoint", "PD-1"),
    ("atezolizumab", "immune_checkpoint", "PD-L1"), ("durvalumab", "immune_checkpoint", "PD-L1"),
    ("avelumab", "immune_checkpoint", "PD-L1"), ("ipilimumab", "immune_checkpoint", "CTLA-4"),
    ("tremelimumab", "immune_checkpoint", "CTLA-4"),
    ("CLN-619", "nkg2d_axis", "MICA/B"),
    ("nogapendekin alfa inbakicept", "cytokine", "IL-15"), ("NKTR-255", "cytokine", "IL-15"),
    ("hetIL-15", "cytokine", "IL-15"), ("rhIL-15", "cytokine", "IL-15"), ("aldesleukin", "cytokine", "IL-2"),
    ("magrolimab", "innate_checkpoint", "CD47"), ("evorpacept", "innate_checkpoint", "CD47"),
    ("AK117", "innate_checkpoint", "CD47"), ("AO-176", "innate_checkpoint", "CD47"),
    ("lemzoparlimab", "innate_checkpoint", "CD47"),
    ("cetuximab", "adcc_antibody", "EGFR"), ("imgatuzumab", "adcc_antibody", "EGFR"),
    ("rituximab", "adcc_antibody", "CD20"), ("obinutuzumab", "adcc_antibody", "CD20"),
    ("trastuzumab", "adcc_antibody", "HER2"), ("daratumumab", "adcc_antibody", "CD38"),
    ("elotuzumab", "adcc_antibody", "SLAMF7"),
    ("azacitidine", "nk_modulator", "DNMT"), ("decitabine", "nk_modulator", "DNMT"),
    ("trichostatin A", "nk_modulator", "HDAC"), ("lenalidomide", "nk_modulator", "IMiD"),
    ("oleclumab", "nk_modulator", "CD73"), ("galunisertib", "nk_modulator", "TGF-beta"),
    ("bintrafusp alfa", "nk_modulator", "TGF-beta"), ("sorafenib", "nk_modulator", "kinase"),
]


@pytest.mark.parametrize(("name", "mechanism_class", "target"), QUICK_INDEX,
                         ids=[f"{n}:{c}/{t}" for n, c, t in QUICK_INDEX])
def test_quick_index_agent_is_catalogued(
    catalogue: Catalogue, name: str, mechanism_class: str, target: str
) -> None:
    # the quick index writes some agents by a name the catalogue keeps as an alias (hetIL-15 = NIZ985)
    agent = next(a for a in catalogue.agents if name == a.name or name in a.aliases)
    assert (mechanism_class, target) in {(r.mechanism_class, r.target) for r in agent.mechanisms}


MAIN_CODES = [
    ("MK-3475", "pembrolizumab"), ("SCH 900475", "pembrolizumab"), ("BMS-936558", "nivolumab"),
    ("MEDI4736", "durvalumab"), ("MSB0010718C", "avelumab"), ("MPDL3280A", "atezolizumab"),
    ("CP-675206", "tremelimumab"), ("IPH2102", "lirilumab"), ("BMS-986015", "lirilumab"),
    ("1-7F9", "IPH2101"), ("IPH2201", "monalizumab"), ("BMS-986016", "relatlimab"), ("MBG453", "sabatolimab"),
    ("ALT-803", "nogapendekin alfa inbakicept"), ("AFM13", "acimtamig"), ("IPH6101", "SAR443579"),
    ("OXS-3550", "GTB-3550"), ("TSR-022", "cobolimab"), ("EOS-448", "belrestotug"),
    ("IMP321", "eftilagimod alfa"), ("MGD013", "tebotelimab"), ("IPH4102", "lacutamab"),
    ("C225", "cetuximab"), ("IDEC-C2B8", "rituximab"), ("5-aza-2'-deoxycytidine", "decitabine"),
]


@pytest.mark.parametrize(("code", "name"), MAIN_CODES, ids=[c for c, _ in MAIN_CODES])
def test_main_codes_resolve_to_one_agent(catalogue: Catalogue, code: str, name: str) -> None:
    owners = {a.name for a in catalogue.agents if alias_key(code) in {alias_key(n) for n in a.names}}
    assert owners == {name}


def test_fixed_dose_combinations_name_both_agents(catalogue: Catalogue) -> None:
    combinations = [
        ("Opdualag", {"relatlimab", "nivolumab"}), ("BMS-986213", {"relatlimab", "nivolumab"}),
        ("MK-7684A", {"vibostolimab", "pembrolizumab"}), ("MK-4280A", {"favezelimab", "pembrolizumab"}),
    ]
    for alias, agents in combinations:
        assert {a.name for a in catalogue.agents if alias in a.aliases} == agents


def test_iph2101_and_lirilumab_are_separate_and_lacutamab_is_no_kir_checkpoint(catalogue: Catalogue) -> None:
    assert catalogue.agent("IPH2101") != catalogue.agent("lirilumab")
    lacutamab = catalogue.agent("lacutamab")
    row = (lacutamab.mechanism_class, lacutamab.target, lacutamab.role)
    assert row == ("adcc_antibody", "KIR3DL2", "partner")


def test_agent_table_rows(catalogue: Catalogue) -> None:
    rows = agent_table(catalogue)
    assert len(rows) == len(catalogue.agents)
    avelumab = next(r for r in rows if r["name"] == "avelumab")
    assert avelumab["also"] == []
    assert "Bavencio" in avelumab["aliases"]
    assert set(avelumab) >= {"name", "aliases", "mechanism_class", "target", "modality", "role", "review",
                             "evidence", "source", "also"}


def test_alias_key_ignores_case_and_punctuation() -> None:
    assert alias_key("MK-3475") == alias_key("mk 3475") == alias_key("MK3475")
    assert alias_key("CP-675,206") == alias_key("CP-675206")
    assert alias_key("MK-34756") != alias_key("MK-3475")


# ---------------------------------------------------------------------------------------- regexes


def _all_patterns(rules: RuleSet, indications: IndicationMap) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    found += [(f"antigen {a.code}", p) for a in rules.antigens for p in a.patterns]
    found += [(f"rule {r.id}", p) for r in rules.rules for p in (*r.include, *r.exclude)]
    found += [(f"trap {t.id}", p) for t in rules.traps for p in t.patterns]
    found += [(f"placebo {t.id}", p) for t in rules.placebos for p in (*t.include, *t.exclude)]
    found += [(f"support {s.id}", p) for s in rules.supports for p in (*s.when_patterns, *s.support_patterns)]
    found += [(f"indication {d.code}", p) for d in indications.definitions for p in (*d.text, *d.exclude)]
    return found


def test_every_regex_compiles_in_python(rules: RuleSet, indications: IndicationMap) -> None:
    patterns = _all_patterns(rules, indications)
    assert len(patterns) > 300
    for where, pattern in patterns:
        assert regex_problem(pattern) is None, (where, pattern)
        re.compile(pattern, re.IGNORECASE)


def _corpus(cases: list[dict[str, Any]]) -> list[str]:
    texts: set[str] = set()
    for case in cases:
        texts.update(case["conditions"])
        for iv in case["interventions"]:
            texts.update([iv["name"], iv["description"], *iv["other_names"]])
        for arm in case.get("arm_groups", []):
            texts.add(f"{arm['label']}: {arm['description']}")
    return sorted(t for t in texts if t)


def test_every_regex_compiles_and_agrees_in_polars(
    rules: RuleSet, indications: IndicationMap, cases: list[dict[str, Any]]
) -> None:
    pl = pytest.importorskip("polars")
    corpus = _corpus(cases)
    series = pl.Series(corpus)
    for where, pattern in _all_patterns(rules, indications):
        # raises on syntax the Rust regex crate does not support (look-around, backreferences, ...)
        rust = series.str.contains(f"(?i){pattern}").to_list()
        python = [re.search(pattern, text, re.IGNORECASE) is not None for text in corpus]
        differ = [text for text, r, p in zip(corpus, rust, python, strict=True) if r != p]
        assert not differ, (where, pattern, differ[:3])


@pytest.mark.parametrize(("pattern", "problem"), [
    (r"(?=CAR)NK", "look-ahead"),
    (r"(?!CAR-T)CAR", "look-ahead"),
    (r"(?<!non-)hodgkin", "look-behind"),
    (r"(?<=anti-)CD19", "look-behind"),
    (r"(NK)\1", "backreference"),
    (r"(?P<x>NK)(?P=x)", "backreference"),
    (r"(?>NK)", "atomic group"),
    (r"NK++", "possessive"),
    (r"NK\Z", r"\Z"),
    (r"N{,2}K", "{,n}"),
    (r"(NK", "does not compile"),
    (r"[[:alpha:]]", "does not compile"),
    ("", "empty"),
], ids=["lookahead", "negative-lookahead", "negative-lookbehind", "lookbehind", "backreference",
        "named-backreference", "atomic-group", "possessive", "backslash-Z", "open-quantifier", "unbalanced",
        "posix-class", "empty"])
def test_regex_problem_reports_unsupported_syntax(pattern: str, problem: str) -> None:
    found = regex_problem(pattern)
    assert found is not None and problem in found


@pytest.mark.parametrize(
    "pattern", [r"\bCAR[- ]?NK\b", r"\b(?-i:ALL)\b", r"[\]x]", r"\(CAR\)", r"a{0,3}", r"[(?=]"]
)
def test_regex_problem_accepts_portable_syntax(pattern: str) -> None:
    assert regex_problem(pattern) is None


# ---------------------------------------------------------------------------------------- malformed files

AGENT = """\
[[agent]]
name = "pembrolizumab"
aliases = ["MK-3475", "Keytruda"]
mechanism_class = "immune_checkpoint"
target = "PD-1"
modality = "antibody"
role = "tracked"
review = "named"
evidence = "confirmed"
source = "agents.md"
"""

SECOND = AGENT.replace('"pembrolizumab"', '"nivolumab"').replace('["MK-3475", "Keytruda"]', '["Opdivo"]')

BAD_AGENTS = [
    # (id, file text, expected line, expected field, words in the message)
    ("toml-syntax", AGENT.replace('target = "PD-1"', 'target = "PD-1'),
     5, "toml", "invalid TOML"),
    ("missing-required", AGENT.replace('target = "PD-1"\n', ""),
     1, "agent", "missing required field 'target'"),
    ("unknown-field", AGENT + 'targets = ["PD-1"]\n',
     11, "agent.targets", "unknown field 'targets'"),
    ("wrong-type", AGENT.replace('["MK-3475", "Keytruda"]', '"MK-3475"'),
     3, "agent.aliases", "expected a list"),
    ("unknown-class", AGENT.replace('"immune_checkpoint"', '"checkpoint"'),
     4, "agent.mechanism_class", "unknown mechanism_class 'checkpoint'"),
    ("target-not-in-class", AGENT.replace('"PD-1"', '"PD1"'),
     5, "agent.target", "'PD1' is not a target of"),
    ("target-of-other-class", AGENT.replace('"PD-1"', '"KIR"'),
     5, "agent.target", "not a target of immune_checkpoint"),
    ("role-inconsistent", AGENT.replace('role = "tracked"', 'role = "partner"'),
     7, "agent.role", "tracked class"),
    ("bad-choice", AGENT.replace('"antibody"', '"mab"'),
     6, "agent.modality", "'mab' is not one of"),
    ("empty-alias", AGENT.replace('["MK-3475", "Keytruda"]', '["MK-3475", " "]'),
     3, "agent.aliases", "empty string"),
    ("redundant-alias", AGENT.replace('["MK-3475", "Keytruda"]', '[\n  "MK-3475",\n  "MK 3475",\n]'),
     5, "agent.aliases", "redundant"),
    ("registered-sign", AGENT.replace('"Keytruda"', '"Keytruda®"'),
     3, "agent.aliases", "without ®"),
    ("duplicate-name", AGENT + "\n" + AGENT.replace('["MK-3475", "Keytruda"]', "[]"),
     13, "agent.name", "duplicate agent name"),
    ("alias-is-another-agents-name",
     AGENT + "\n" + SECOND.replace('["Opdivo"]', '[\n  "Opdivo",\n  "Pembrolizumab",\n]'),
     16, "agent.aliases", "canonical name of agent 'pembrolizumab'"),
    ("also-bad-target", AGENT + 'also = [{ mechanism_class = "adcc_antibody", target = "PD-1" }]\n',
     11, "agent.also", "'PD-1' is not a target of adcc_antibody"),
    ("also-outranks-primary", AGENT + 'also = [{ mechanism_class = "nk_checkpoint", target = "KIR" }]\n',
     4, "agent.mechanism_class", "primary row must come first"),
    ("shared-alias-spelled-differently",
     AGENT + "\n"
     + SECOND.replace('"PD-1"', '"PD-L1"').replace('["Opdivo"]', '[\n  "Opdivo",\n  "MK3475",\n]'),
     16, "agent.aliases", "collides with 'MK-3475' of agent 'pembrolizumab'"),
    ("history-format", AGENT + 'history = ["added it"]\n',
     11, "agent.history", "YYYY-MM-DD"),
    ("misspelt-table", AGENT + "\n" + SECOND.replace("[[agent]]", "[[agents]]"),
     12, "agents", "unknown table [agents]"),
    ("not-array-of-tables", 'agent = "pembrolizumab"\n',
     1, "agent", "expected [[agent]] tables"),
]


@pytest.mark.parametrize(("text", "line", "field", "words"), [b[1:] for b in BAD_AGENTS],
                         ids=[b[0] for b in BAD_AGENTS])
def test_malformed_agents_file_names_line_and_field(
    tmp_path: Path, vocabulary: Vocabulary, text: str, line: int, field: str, words: str
) -> None:
    path = tmp_path / "agents.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path, vocabulary)
    error = caught.value
    assert (error.line, error.field) == (line, field), str(error)
    assert words in str(error)
    assert str(error).startswith(f"{path}:{line}: {field}: ")
    assert "\n" not in str(error)


def test_fixed_dose_alias_listed_by_both_agents_is_allowed(tmp_path: Path, vocabulary: Vocabulary) -> None:
    path = tmp_path / "agents.toml"
    relatlimab = AGENT.replace('"pembrolizumab"', '"relatlimab"').replace('"PD-1"', '"LAG-3"')
    path.write_text(relatlimab.replace('["MK-3475", "Keytruda"]', '["Opdualag"]') + "\n"
                    + SECOND.replace('["Opdivo"]', '["Opdivo", "Opdualag"]'), encoding="utf-8")
    catalogue = load_catalogue(path, vocabulary)
    assert [a.name for a in catalogue.agents if "Opdualag" in a.aliases] == ["relatlimab", "nivolumab"]


def test_missing_file_is_a_catalogue_error(tmp_path: Path, vocabulary: Vocabulary) -> None:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(tmp_path / "nope.toml", vocabulary)
    assert caught.value.field == "file"


RULES = """\
[[antigen]]
code = "CD19"
patterns = ['\\bCD[- ]?19\\b']

[[rule]]
id = "car_nk_generic"
agent = "CAR-NK cells"
mechanism_class = "car_nk"
target = "antigen"
fields = ["name"]
include = ['\\bCAR[- ]?NK\\b']
exclude = []
note = "n"

[[trap]]
id = "cik"
patterns = ['\\bCIK\\b']
note = "n"

[[support]]
id = "il2"
agents = ["aldesleukin"]
mechanism_class = "cytokine"
target = "IL-2"
when_classes = ["adoptive_nk"]
when_patterns = []
support_patterns = ['\\blow[- ]dose IL-2\\b']
note = "n"

[[partner_gate]]
id = "gate"
classes = ["adcc_antibody", "nk_modulator"]
note = "n"
"""

BAD_RULES = [
    ("lookahead", RULES.replace("'\\bCAR[- ]?NK\\b'", "'CAR(?!-T)'"),
     11, "rule.include", "look-ahead"),
    ("lookbehind-in-exclude", RULES.replace("exclude = []", "exclude = ['(?<!non-)small']"),
     12, "rule.exclude", "look-behind"),
    ("backreference", RULES.replace("'\\bCIK\\b'", "'(CIK)\\1'"),
     17, "trap.patterns", "backreference"),
    ("does-not-compile", RULES.replace("'\\bCD[- ]?19\\b'", "'CD(19'"),
     3, "antigen.patterns", "does not compile"),
    ("antigen-not-car-target", RULES.replace('code = "CD19"', 'code = "CD20"'),
     2, "antigen.code", "not a car_nk target"),
    ("antigen-target-outside-car-nk", RULES.replace('"car_nk"', '"adoptive_nk"'),
     9, "rule.target", "only for car_nk"),
    ("unknown-field", RULES.replace('note = "n"\n\n[[trap]]', 'note = "n"\nfield = ["name"]\n\n[[trap]]'),
     14, "rule.field", "unknown field 'field'"),
    ("bad-field-name", RULES.replace('fields = ["name"]', 'fields = ["headline"]'),
     10, "rule.fields", "'headline'"),
    ("supersedes-unknown",
     RULES.replace('note = "n"\n\n[[trap]]', 'note = "n"\nsupersedes = ["x"]\n\n[[trap]]'),
     14, "rule.supersedes", "'x' is not the id"),
    ("support-unknown-agent", RULES.replace('agents = ["aldesleukin"]', 'agents = ["interleukin"]'),
     22, "support.agents", "not a catalogue agent"),
    ("support-agent-without-row", RULES.replace('agents = ["aldesleukin"]', 'agents = ["pembrolizumab"]'),
     22, "support.agents", "has no cytokine/IL-2 row"),
    ("gate-on-tracked-class", RULES.replace('"nk_modulator"]', '"cytokine"]'),
     32, "partner_gate.classes", "tracked class"),
    ("missing-note", RULES.replace("patterns = ['\\bCIK\\b']\nnote = \"n\"\n", "patterns = ['\\bCIK\\b']\n"),
     15, "trap", "missing required field 'note'"),
]


@pytest.mark.parametrize(("text", "line", "field", "words"), [b[1:] for b in BAD_RULES],
                         ids=[b[0] for b in BAD_RULES])
def test_malformed_rules_file_names_line_and_field(
    tmp_path: Path, vocabulary: Vocabulary, catalogue: Catalogue, text: str, line: int, field: str, words: str
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_rules(path, vocabulary, catalogue)
    error = caught.value
    assert (error.line, error.field) == (line, field), str(error)
    assert words in str(error)
    assert "\n" not in str(error)


def test_minimal_rules_file_loads(tmp_path: Path, vocabulary: Vocabulary, catalogue: Catalogue) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    loaded = load_rules(path, vocabulary, catalogue)
    assert [r.id for r in loaded.rules] == ["car_nk_generic"]
    assert loaded.supports[0].agents == ("aldesleukin",)


INDICATIONS = """\
[fallback]
code = "other_non_oncology"

[[indication]]
code = "nsclc"
area = "solid_tumor"
mesh = ["Carcinoma, Non-Small-Cell Lung", "Adenocarcinoma of Lung"]
mesh_ids = ["D002289", "D000077192"]
text = ['non[- ]?small[- ]?cell']

[[indication]]
code = "lung_other"
area = "solid_tumor"
mesh = ["Lung Neoplasms"]
mesh_ids = [""]
text = ['\\blung cancer\\b']
yield_to = ["nsclc"]
"""

BAD_INDICATIONS = [
    ("unknown-code", INDICATIONS.replace('code = "nsclc"', 'code = "lung_nsclc"'),
     5, "indication.code", "not an indication code"),
    ("area-mismatch",
     INDICATIONS.replace('area = "solid_tumor"\nmesh = ["Lung', 'area = "hematologic"\nmesh = ["Lung'),
     13, "indication.area", "belongs to area 'solid_tumor'"),
    ("mesh-ids-length", INDICATIONS.replace('["D002289", "D000077192"]', '["D002289"]'),
     8, "indication.mesh_ids", "has 1 entries but mesh has 2"),
    ("bad-mesh-id", INDICATIONS.replace('"D000077192"', '"C000077192"'),
     8, "indication.mesh_ids", "not a MeSH descriptor ID"),
    ("yield-to-unknown", INDICATIONS.replace('yield_to = ["nsclc"]', 'yield_to = ["nsclc", "lungs"]'),
     17, "indication.yield_to", "'lungs' is neither"),
    ("ancestor-yield-to-itself",
     INDICATIONS.replace('yield_to = ["nsclc"]', 'yield_to = ["nsclc"]\nancestor_yield_to = ["lung_other"]'),
     18, "indication.ancestor_yield_to", "cannot yield to itself"),
    ("duplicate-code", INDICATIONS.replace('code = "lung_other"', 'code = "nsclc"'),
     12, "indication.code", "duplicate indication 'nsclc'"),
    ("regex-lookbehind", INDICATIONS.replace("'non[- ]?small[- ]?cell'", "'(?<!non-)small cell'"),
     9, "indication.text", "look-behind"),
    ("fallback-unknown", INDICATIONS.replace('code = "other_non_oncology"', 'code = "other"'),
     2, "fallback.code", "not an indication code"),
]


@pytest.mark.parametrize(("text", "line", "field", "words"), [b[1:] for b in BAD_INDICATIONS],
                         ids=[b[0] for b in BAD_INDICATIONS])
def test_malformed_indications_file_names_line_and_field(
    tmp_path: Path, vocabulary: Vocabulary, text: str, line: int, field: str, words: str
) -> None:
    path = tmp_path / "indications.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_indications(path, vocabulary)
    error = caught.value
    assert (error.line, error.field) == (line, field), str(error)
    assert words in str(error)


def _vocabulary_text() -> str:
    return (DATA_DIR / "vocabulary.toml").read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


VOCABULARY_EDITS = [
    # (id, replace this, by this, expected field, words in the message)
    ("duplicate-target", '{ code = "BCMA", label = "BCMA" },', '{ code = "CD19", label = "BCMA" },',
     "mechanism.targets", "duplicate target 'CD19'"),
    ("status-in-two-groups", 'statuses = ["COMPLETED"]', 'statuses = ["COMPLETED", "RECRUITING"]',
     "status_group.statuses", "already in status group 'open'"),
    ("priority-order", "priority = 3\n", "priority = 0\n",
     "mechanism.priority", "increasing priority order"),
    ("unsorted-phases", 'ctgov = ["PHASE1", "PHASE2"]', 'ctgov = ["PHASE2", "PHASE1"]',
     "phase.ctgov", "sorted"),
    ("bad-role", 'role = "partner"', 'role = "partners"',
     "mechanism.role", "'partners' is not one of"),
]


@pytest.mark.parametrize(("old", "new", "field", "words"), [e[1:] for e in VOCABULARY_EDITS],
                         ids=[e[0] for e in VOCABULARY_EDITS])
def test_malformed_vocabulary_names_line_and_field(
    tmp_path: Path, old: str, new: str, field: str, words: str
) -> None:
    text = _vocabulary_text()
    assert old in text
    text = text.replace(old, new, 1)
    path = tmp_path / "vocabulary.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_vocabulary(path)
    assert (caught.value.line, caught.value.field) == (_line_of(text, new.strip()), field), str(caught.value)
    assert words in str(caught.value)


# ---------------------------------------------------------------------------------------- labelled cases


def test_case_table_is_large_and_ids_are_unique_kebab_case(cases: list[dict[str, Any]]) -> None:
    assert len(cases) >= 220
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not KEBAB.match(i)] == []


def test_case_labels_use_vocabulary_codes_and_catalogue_names(
    vocabulary: Vocabulary, catalogue: Catalogue, cases: list[dict[str, Any]]
) -> None:
    names = {a.name for a in catalogue.agents}
    indication_codes = {c.code for c in vocabulary.indications}
    for case in cases:
        where = case["id"]
        assert set(case["expect_agents"]) <= names, where
        assert set(case.get("expect_support_agents", [])) <= names, where
        rows = {tuple(r) for r in case["expect_mechanisms"]}
        for klass, target in rows:
            assert target in vocabulary.mechanism(klass).target_codes, where
        assert set(case["expect_indications"]) <= indication_codes, where
        assert case["expect_indications"], where
        # each expected agent contributes all its rows
        for name in case["expect_agents"]:
            assert {(r.mechanism_class, r.target) for r in catalogue.agent(name).mechanisms} <= rows, where
        for iv in case["interventions"]:
            assert set(iv) <= {"type", "name", "other_names", "description", "arm_group_labels"}, where
            assert iv["type"] in INTERVENTION_TYPES, where


def test_case_primary_and_landscape_follow_from_the_rows(
    vocabulary: Vocabulary, cases: list[dict[str, Any]]
) -> None:
    for case in cases:
        rows = [tuple(r) for r in case["expect_mechanisms"]]
        tracked = [r for r in rows if vocabulary.role_of(r[0]) == "tracked"]
        assert case["expect_in_landscape"] == bool(tracked), case["id"]
        primary = vocabulary.primary(rows) if tracked else None
        assert case["expect_primary"] == (list(primary) if primary else []), case["id"]
        if not tracked:
            # the partner gate: no partner rows and no agents outside the landscape
            assert (rows, case["expect_agents"]) == ([], []), case["id"]


def test_cases_cover_every_indication_and_every_tracked_agent(
    vocabulary: Vocabulary, catalogue: Catalogue, cases: list[dict[str, Any]]
) -> None:
    seen_codes = {code for case in cases for code in case["expect_indications"]}
    assert sorted({c.code for c in vocabulary.indications} - seen_codes) == []
    seen_agents = {name for case in cases for name in case["expect_agents"]}
    assert sorted(a.name for a in catalogue.tracked if a.name not in seen_agents) == []
    car_targets = {r[1] for case in cases for r in case["expect_mechanisms"] if r[0] == "car_nk"}
    assert set(vocabulary.mechanism("car_nk").target_codes) <= car_targets


def test_cases_cover_indications_from_mesh_and_from_text_only(cases: list[dict[str, Any]]) -> None:
    with_mesh = {c for case in cases if case.get("condition_mesh") for c in case["expect_indications"]}
    text_only = {c for case in cases if not case.get("condition_mesh") for c in case["expect_indications"]}
    assert len(with_mesh) >= 30
    assert len(text_only) >= 35


def test_case_file_schema_is_documented_in_its_header() -> None:
    header = textwrap.dedent(CASES_FILE.read_text(encoding="utf-8").split("\n[[case]]\n", 1)[0])
    for field in ("id", "interventions", "arm_groups", "conditions", "condition_mesh", "condition_ancestors",
                  "expect_agents", "expect_mechanisms", "expect_primary", "expect_in_landscape",
                  "expect_indications", "expect_support_agents"):
        assert f"#   {field}" in header, field
