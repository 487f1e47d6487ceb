"""The interventions synthetic trials are made of: NK-cell and checkpoint agents, partners and the rest.

Derived from ``/work/shared/reference/agents.md``.  Each :class:`Intervention` is one product as a trial
would list it: ``labels`` are the canonical agent names the tracker should find in it (the lower-case INN,
else the code, as agents.md names them; generic cell products get the label of the classifier rule
that covers them), ``rows`` its (mechanism_class, target) pairs.  ``names`` are the spellings CT.gov
uses for ``interventions[].name`` (most common first) and ``other_names`` a pool of synonyms; products
whose names are codes have no ``mesh`` (their ``interventionBrowseModule`` is absent, as live).
Interventions with no label (chemotherapy, placebo, procedures, the cells of trap trials) are not
agents of the landscape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["INTERVENTIONS", "Intervention", "MeshTerm"]

MeshTerm = tuple[str, str]  # (MeSH id, term) as derivedSection writes them


@dataclass(frozen=True)
class Intervention:
    key: str
    type: str  # CT.gov InterventionType
    names: tuple[str, ...]
    other_names: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    rows: tuple[tuple[str, str], ...] = ()
    mesh: tuple[MeshTerm, ...] = ()
    ancestors: tuple[MeshTerm, ...] = ()
    sponsor: str = ""  # the company that develops it (an industry lead sponsor)
    how: str = "Given IV"  # NCI-style one-line description


# MeSH pharmacologic classes CT.gov lists as intervention ancestors
_ANTIBODY: Final = (
    ("D000074322", "Antineoplastic Agents, Immunological"),
    ("D000970", "Antineoplastic Agents"),
)
_ICI: Final = (*_ANTIBODY, ("D000082082", "Immune Checkpoint Inhibitors"),
               ("D045504", "Molecular Mechanisms of Pharmacological Action"))
_ANTIMETABOLITE: Final = (
    ("D000964", "Antimetabolites, Antineoplastic"),
    ("D000963", "Antimetabolites"),
    ("D045504", "Molecular Mechanisms of Pharmacological Action"),
    ("D000970", "Antineoplastic Agents"),
)
_ALKYLATING: Final = (("D018906", "Antineoplastic Agents, Alkylating"), ("D000477", "Alkylating Agents"),
                      ("D000970", "Antineoplastic Agents"))
_PHYTOGENIC: Final = (("D000972", "Antineoplastic Agents, Phytogenic"), ("D000970", "Antineoplastic Agents"))
_IMMUNOLOGIC: Final = (("D007155", "Immunologic Factors"), ("D045505", "Physiological Effects of Drugs"))

_CELLS = "BIOLOGICAL"
_CAR_HOW = "Given IV after lymphodepleting chemotherapy"
_NK_HOW = "NK cells given IV on day 0"


def _agent(key: str, label: str, row: tuple[str, str], names: tuple[str, ...], other: tuple[str, ...] = (),
           *, itype: str = "DRUG", mesh: tuple[MeshTerm, ...] = (), ancestors: tuple[MeshTerm, ...] = (),
           sponsor: str = "", how: str = "Given IV", also: tuple[tuple[str, str], ...] = ()) -> Intervention:
    return Intervention(key, itype, names, other, (label,), (row, *also), mesh, ancestors, sponsor, how)


def _other(key: str, itype: str, names: tuple[str, ...], other: tuple[str, ...] = (), *,
           mesh: tuple[MeshTerm, ...] = (), ancestors: tuple[MeshTerm, ...] = (),
           how: str = "Given IV") -> Intervention:
    return Intervention(key, itype, names, other, mesh=mesh, ancestors=ancestors, how=how)


_PD1: Final = ("immune_checkpoint", "PD-1")
_PDL1: Final = ("immune_checkpoint", "PD-L1")
_CTLA4: Final = ("immune_checkpoint", "CTLA-4")

_CHECKPOINTS: Final = (
    _agent("pembrolizumab", "pembrolizumab", _PD1,
           ("Pembrolizumab", "MK-3475", "MK3475", "Pembrolizumab 200 mg IV", "KEYTRUDA®", "Pembrolizumab (MK-3475)"),
           ("Keytruda", "Lambrolizumab", "MK-3475", "SCH 900475"),
           mesh=(("C582435", "pembrolizumab"),), ancestors=_ICI, sponsor="Merck Sharp & Dohme LLC"),
    _agent("nivolumab", "nivolumab", _PD1,
           ("Nivolumab", "BMS-936558", "Opdivo", "Nivolumab 240 mg", "OPDIVO®", "Nivolumab (BMS-936558)"),
           ("BMS-936558", "CMAB819", "MDX-1106", "NIVO", "Nivolumab Biosimilar CMAB819", "ONO-4538", "Opdivo"),
           mesh=(("D000077594", "Nivolumab"),), ancestors=_ICI, sponsor="Bristol-Myers Squibb"),
    _agent("cemiplimab", "cemiplimab", _PD1,
           ("Cemiplimab", "cemiplimab-rwlc", "REGN2810", "REGN-2810", "Libtayo®"),
           ("Libtayo", "REGN-2810", "REGN2810", "cemiplimab-rwlc"), sponsor="Regeneron Pharmaceuticals"),
    _agent("dostarlimab", "dostarlimab", _PD1, ("Dostarlimab", "TSR-042", "dostarlimab-gxly", "JEMPERLI"),
           ("Jemperli", "TSR-042", "dostarlimab-gxly"), sponsor="GlaxoSmithKline"),
    _agent("tislelizumab", "tislelizumab", _PD1, ("Tislelizumab", "BGB-A317", "Tislelizumab Injection"),
           ("BGB-A317", "Tevimbra"), sponsor="BeiGene"),
    _agent("atezolizumab", "atezolizumab", _PDL1,
           ("Atezolizumab", "MPDL3280A", "Tecentriq®", "Atezolizumab 1200 mg"),
           ("MPDL 3280A", "MPDL3280A", "RG7446", "RO5541267", "Tecentriq"),
           mesh=(("C000594389", "atezolizumab"),), ancestors=_ICI, sponsor="Hoffmann-La Roche"),
    _agent("durvalumab", "durvalumab", _PDL1, ("Durvalumab", "MEDI4736", "MEDI-4736", "IMFINZI"),
           ("Imfinzi", "MEDI-4736", "MEDI4736"),
           mesh=(("C000613593", "durvalumab"),), ancestors=_ICI, sponsor="AstraZeneca"),
    _agent("avelumab", "avelumab", _PDL1, ("Avelumab", "MSB0010718C", "Bavencio®"),
           ("Bavencio", "MSB-0010718C", "MSB0010718C"),
           mesh=(("C000609138", "avelumab"),), ancestors=_ICI, sponsor="EMD Serono",
           also=(("adcc_antibody", "PD-L1"),)),
    _agent("ipilimumab", "ipilimumab", _CTLA4, ("Ipilimumab", "MDX-010", "Yervoy", "BMS-734016", "Ipilimumab 1 mg/kg"),
           ("Anti-Cytotoxic T-Lymphocyte-Associated Antigen-4 Monoclonal Antibody", "BMS-734016",
            "Ipilimumab Biosimilar CS1002", "MDX-010", "MDX-CTLA4", "Yervoy"),
           mesh=(("D000074324", "Ipilimumab"),), ancestors=_ICI, sponsor="Bristol-Myers Squibb"),
    _agent("tremelimumab", "tremelimumab", _CTLA4,
           ("Tremelimumab", "CP-675,206", "CP-675206", "tremelimumab-actl", "Imjudo"),
           ("CP-675,206", "CP-675206", "Ticilimumab", "Imjudo"), sponsor="AstraZeneca"),
)

_TIGIT: Final = ("immune_checkpoint", "TIGIT")
_TIM3: Final = ("immune_checkpoint", "TIM-3")
_LAG3: Final = ("immune_checkpoint", "LAG-3")

_OTHER_CHECKPOINTS: Final = (
    _agent("tiragolumab", "tiragolumab", _TIGIT, ("Tiragolumab", "RO7092284", "MTIG7192A"),
           ("RO7092284", "MTIG7192A", "RG6058"), sponsor="Hoffmann-La Roche"),
    _agent("ociperlimab", "ociperlimab", _TIGIT, ("Ociperlimab", "BGB-A1217"), ("BGB-A1217",), sponsor="BeiGene"),
    _agent("vibostolimab", "vibostolimab", _TIGIT, ("Vibostolimab", "MK-7684"), ("MK-7684",),
           sponsor="Merck Sharp & Dohme LLC"),
    Intervention("mk7684a", "BIOLOGICAL", ("MK-7684A", "Vibostolimab/Pembrolizumab Coformulation"),
                 ("MK-7684A", "vibostolimab (+) pembrolizumab"), ("vibostolimab", "pembrolizumab"),
                 (_TIGIT, _PD1), sponsor="Merck Sharp & Dohme LLC"),
    _agent("domvanalimab", "domvanalimab", _TIGIT, ("Domvanalimab", "AB154"), ("AB154",),
           sponsor="Arcus Biosciences, Inc."),
    _agent("gsk6097608", "GSK6097608", ("immune_checkpoint", "CD96"),
           ("GSK6097608", "GSK'608", "Anti-CD96 antibody GSK6097608"), ("GSK'608",), sponsor="GlaxoSmithKline"),
    _agent("sabatolimab", "sabatolimab", _TIM3,
           ("Sabatolimab", "MBG453", "MBG 453", "Anti-TIM-3 Monoclonal Antibody MBG453"), ("MBG453",),
           sponsor="Novartis Pharmaceuticals"),
    _agent("cobolimab", "cobolimab", _TIM3, ("Cobolimab", "TSR-022"), ("TSR-022",), sponsor="GlaxoSmithKline"),
    _agent("relatlimab", "relatlimab", _LAG3, ("Relatlimab", "BMS-986016", "relatlimab-rmbw"),
           ("BMS-986016", "Relatlimab-rmbw"), sponsor="Bristol-Myers Squibb"),
    Intervention("opdualag", "BIOLOGICAL",
                 ("Opdualag", "Nivolumab and Relatlimab-rmbw", "BMS-986213",
                  "Nivolumab/Relatlimab Fixed-Dose Combination"),
                 ("BMS-986213", "Opdualag", "nivolumab + relatlimab FDC"), ("relatlimab", "nivolumab"),
                 (_LAG3, _PD1), sponsor="Bristol-Myers Squibb"),
    _agent("fianlimab", "fianlimab", _LAG3, ("Fianlimab", "REGN3767"), ("REGN3767",),
           sponsor="Regeneron Pharmaceuticals"),
    _agent("eftilagimod", "eftilagimod alfa", _LAG3, ("Eftilagimod Alpha", "IMP321", "Eftilagimod alfa", "efti"),
           ("IMP321", "efti", "LAG-3Ig fusion protein"), sponsor="Immutep S.A.S.", how="Given SC"),
)

_NK_CHECKPOINTS: Final = (
    _agent("lirilumab", "lirilumab", ("nk_checkpoint", "KIR"),
           ("Lirilumab", "IPH2102", "BMS-986015", "Anti-KIR Monoclonal Antibody IPH2102", "Lirilumab (BMS-986015)"),
           ("BMS-986015", "IPH2102", "Anti-KIR"), sponsor="Innate Pharma"),
    _agent("iph2101", "IPH2101", ("nk_checkpoint", "KIR"),
           ("IPH2101", "IPH 2101", "1-7F9", "Anti-KIR Monoclonal Antibody IPH 2101"), ("1-7F9", "anti-KIR mAb"),
           sponsor="Innate Pharma"),
    _agent("monalizumab", "monalizumab", ("nk_checkpoint", "NKG2A"),
           ("Monalizumab", "IPH2201", "IPH2201 (monalizumab)", "Anti-NKG2A Monoclonal Antibody IPH2201", "NN8765"),
           ("IPH2201", "NN8765", "NNC141-0100", "anti-NKG2A"), sponsor="AstraZeneca"),
    _agent("s095029", "S095029", ("nk_checkpoint", "NKG2A"), ("S095029", "Anti-NKG2A antibody S095029"),
           sponsor="Institut de Recherches Internationales Servier"),
    _agent("bms986315", "BMS-986315", ("nk_checkpoint", "NKG2A"), ("BMS-986315",), sponsor="Bristol-Myers Squibb"),
)

_ENGAGERS: Final = (
    _agent("afm13", "acimtamig", ("nk_engager", "CD16A"),
           ("AFM13", "Acimtamig", "AFM13 (acimtamig)", "CD30/CD16A bispecific antibody AFM13"),
           ("acimtamig", "AFM-13"), itype="BIOLOGICAL", sponsor="Affimed GmbH"),
    _agent("afm24", "AFM24", ("nk_engager", "CD16A"), ("AFM24", "EGFR/CD16A innate cell engager AFM24"),
           itype="BIOLOGICAL", sponsor="Affimed GmbH"),
    _agent("sar443579", "SAR443579", ("nk_engager", "NKp46"), ("SAR443579", "IPH6101", "SAR443579 (IPH6101)"),
           ("IPH6101", "SAR'579"), itype="BIOLOGICAL", sponsor="Sanofi"),
    _agent("df1001", "DF1001", ("nk_engager", "NKG2D"), ("DF1001", "DF1001 TriNKET"), itype="BIOLOGICAL",
           sponsor="Dragonfly Therapeutics"),
    _agent("gtb3550", "GTB-3550", ("nk_engager", "CD16A+IL-15"),
           ("GTB-3550", "GTB-3550 TriKE", "OXS-3550", "161533 TriKE"), ("OXS-3550", "161533 TriKE"),
           itype="BIOLOGICAL", sponsor="GT Biopharma, Inc.", how="Given as a continuous IV infusion"),
)

_CAR_NK: Final = (
    _agent("ft596", "FT596", ("car_nk", "CD19"), ("FT596", "FT596 (iPSC-derived CAR-NK cells)"), itype=_CELLS,
           sponsor="Fate Therapeutics", how=_CAR_HOW),
    _agent("nkx101", "NKX101", ("car_nk", "NKG2D-L"), ("NKX101", "NKX101 CAR NK cells"), itype=_CELLS,
           sponsor="Nkarta Inc.", how=_CAR_HOW),
    _agent("nkx019", "NKX019", ("car_nk", "CD19"), ("NKX019", "NKX019 (CD19 CAR NK)"), itype=_CELLS,
           sponsor="Nkarta Inc.", how=_CAR_HOW),
    _agent("tak007", "TAK-007", ("car_nk", "CD19"), ("TAK-007", "TAK-007 (CAR19/IL15 CB-NK)"),
           ("CAR.19/IL15-transduced cord blood NK cells",), itype=_CELLS, sponsor="Takeda", how=_CAR_HOW),
    _agent("pdl1_thank", "PD-L1 t-haNK", ("car_nk", "PD-L1"), ("PD-L1 t-haNK", "PD-L1 t-haNK cells"),
           itype=_CELLS, sponsor="ImmunityBio, Inc.", how="Given IV twice weekly"),
    _agent("cd19_thank", "CD19 t-haNK", ("car_nk", "CD19"), ("CD19 t-haNK", "CD19 t-haNK cells"),
           itype=_CELLS, sponsor="ImmunityBio, Inc.", how="Given IV twice weekly"),
    _agent("car19_nk", "CAR-NK cells (unnamed product)", ("car_nk", "CD19"),
           ("CD19 CAR-NK cells", "Anti-CD19 CAR-NK Cells", "CAR.19/IL15-transduced CB-NK cells", "CD19-CAR-NK"),
           itype=_CELLS, how=_CAR_HOW),
    _agent("bcma_nk", "CAR-NK cells (unnamed product)", ("car_nk", "BCMA"),
           ("Anti-BCMA CAR-NK92 cells", "BCMA CAR-NK cells"), itype=_CELLS, how=_CAR_HOW),
    _agent("nkg2d_nk", "CAR-NK cells (unnamed product)", ("car_nk", "NKG2D-L"),
           ("NKG2D CAR-NK", "NKG2D-CAR-NK92 cells"), itype=_CELLS, how=_CAR_HOW),
    _agent("robo1_nk", "CAR-NK cells (unnamed product)", ("car_nk", "ROBO1"),
           ("ROBO1 CAR-NK", "BiCAR-NK cells (ROBO1 CAR-NK)"), itype=_CELLS, how=_CAR_HOW),
    _agent("cd33_nk", "CAR-NK cells (unnamed product)", ("car_nk", "CD33"), ("CD33 CAR-NK cells",),
           itype=_CELLS, how=_CAR_HOW),
    _agent("dual_nk", "CAR-NK cells (unnamed product)", ("car_nk", "CD19"),
           ("CD19/CD22 CAR-NK", "CD19/CD22 dual CAR-NK cells"), itype=_CELLS, how=_CAR_HOW,
           also=(("car_nk", "CD22"),)),
    _agent("ace2_nk", "CAR-NK cells (unnamed product)", ("car_nk", "NKG2D-L"),
           ("NKG2D-ACE2 CAR-NK cells",), itype=_CELLS, how="Given IV once weekly"),
)

_ADOPTIVE_NK: Final = (
    _agent("haplo_nk", "NK cells (unnamed product)", ("adoptive_nk", "none"),
           ("Haploidentical Natural Killer Cells", "Haploidentical NK cells", "Allogeneic NK cell infusion",
            "Expanded Allogeneic Natural Killer Cells", "Cord blood-derived expanded NK cells",
            "Autologous NK cells", "Natural Killer Cell Therapy"),
           ("NK cells", "natural killer cells", "allogeneic NK cells"), itype=_CELLS, how=_NK_HOW),
    _agent("nk92", "NK cells (unnamed product)", ("adoptive_nk", "none"), ("NK-92 cells", "NK-92 cell infusion"),
           itype=_CELLS, how=_NK_HOW),
    _agent("ciml_nk", "NK cells (unnamed product)", ("adoptive_nk", "none"),
           ("Cytokine-induced memory-like NK cells", "CIML NK cells",
            "IL-12/15/18 pre-activated memory-like NK cells"), itype=_CELLS, how=_NK_HOW),
    _agent("ft500", "FT500", ("adoptive_nk", "none"), ("FT500", "FT500 (iPSC-derived NK cells)"), itype=_CELLS,
           sponsor="Fate Therapeutics", how=_NK_HOW),
    _agent("cynk001", "CYNK-001", ("adoptive_nk", "none"), ("CYNK-001", "CYNK-001 placental NK cells"),
           itype=_CELLS, sponsor="Celularity Incorporated", how=_NK_HOW),
    _agent("hank", "haNK", ("adoptive_nk", "CD16"), ("haNK", "haNK cells", "High-affinity NK cells (haNK)"),
           ("high-affinity NK-92",), itype=_CELLS, sponsor="ImmunityBio, Inc.", how="Given IV twice weekly"),
    _agent("ank", "aNK", ("adoptive_nk", "none"), ("aNK", "Activated NK-92 cells (aNK)"), itype=_CELLS,
           sponsor="ImmunityBio, Inc.", how=_NK_HOW),
    _agent("snk01", "SNK01", ("adoptive_nk", "none"), ("SNK01", "SNK01 autologous NK cells"), itype=_CELLS,
           sponsor="NKGen Biotech, Inc.", how=_NK_HOW),
)

_IL15: Final = ("cytokine", "IL-15")
_CYTOKINES_ETC: Final = (
    _agent("n803", "nogapendekin alfa inbakicept", _IL15,
           ("N-803", "ALT-803", "Anktiva", "Nogapendekin Alfa Inbakicept-pmln", "ALT-803 (IL-15 superagonist complex)"),
           ("ALT-803", "N-803", "Anktiva", "IL-15 Superagonist ALT-803", "nogapendekin alfa inbakicept"),
           itype="BIOLOGICAL", sponsor="ImmunityBio, Inc.", how="Given SC"),
    _agent("nktr255", "NKTR-255", _IL15, ("NKTR-255", "NKTR 255", "Polymer-conjugated IL-15 NKTR-255"),
           itype="BIOLOGICAL", sponsor="Nektar Therapeutics"),
    _agent("niz985", "hetIL-15", _IL15, ("NIZ985", "hetIL-15", "NIZ985 (hetIL-15)"), ("hetIL-15",),
           itype="BIOLOGICAL", sponsor="Novartis Pharmaceuticals", how="Given SC"),
    _agent("aldesleukin", "aldesleukin", ("cytokine", "IL-2"),
           ("Aldesleukin", "Proleukin", "High-dose Interleukin-2", "Recombinant Interleukin-2"),
           ("IL-2", "Proleukin", "Recombinant Human IL-2", "rIL-2"), itype="BIOLOGICAL",
           mesh=(("D007376", "Interleukin-2"),), ancestors=(*_ANTIBODY[1:], *_IMMUNOLOGIC),
           how="Given IV every 8 hours"),
    _agent("magrolimab", "magrolimab", ("innate_checkpoint", "CD47"), ("Magrolimab", "Hu5F9-G4", "5F9", "GS-4721"),
           ("Hu5F9-G4", "5F9", "GS-4721"), sponsor="Gilead Sciences"),
    _agent("evorpacept", "evorpacept", ("innate_checkpoint", "CD47"), ("Evorpacept", "ALX148"), ("ALX148",),
           sponsor="ALX Oncology Inc."),
    _agent("cln619", "CLN-619", ("nkg2d_axis", "MICA/B"), ("CLN-619", "CLN-619 (anti-MICA/MICB antibody)"),
           sponsor="Cullinan Oncology Inc."),
)

_PARTNERS: Final = (
    _agent("cetuximab", "cetuximab", ("adcc_antibody", "EGFR"), ("Cetuximab", "Erbitux®", "C225", "IMC-C225"),
           ("C225", "Erbitux", "IMC-C225"), mesh=(("D000068818", "Cetuximab"),), ancestors=_ANTIBODY),
    _agent("rituximab", "rituximab", ("adcc_antibody", "CD20"),
           ("Rituximab", "Rituxan", "IDEC-C2B8", "Rituximab 375 mg/m2"), ("IDEC-C2B8", "MabThera", "Rituxan"),
           mesh=(("D000069283", "Rituximab"),),
           ancestors=(*_ANTIBODY, ("D018501", "Antirheumatic Agents"))),
    _agent("trastuzumab", "trastuzumab", ("adcc_antibody", "HER2"), ("Trastuzumab", "Herceptin"), ("Herceptin",),
           mesh=(("D000068878", "Trastuzumab"),), ancestors=_ANTIBODY),
    _agent("daratumumab", "daratumumab", ("adcc_antibody", "CD38"), ("Daratumumab", "Darzalex", "Daratumumab SC"),
           ("Darzalex", "HuMax-CD38")),
    _agent("azacitidine", "azacitidine", ("nk_modulator", "DNMT"), ("Azacitidine", "5-azacytidine", "Vidaza"),
           ("5-AZC", "Vidaza", "Azacytidine"), mesh=(("D001374", "Azacitidine"),),
           ancestors=(*_ANTIMETABOLITE, ("D004791", "Enzyme Inhibitors")), how="Given SC or IV on days 1-7"),
    _agent("decitabine", "decitabine", ("nk_modulator", "DNMT"), ("Decitabine", "Dacogen", "5-aza-2'-deoxycytidine"),
           ("Dacogen", "5-aza-2'-deoxycytidine"), mesh=(("D000077209", "Decitabine"),),
           ancestors=(*_ANTIMETABOLITE, ("D004791", "Enzyme Inhibitors")), how="Given IV on days 1-5"),
    _agent("lenalidomide", "lenalidomide", ("nk_modulator", "IMiD"), ("Lenalidomide", "Revlimid", "CC-5013"),
           ("CC-5013", "Revlimid"), mesh=(("D000077269", "Lenalidomide"),),
           ancestors=(("D020533", "Angiogenesis Inhibitors"), *_IMMUNOLOGIC, ("D000970", "Antineoplastic Agents")),
           how="Given PO on days 1-21"),
)

_BACKBONE: Final = (
    _other("carboplatin", "DRUG", ("Carboplatin",), ("Paraplatin", "CBDCA"),
           mesh=(("D016190", "Carboplatin"),), ancestors=_ALKYLATING),
    _other("paclitaxel", "DRUG", ("Paclitaxel",), ("Taxol", "Anzatax"),
           mesh=(("D017239", "Paclitaxel"),), ancestors=_PHYTOGENIC),
    _other("pemetrexed", "DRUG", ("Pemetrexed",), ("Alimta", "LY231514"),
           mesh=(("D000068437", "Pemetrexed"),), ancestors=_ANTIMETABOLITE),
    _other("cisplatin", "DRUG", ("Cisplatin",), ("CDDP", "Platinol"),
           mesh=(("D002945", "Cisplatin"),), ancestors=_ALKYLATING),
    _other("etoposide", "DRUG", ("Etoposide",), ("VP-16", "VePesid"),
           mesh=(("D005047", "Etoposide"),), ancestors=_PHYTOGENIC),
    _other("gemcitabine", "DRUG", ("Gemcitabine", "Gemcitabine Hydrochloride"), ("Gemzar",),
           mesh=(("C056507", "Gemcitabine"),), ancestors=_ANTIMETABOLITE),
    _other("oxaliplatin", "DRUG", ("Oxaliplatin",), ("Eloxatin",),
           mesh=(("D000077150", "Oxaliplatin"),), ancestors=_ALKYLATING),
    _other("docetaxel", "DRUG", ("Docetaxel",), ("Taxotere",),
           mesh=(("D000077143", "Docetaxel"),), ancestors=_PHYTOGENIC),
    _other("fluorouracil", "DRUG", ("Fluorouracil", "5-FU"), ("5-Fluorouracil",),
           mesh=(("D005472", "Fluorouracil"),), ancestors=_ANTIMETABOLITE),
    _other("cyclophosphamide", "DRUG", ("Cyclophosphamide",), ("Cytoxan", "CTX"),
           mesh=(("D003520", "Cyclophosphamide"),), ancestors=_ALKYLATING,
           how="Given IV on days -5 to -3 (lymphodepletion)"),
    _other("fludarabine", "DRUG", ("Fludarabine", "Fludarabine Phosphate"), ("Fludara",),
           mesh=(("C024352", "fludarabine"),), ancestors=_ANTIMETABOLITE,
           how="Given IV on days -5 to -3 (lymphodepletion)"),
    _other("dexamethasone", "DRUG", ("Dexamethasone",), ("Decadron",),
           mesh=(("D003907", "Dexamethasone"),), ancestors=(("D000893", "Anti-Inflammatory Agents"),)),
    _other("pegaspargase", "DRUG", ("Pegaspargase", "L-asparaginase"), ("Oncaspar",),
           mesh=(("D001215", "Asparaginase"),), ancestors=(("D000970", "Antineoplastic Agents"),)),
    _other("placebo", "DRUG", ("Placebo", "Placebo Administration", "Normal saline placebo"), how="Given IV"),
    _other("bcg", "BIOLOGICAL", ("BCG", "Bacillus Calmette-Guerin"), ("TICE BCG",), how="Given intravesically"),
    _other("il2_support", "BIOLOGICAL", ("Interleukin-2", "Aldesleukin", "Low-dose IL-2"), ("IL-2", "Proleukin"),
           mesh=(("D007376", "Interleukin-2"),), ancestors=_IMMUNOLOGIC,
           how="Given SC every other day after NK cell infusion to support NK cell expansion"),
    _other("sbrt", "RADIATION", ("Stereotactic Body Radiation Therapy", "Radiotherapy"),
           ("SBRT", "Stereotactic Ablative Radiotherapy"), how="Undergo radiation therapy"),
    _other("hsct", "PROCEDURE", ("Allogeneic Hematopoietic Stem Cell Transplantation",), ("HSCT",),
           how="Undergo transplantation"),
    _other("biospecimen", "PROCEDURE", ("Biospecimen Collection",),
           ("Biological Sample Collection", "Biospecimen Collected", "Specimen Collection"),
           how="Undergo collection of blood samples"),
    _other("ct_scan", "PROCEDURE", ("Computed Tomography",), ("CAT Scan", "CT", "CT Scan", "tomography"),
           how="Undergo CT"),
    _other("qol", "OTHER", ("Quality-of-Life Assessment",), ("Quality of Life Assessment",),
           how="Ancillary studies"),
)

_TRAP_PRODUCTS: Final = (
    _other("dc_cik", _CELLS,
           ("DC-CIK cells", "Autologous DC-CIK", "Cytokine-induced Killer Cells", "CIK cell infusion"),
           ("CIK", "dendritic cell-cytokine induced killer cells"),
           how="CIK cells are CD3+CD56+ T cells with NK cell-like cytotoxicity, given IV"),
    _other("car_nkt", _CELLS, ("CAR-NKT cells", "GD2-CAR NKT cells", "Autologous iNKT cells", "iNKT cell infusion"),
           ("invariant natural killer T cells",), how="Invariant natural killer T (iNKT) cells given IV"),
    _other("car_t", _CELLS, ("CD19 CAR-T cells", "Anti-BCMA CAR-T Cells", "CAR T-cell therapy"),
           ("chimeric antigen receptor T cells",), how="Given IV; NK cell reconstitution is monitored"),
    _other("exercise", "BEHAVIORAL", ("Moderate Aerobic Exercise", "Supervised exercise program"),
           how="Participants exercise 3 times a week; NK cell activity is measured in blood"),
    _other("vitamin_d", "DIETARY_SUPPLEMENT", ("Vitamin D3", "Cholecalciferol supplementation"), ("cholecalciferol",),
           mesh=(("D002762", "Cholecalciferol"),), ancestors=(("D014807", "Vitamins"),),
           how="Taken PO daily; NK cell activity is measured in blood"),
)

INTERVENTIONS: Final[dict[str, Intervention]] = {
    i.key: i
    for i in (*_CHECKPOINTS, *_OTHER_CHECKPOINTS, *_NK_CHECKPOINTS, *_ENGAGERS, *_CAR_NK, *_ADOPTIVE_NK,
              *_CYTOKINES_ETC, *_PARTNERS, *_BACKBONE, *_TRAP_PRODUCTS)
}
