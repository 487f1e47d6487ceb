"""Conditions (with the MeSH terms CT.gov derives for them), cities and sponsors of synthetic trials.

MeSH ids and terms are real (descriptor D…, supplementary concept C…), as CT.gov writes them in
``derivedSection.conditionBrowseModule``; ``code`` is the vocabulary.md indication code a classifier
should give the condition.  Cities carry real coordinates, as NLM's geocoder would put them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final

from tests.standin.agents_table import MeshTerm

__all__ = ["ACADEMIC_SPONSORS", "CITIES", "CONDITIONS", "GOV_SPONSORS", "NETWORK_SPONSORS", "City", "Condition"]


@dataclass(frozen=True)
class Condition:
    key: str
    code: str  # vocabulary.md indication code
    texts: tuple[str, ...]  # conditions[] spellings, most common first
    meshes: tuple[MeshTerm, ...]
    ancestors: tuple[MeshTerm, ...]


_NEO: Final = (("D009371", "Neoplasms by Site"), ("D009369", "Neoplasms"))
_HIST: Final = (("D009370", "Neoplasms by Histologic Type"), ("D009369", "Neoplasms"))
_CARCINOMA: Final = (("D002277", "Carcinoma"), ("D009375", "Neoplasms, Glandular and Epithelial"), *_HIST)
_LUNG: Final = (("D008175", "Lung Neoplasms"), ("D012142", "Respiratory Tract Neoplasms"),
                ("D013899", "Thoracic Neoplasms"), *_NEO, ("D008171", "Lung Diseases"),
                ("D012140", "Respiratory Tract Diseases"))
_GI: Final = (("D005770", "Gastrointestinal Neoplasms"), ("D004067", "Digestive System Neoplasms"), *_NEO,
              ("D004066", "Digestive System Diseases"), ("D005767", "Gastrointestinal Diseases"))
_FEMALE: Final = (("D005833", "Genital Neoplasms, Female"), ("D014565", "Urogenital Neoplasms"), *_NEO,
                  ("D005831", "Genital Diseases, Female"))
_LYMPHOID: Final = (("D008232", "Lymphoproliferative Disorders"), ("D008206", "Lymphatic Diseases"),
                    ("D007160", "Immunoproliferative Disorders"), ("D007154", "Immune System Diseases"))
_LYMPHOMA: Final = (("D008223", "Lymphoma"), *_HIST, *_LYMPHOID)
_LEUKEMIA: Final = (("D007938", "Leukemia"), *_HIST)
_NEURO: Final = (("D018358", "Neuroendocrine Tumors"), ("D017599", "Neuroectodermal Tumors"),
                 ("D009373", "Neoplasms, Germ Cell and Embryonal"), ("D009380", "Neoplasms, Nerve Tissue"), *_HIST)
_AUTOIMMUNE: Final = (("D001327", "Autoimmune Diseases"), ("D007154", "Immune System Diseases"),
                      ("D003240", "Connective Tissue Diseases"), ("D017437", "Skin and Connective Tissue Diseases"))


def _c(key: str, code: str, texts: tuple[str, ...], meshes: tuple[MeshTerm, ...],
       ancestors: tuple[MeshTerm, ...]) -> Condition:
    return Condition(key, code, texts, meshes, ancestors)


CONDITIONS: Final[dict[str, Condition]] = {c.key: c for c in (
    _c("nsclc", "nsclc", ("Non-small Cell Lung Cancer", "NSCLC", "Carcinoma, Non-Small-Cell Lung",
                          "Stage IV Lung Non-Small Cell Cancer AJCC v8", "Metastatic Non-Small Cell Lung Cancer"),
       (("D002289", "Carcinoma, Non-Small-Cell Lung"),),
       (("D002283", "Carcinoma, Bronchogenic"), ("D001984", "Bronchial Neoplasms"), *_LUNG, *_CARCINOMA)),
    _c("sclc", "sclc", ("Small Cell Lung Cancer", "Extensive-stage Small Cell Lung Cancer", "SCLC"),
       (("D055752", "Small Cell Lung Carcinoma"),),
       (("D002283", "Carcinoma, Bronchogenic"), *_LUNG, ("D018278", "Carcinoma, Neuroendocrine"), *_NEURO)),
    _c("hnscc", "head_and_neck", ("Head and Neck Squamous Cell Carcinoma", "Head and Neck Cancer", "HNSCC",
                                  "Recurrent Head and Neck Squamous Cell Carcinoma"),
       (("D000077195", "Squamous Cell Carcinoma of Head and Neck"), ("D006258", "Head and Neck Neoplasms")),
       (("D002294", "Carcinoma, Squamous Cell"), *_CARCINOMA, *_NEO)),
    _c("npc", "nasopharyngeal", ("Nasopharyngeal Carcinoma", "Nasopharyngeal Cancer", "NPC"),
       (("D000077274", "Nasopharyngeal Carcinoma"), ("D009303", "Nasopharyngeal Neoplasms")),
       (("D010610", "Pharyngeal Neoplasms"), ("D010039", "Otorhinolaryngologic Neoplasms"),
        ("D006258", "Head and Neck Neoplasms"), *_NEO, ("D009302", "Nasopharyngeal Diseases"),
        ("D010608", "Pharyngeal Diseases"), ("D010038", "Otorhinolaryngologic Diseases"))),
    _c("melanoma", "melanoma", ("Melanoma", "Metastatic Melanoma", "Unresectable Melanoma", "Stage IV Melanoma"),
       (("D008545", "Melanoma"),), (("D018326", "Nevi and Melanomas"), *_NEURO)),
    _c("breast", "breast", ("Breast Cancer", "Triple Negative Breast Cancer", "HER2-positive Breast Cancer",
                            "Metastatic Breast Cancer"),
       (("D001943", "Breast Neoplasms"),),
       (*_NEO, ("D001941", "Breast Diseases"), ("D012871", "Skin Diseases"),
        ("D017437", "Skin and Connective Tissue Diseases"))),
    _c("crc", "colorectal", ("Colorectal Cancer", "Metastatic Colorectal Cancer", "MSI-H Colorectal Cancer"),
       (("D015179", "Colorectal Neoplasms"),),
       (("D007414", "Intestinal Neoplasms"), *_GI, ("D003108", "Colonic Diseases"),
        ("D007410", "Intestinal Diseases"))),
    _c("gastric", "gastroesophageal", ("Gastric Cancer", "Gastric or Gastroesophageal Junction Adenocarcinoma",
                                       "Stomach Neoplasms"),
       (("D013274", "Stomach Neoplasms"),), (*_GI, ("D013272", "Stomach Diseases"))),
    _c("escc", "gastroesophageal", ("Esophageal Squamous Cell Carcinoma", "Esophageal Cancer", "ESCC"),
       (("D000077277", "Esophageal Squamous Cell Carcinoma"), ("D004938", "Esophageal Neoplasms")),
       (("D002294", "Carcinoma, Squamous Cell"), *_CARCINOMA, *_GI, ("D006258", "Head and Neck Neoplasms"),
        ("D004935", "Esophageal Diseases"))),
    _c("hcc", "hepatocellular", ("Hepatocellular Carcinoma", "HCC", "Liver Cancer"),
       (("D006528", "Carcinoma, Hepatocellular"), ("D008113", "Liver Neoplasms")),
       (("D000230", "Adenocarcinoma"), *_CARCINOMA, ("D004067", "Digestive System Neoplasms"), *_NEO,
        ("D008107", "Liver Diseases"), ("D004066", "Digestive System Diseases"))),
    _c("biliary", "biliary", ("Biliary Tract Cancer", "Cholangiocarcinoma", "Gallbladder Cancer"),
       (("D001661", "Biliary Tract Neoplasms"), ("D018281", "Cholangiocarcinoma")),
       (("D000230", "Adenocarcinoma"), *_CARCINOMA, ("D004067", "Digestive System Neoplasms"), *_NEO,
        ("D001660", "Biliary Tract Diseases"), ("D004066", "Digestive System Diseases"))),
    _c("pancreatic", "pancreatic", ("Pancreatic Cancer", "Pancreatic Ductal Adenocarcinoma",
                                    "Metastatic Pancreatic Adenocarcinoma"),
       (("D010190", "Pancreatic Neoplasms"), ("D021441", "Carcinoma, Pancreatic Ductal")),
       (("D004067", "Digestive System Neoplasms"), ("D004701", "Endocrine Gland Neoplasms"), *_NEO,
        ("D010182", "Pancreatic Diseases"), ("D004700", "Endocrine System Diseases"))),
    _c("ovarian", "ovarian", ("Ovarian Cancer", "Platinum-resistant Ovarian Cancer", "Epithelial Ovarian Cancer"),
       (("D010051", "Ovarian Neoplasms"), ("D000077216", "Carcinoma, Ovarian Epithelial")),
       (*_FEMALE, ("D004701", "Endocrine Gland Neoplasms"), ("D010049", "Ovarian Diseases"),
        ("D000291", "Adnexal Diseases"), ("D006058", "Gonadal Disorders"))),
    _c("cervical", "cervical", ("Cervical Cancer", "Recurrent Cervical Carcinoma", "Uterine Cervical Neoplasms"),
       (("D002583", "Uterine Cervical Neoplasms"),),
       (("D014594", "Uterine Neoplasms"), *_FEMALE, ("D002577", "Uterine Cervical Diseases"),
        ("D014591", "Uterine Diseases"))),
    _c("endometrial", "endometrial", ("Endometrial Cancer", "dMMR Endometrial Carcinoma"),
       (("D016889", "Endometrial Neoplasms"),),
       (("D014594", "Uterine Neoplasms"), *_FEMALE, ("D014591", "Uterine Diseases"))),
    _c("prostate", "prostate", ("Prostate Cancer", "Metastatic Castration-resistant Prostate Cancer", "mCRPC"),
       (("D011471", "Prostatic Neoplasms"), ("D064129", "Prostatic Neoplasms, Castration-Resistant")),
       (("D005834", "Genital Neoplasms, Male"), ("D014565", "Urogenital Neoplasms"), *_NEO,
        ("D011469", "Prostatic Diseases"), ("D005832", "Genital Diseases, Male"))),
    _c("bladder", "bladder_urothelial", ("Urothelial Carcinoma", "Bladder Cancer",
                                         "Non-muscle Invasive Bladder Cancer"),
       (("D001749", "Urinary Bladder Neoplasms"), ("D002295", "Carcinoma, Transitional Cell")),
       (("D014571", "Urologic Neoplasms"), ("D014565", "Urogenital Neoplasms"), *_CARCINOMA, *_NEO,
        ("D001745", "Urinary Bladder Diseases"), ("D014570", "Urologic Diseases"))),
    _c("rcc", "renal", ("Renal Cell Carcinoma", "Clear Cell Renal Cell Carcinoma", "Kidney Cancer"),
       (("D002292", "Carcinoma, Renal Cell"), ("D007680", "Kidney Neoplasms")),
       (("D000230", "Adenocarcinoma"), *_CARCINOMA, ("D014571", "Urologic Neoplasms"), *_NEO,
        ("D007674", "Kidney Diseases"), ("D014570", "Urologic Diseases"))),
    _c("gbm", "glioma", ("Glioblastoma", "Recurrent Glioblastoma", "Glioblastoma Multiforme"),
       (("D005909", "Glioblastoma"),),
       (("D001254", "Astrocytoma"), ("D005910", "Glioma"), ("D018302", "Neoplasms, Neuroepithelial"), *_NEURO)),
    _c("sarcoma", "sarcoma", ("Soft Tissue Sarcoma", "Sarcoma", "Advanced Sarcoma"),
       (("D012509", "Sarcoma"),), (("D018204", "Neoplasms, Connective and Soft Tissue"), *_HIST)),
    _c("mesothelioma", "mesothelioma", ("Malignant Pleural Mesothelioma", "Mesothelioma"),
       (("D000086002", "Mesothelioma, Malignant"), ("D008654", "Mesothelioma")),
       (("D018301", "Neoplasms, Mesothelial"), ("D009373", "Neoplasms, Germ Cell and Embryonal"), *_HIST)),
    _c("aml", "aml", ("Acute Myeloid Leukemia", "AML", "Relapsed/Refractory Acute Myeloid Leukemia"),
       (("D015470", "Leukemia, Myeloid, Acute"),),
       (("D007951", "Leukemia, Myeloid"), *_LEUKEMIA, ("D000208", "Acute Disease"))),
    _c("mds", "mds", ("Myelodysplastic Syndromes", "MDS", "Higher-risk Myelodysplastic Syndrome"),
       (("D009190", "Myelodysplastic Syndromes"),),
       (("D001855", "Bone Marrow Diseases"), ("D006402", "Hematologic Diseases"),
        ("D011230", "Precancerous Conditions"), ("D009369", "Neoplasms"))),
    _c("all", "all", ("B-cell Acute Lymphoblastic Leukemia", "Acute Lymphoblastic Leukemia"),
       (("D054198", "Precursor Cell Lymphoblastic Leukemia-Lymphoma"),),
       (("D007945", "Leukemia, Lymphoid"), *_LEUKEMIA, *_LYMPHOID)),
    _c("cll", "cll", ("Chronic Lymphocytic Leukemia", "CLL", "Small Lymphocytic Lymphoma"),
       (("D015451", "Leukemia, Lymphocytic, Chronic, B-Cell"),),
       (("D015448", "Leukemia, B-Cell"), ("D007945", "Leukemia, Lymphoid"), *_LEUKEMIA, *_LYMPHOID)),
    _c("bcl", "b_cell_lymphoma", ("Diffuse Large B-Cell Lymphoma", "B-cell Non-Hodgkin Lymphoma",
                                  "Relapsed/Refractory B-cell Lymphoma"),
       (("D016403", "Lymphoma, Large B-Cell, Diffuse"), ("D016393", "Lymphoma, B-Cell")),
       (("D008228", "Lymphoma, Non-Hodgkin"), *_LYMPHOMA)),
    _c("hodgkin", "hodgkin_lymphoma", ("Hodgkin Lymphoma", "Classical Hodgkin Lymphoma",
                                       "Relapsed/Refractory Hodgkin Lymphoma"),
       (("D006689", "Hodgkin Disease"),), _LYMPHOMA),
    _c("enktl", "t_nk_cell_lymphoma", ("Extranodal NK/T-cell Lymphoma, Nasal Type", "NK/T-cell Lymphoma",
                                       "Extranodal NK-T-Cell Lymphoma"),
       (("D054391", "Lymphoma, Extranodal NK-T-Cell"),),
       (("D016399", "Lymphoma, T-Cell"), ("D008228", "Lymphoma, Non-Hodgkin"), *_LYMPHOMA)),
    _c("myeloma", "multiple_myeloma",
       ("Multiple Myeloma", "Relapsed/Refractory Multiple Myeloma", "Plasma Cell Myeloma"),
       (("D009101", "Multiple Myeloma"),),
       (("D054219", "Neoplasms, Plasma Cell"), *_HIST, ("D010265", "Paraproteinemias"),
        ("D001796", "Blood Protein Disorders"), ("D006402", "Hematologic Diseases"), *_LYMPHOID)),
    _c("solid", "solid_tumor_unspecified", ("Advanced Solid Tumors", "Solid Tumor", "Metastatic Solid Tumors"),
       (("D009369", "Neoplasms"),), ()),
    _c("heme", "heme_unspecified", ("Hematologic Malignancies", "Hematological Malignancies"),
       (("D019337", "Hematologic Neoplasms"),),
       (("D009371", "Neoplasms by Site"), ("D009369", "Neoplasms"), ("D006402", "Hematologic Diseases"))),
    _c("lupus", "autoimmune", ("Lupus Nephritis", "Systemic Lupus Erythematosus", "Refractory Lupus Nephritis"),
       (("D008181", "Lupus Nephritis"), ("D008180", "Lupus Erythematosus, Systemic")),
       (("D005921", "Glomerulonephritis"), ("D009393", "Nephritis"), ("D007674", "Kidney Diseases"),
        ("D014570", "Urologic Diseases"), *_AUTOIMMUNE)),
    _c("ssc", "autoimmune", ("Systemic Sclerosis", "Diffuse Cutaneous Systemic Sclerosis"),
       (("D012595", "Scleroderma, Systemic"),),
       (("D012871", "Skin Diseases"), *_AUTOIMMUNE)),
    _c("covid", "infectious", ("COVID-19", "SARS-CoV-2 Infection", "COVID-19 Pneumonia"),
       (("D000086382", "COVID-19"),),
       (("D011024", "Pneumonia, Viral"), ("D011014", "Pneumonia"), ("D012141", "Respiratory Tract Infections"),
        ("D007239", "Infections"), ("D014777", "Virus Diseases"), ("D018352", "Coronavirus Infections"),
        ("D003333", "Coronaviridae Infections"), ("D030341", "Nidovirales Infections"),
        ("D012327", "RNA Virus Infections"), ("D008171", "Lung Diseases"), ("D012140", "Respiratory Tract Diseases"))),
)}


@dataclass(frozen=True)
class City:
    city: str
    state: str  # "" where CT.gov gives none
    country: str
    zip: str
    lat: float
    lon: float
    region: str  # US | EU | CN | AS (rest of Asia-Pacific) | OT
    facilities: tuple[str, ...]

    @functools.cached_property
    def fields(self) -> dict[str, str]:
        """city, state (when there is one), zip and country, in the order CT.gov writes them."""
        out = {"city": self.city, "state": self.state, "zip": self.zip, "country": self.country}
        if not self.state:
            del out["state"]
        return out


def _city(spec: str, lat: float, lon: float, *facilities: str) -> City:
    city, state, country, zip_code, region = spec.split("|")
    return City(city, state, country, zip_code, lat, lon, region, facilities)


CITIES: Final = (
    _city("Houston|Texas|United States|77030|US", 29.76328, -95.36327, "M D Anderson Cancer Center",
          "Houston Methodist Hospital", "Baylor College of Medicine"),
    _city("New York|New York|United States|10065|US", 40.71427, -74.00597, "Memorial Sloan Kettering Cancer Center",
          "NYU Langone Health", "Columbia University Irving Medical Center"),
    _city("Boston|Massachusetts|United States|02215|US", 42.35843, -71.05977, "Dana-Farber Cancer Institute",
          "Massachusetts General Hospital", "Beth Israel Deaconess Medical Center"),
    _city("Los Angeles|California|United States|90095|US", 34.05223, -118.24368, "UCLA Medical Center",
          "Cedars-Sinai Medical Center", "USC Norris Comprehensive Cancer Center"),
    _city("Duarte|California|United States|91010|US", 34.13945, -117.97729, "City of Hope Comprehensive Cancer Center"),
    _city("San Francisco|California|United States|94143|US", 37.77493, -122.41942, "UCSF Medical Center"),
    _city("Seattle|Washington|United States|98109|US", 47.60621, -122.33207, "Fred Hutchinson Cancer Center"),
    _city("Rochester|Minnesota|United States|55905|US", 44.02163, -92.4699, "Mayo Clinic in Rochester"),
    _city("Minneapolis|Minnesota|United States|55455|US", 44.97997, -93.26384,
          "Masonic Cancer Center, University of Minnesota"),
    _city("Baltimore|Maryland|United States|21287|US", 39.29038, -76.61219,
          "Johns Hopkins Sidney Kimmel Comprehensive Cancer Center"),
    _city("Bethesda|Maryland|United States|20892|US", 38.98067, -77.10026,
          "National Institutes of Health Clinical Center"),
    _city("Philadelphia|Pennsylvania|United States|19104|US", 39.95233, -75.16379,
          "Abramson Cancer Center of the University of Pennsylvania",
          "Fox Chase Cancer Center"),
    _city("Pittsburgh|Pennsylvania|United States|15232|US", 40.44062, -79.99589, "UPMC Hillman Cancer Center"),
    _city("Chicago|Illinois|United States|60637|US", 41.85003, -87.65005,
          "University of Chicago Comprehensive Cancer Center",
          "Northwestern University"),
    _city("Nashville|Tennessee|United States|37232|US", 36.16589, -86.78444, "Vanderbilt-Ingram Cancer Center",
          "Sarah Cannon Research Institute"),
    _city("Atlanta|Georgia|United States|30322|US", 33.749, -84.38798, "Winship Cancer Institute of Emory University"),
    _city("Saint Louis|Missouri|United States|63110|US", 38.62727, -90.19789,
          "Washington University School of Medicine"),
    _city("Ann Arbor|Michigan|United States|48109|US", 42.27756, -83.74088,
          "University of Michigan Rogel Cancer Center"),
    _city("Cleveland|Ohio|United States|44195|US", 41.4995, -81.69541, "Cleveland Clinic Taussig Cancer Institute"),
    _city("Columbus|Ohio|United States|43210|US", 39.96118, -82.99879,
          "Ohio State University Comprehensive Cancer Center"),
    _city("Durham|North Carolina|United States|27710|US", 35.99403, -78.89862, "Duke University Medical Center"),
    _city("Aurora|Colorado|United States|80045|US", 39.72943, -104.83192, "University of Colorado Cancer Center"),
    _city("Salt Lake City|Utah|United States|84112|US", 40.76078, -111.89105, "Huntsman Cancer Institute"),
    _city("Dallas|Texas|United States|75390|US", 32.78306, -96.80667, "UT Southwestern Simmons Cancer Center"),
    _city("Tampa|Florida|United States|33612|US", 27.94752, -82.45843,
          "H. Lee Moffitt Cancer Center and Research Institute"),
    _city("Miami|Florida|United States|33136|US", 25.77427, -80.19366,
          "University of Miami Sylvester Comprehensive Cancer Center"),
    _city("Toronto|Ontario|Canada|M5G 2M9|OT", 43.70011, -79.4163, "Princess Margaret Cancer Centre"),
    _city("Montreal|Quebec|Canada|H2X 0A9|OT", 45.50884, -73.58781, "Centre hospitalier de l'Université de Montréal"),
    _city("Vancouver|British Columbia|Canada|V5Z 4E6|OT", 49.24966, -123.11934, "BC Cancer - Vancouver"),
    _city("London||United Kingdom|SW3 6JJ|EU", 51.50853, -0.12574, "The Royal Marsden NHS Foundation Trust",
          "University College London Hospitals"),
    _city("Manchester||United Kingdom|M20 4BX|EU", 53.48095, -2.23743, "The Christie NHS Foundation Trust"),
    _city("Glasgow||United Kingdom|G12 0YN|EU", 55.86515, -4.25763, "Beatson West of Scotland Cancer Centre"),
    _city("Villejuif||France|94805|EU", 48.7939, 2.35992, "Gustave Roussy"),
    _city("Paris||France|75010|EU", 48.85341, 2.3488, "Hôpital Saint-Louis", "Institut Curie"),
    _city("Lyon||France|69008|EU", 45.74846, 4.84671, "Centre Léon Bérard"),
    _city("Marseille||France|13009|EU", 43.29695, 5.38107, "Institut Paoli-Calmettes"),
    _city("Heidelberg||Germany|69120|EU", 49.40768, 8.69079, "Universitätsklinikum Heidelberg"),
    _city("Berlin||Germany|10117|EU", 52.52437, 13.41053, "Charité - Universitätsmedizin Berlin"),
    _city("Munich||Germany|81377|EU", 48.13743, 11.57549, "Klinikum der Universität München"),
    _city("Frankfurt||Germany|60590|EU", 50.11552, 8.68417, "Universitätsklinikum Frankfurt"),
    _city("Milan||Italy|20133|EU", 45.46427, 9.18951, "Fondazione IRCCS Istituto Nazionale dei Tumori"),
    _city("Rome||Italy|00168|EU", 41.89193, 12.51133, "Fondazione Policlinico Universitario A. Gemelli IRCCS"),
    _city("Madrid||Spain|28041|EU", 40.4165, -3.70256, "Hospital Universitario 12 de Octubre"),
    _city("Barcelona||Spain|08035|EU", 41.38879, 2.15899, "Vall d'Hebron Institute of Oncology"),
    _city("Amsterdam||Netherlands|1066 CX|EU", 52.37403, 4.88969, "Netherlands Cancer Institute"),
    _city("Leuven||Belgium|3000|EU", 50.87959, 4.70093, "UZ Leuven"),
    _city("Zürich||Switzerland|8091|EU", 47.36667, 8.55, "UniversitätsSpital Zürich"),
    _city("Vienna||Austria|1090|EU", 48.20849, 16.37208, "Medizinische Universität Wien"),
    _city("Copenhagen||Denmark|2100|EU", 55.67594, 12.56553, "Rigshospitalet"),
    _city("Stockholm||Sweden|171 76|EU", 59.32938, 18.06871, "Karolinska University Hospital"),
    _city("Oslo||Norway|0379|EU", 59.91273, 10.74609, "Oslo University Hospital"),
    _city("Warsaw||Poland|02-781|EU", 52.22977, 21.01178, "Narodowy Instytut Onkologii"),
    _city("Beijing|Beijing Municipality|China|100021|CN", 39.9075, 116.39723,
          "Cancer Hospital, Chinese Academy of Medical Sciences",
          "Peking University Cancer Hospital"),
    _city("Shanghai|Shanghai Municipality|China|200032|CN", 31.22222, 121.45806,
          "Fudan University Shanghai Cancer Center",
          "Ruijin Hospital"),
    _city("Guangzhou|Guangdong|China|510060|CN", 23.11667, 113.25, "Sun Yat-sen University Cancer Center"),
    _city("Chengdu|Sichuan|China|610041|CN", 30.66667, 104.06667, "West China Hospital, Sichuan University"),
    _city("Wuhan|Hubei|China|430022|CN", 30.58333, 114.26667, "Union Hospital, Tongji Medical College"),
    _city("Hangzhou|Zhejiang|China|310003|CN", 30.29365, 120.16142,
          "The First Affiliated Hospital, Zhejiang University"),
    _city("Tianjin|Tianjin Municipality|China|300060|CN", 39.14222, 117.17667,
          "Tianjin Medical University Cancer Institute and Hospital"),
    _city("Suzhou|Jiangsu|China|215006|CN", 31.30408, 120.59538, "The First Affiliated Hospital of Soochow University"),
    _city("Seoul||Korea, Republic of|03080|AS", 37.566, 126.9784, "Seoul National University Hospital",
          "Samsung Medical Center", "Asan Medical Center"),
    _city("Tokyo||Japan|104-0045|AS", 35.6895, 139.69171, "National Cancer Center Hospital"),
    _city("Kashiwa|Chiba|Japan|277-8577|AS", 35.85444, 139.96889, "National Cancer Center Hospital East"),
    _city("Taipei||Taiwan|100|AS", 25.04776, 121.53185, "National Taiwan University Hospital"),
    _city("Singapore||Singapore|169610|AS", 1.28967, 103.85007, "National Cancer Centre Singapore"),
    _city("Melbourne|Victoria|Australia|3000|AS", -37.814, 144.96332, "Peter MacCallum Cancer Centre"),
    _city("Sydney|New South Wales|Australia|2050|AS", -33.86785, 151.20732, "Chris O'Brien Lifehouse"),
    _city("Tel Aviv||Israel|6423906|OT", 32.08088, 34.78057, "Tel Aviv Sourasky Medical Center"),
    _city("São Paulo|São Paulo|Brazil|01246-000|OT", -23.5475, -46.63611, "Instituto do Cancer do Estado de São Paulo"),
)

# academic lead sponsors (class OTHER) and the city in CITIES that is their home
ACADEMIC_SPONSORS: Final = (
    ("M.D. Anderson Cancer Center", "Houston"), ("Memorial Sloan Kettering Cancer Center", "New York"),
    ("Dana-Farber Cancer Institute", "Boston"), ("Masonic Cancer Center, University of Minnesota", "Minneapolis"),
    ("Washington University School of Medicine", "Saint Louis"), ("Fred Hutchinson Cancer Center", "Seattle"),
    ("City of Hope Medical Center", "Duarte"), ("Mayo Clinic", "Rochester"),
    ("Gustave Roussy, Cancer Campus, Grand Paris", "Villejuif"), ("University Hospital Heidelberg", "Heidelberg"),
    ("Sun Yat-sen University", "Guangzhou"), ("Fudan University", "Shanghai"),
    ("Chinese Academy of Medical Sciences", "Beijing"), ("West China Hospital", "Chengdu"),
    ("Tianjin Medical University Cancer Institute and Hospital", "Tianjin"),
    ("Samsung Medical Center", "Seoul"), ("National Cancer Center, Japan", "Kashiwa"),
    ("Peter MacCallum Cancer Centre, Australia", "Melbourne"), ("Netherlands Cancer Institute", "Amsterdam"),
    ("Karolinska University Hospital", "Stockholm"), ("University Health Network, Toronto", "Toronto"),
)
NETWORK_SPONSORS: Final = (
    "ECOG-ACRIN Cancer Research Group", "SWOG Cancer Research Network", "Alliance for Clinical Trials in Oncology",
    "NRG Oncology", "Children's Oncology Group", "European Organisation for Research and Treatment of Cancer - EORTC",
)
GOV_SPONSORS: Final = (
    ("National Cancer Centre, Singapore", "Singapore"), ("National Health Research Institutes, Taiwan", "Taipei"),
    ("Instituto Nacional de Cancer, Brazil", "São Paulo"),
)
