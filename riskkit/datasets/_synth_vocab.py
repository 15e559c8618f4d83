"""Fixed vocabularies and per-category parameters of the synthetic portfolio.

Everything here is a small table of constants: industries and regions with their risk
and balance-sheet parameters, ownership types, word lists for synthetic names and the
event templates.  The numbers are stylised, chosen so that the generated book looks like
a Chinese B2B trade-credit portfolio; they are not estimates from real data.
"""

from __future__ import annotations

import numpy as np

#: industry, share of customers, quality shift, asset turnover (revenue / assets),
#: EBIT margin, current-asset share of assets, name descriptors
INDUSTRIES: tuple[tuple, ...] = (
    ("manufacturing", 0.22, 0.00, 1.00, 0.07, 0.55,
     ("Precision Manufacturing", "Machinery", "Industrial", "Electrical Equipment", "Auto Parts", "Chemical")),
    ("construction", 0.10, -0.30, 0.80, 0.05, 0.65,
     ("Construction Engineering", "Building Materials", "Civil Engineering", "Decoration Engineering")),
    ("real_estate", 0.06, -0.40, 0.25, 0.12, 0.75,
     ("Real Estate Development", "Property", "Land Development")),
    ("retail", 0.10, -0.10, 2.00, 0.04, 0.50,
     ("Retail", "Supermarket", "Department Store", "E-commerce")),
    ("wholesale", 0.14, -0.05, 2.50, 0.03, 0.65,
     ("Trading", "Commerce & Trade", "Import & Export", "Supply Chain Management")),
    ("logistics", 0.08, 0.00, 1.20, 0.05, 0.40,
     ("Logistics", "Freight", "Cold Chain Logistics", "Shipping")),
    ("energy", 0.06, 0.20, 0.50, 0.10, 0.30,
     ("New Energy", "Power", "Petrochemical", "Coal Industry")),
    ("agriculture", 0.07, -0.15, 0.90, 0.06, 0.45,
     ("Agricultural Development", "Agriculture & Animal Husbandry", "Food", "Seed Industry")),
    ("technology", 0.10, 0.10, 0.90, 0.10, 0.60,
     ("Information Technology", "Software", "Electronic Technology", "Network Technology")),
    ("healthcare", 0.07, 0.25, 0.80, 0.11, 0.50,
     ("Pharmaceutical", "Medical Devices", "Biotechnology", "Health Management")),
)
INDUSTRY_NAMES = tuple(row[0] for row in INDUSTRIES)
INDUSTRY_SHARE = np.array([row[1] for row in INDUSTRIES])
INDUSTRY_QUALITY_SHIFT = np.array([row[2] for row in INDUSTRIES])
INDUSTRY_ASSET_TURNOVER = np.array([row[3] for row in INDUSTRIES])
INDUSTRY_EBIT_MARGIN = np.array([row[4] for row in INDUSTRIES])
INDUSTRY_CURRENT_ASSET_SHARE = np.array([row[5] for row in INDUSTRIES])
INDUSTRY_DESCRIPTORS = tuple(row[6] for row in INDUSTRIES)

#: region, share, quality shift, administrative code (for synthetic id numbers), cities
REGIONS: tuple[tuple, ...] = (
    ("east", 0.26, 0.10, "310000", ("Shanghai", "Hangzhou", "Suzhou", "Ningbo")),
    ("north", 0.16, 0.05, "110000", ("Beijing", "Tianjin", "Shijiazhuang")),
    ("south", 0.20, 0.10, "440000", ("Shenzhen", "Guangzhou", "Xiamen")),
    ("central", 0.12, 0.00, "420000", ("Wuhan", "Changsha", "Zhengzhou")),
    ("southwest", 0.11, -0.05, "510000", ("Chengdu", "Chongqing", "Kunming")),
    ("northwest", 0.06, -0.15, "610000", ("Xi'an", "Lanzhou", "Urumqi")),
    ("northeast", 0.09, -0.25, "210000", ("Shenyang", "Dalian", "Harbin")),
)
REGION_NAMES = tuple(row[0] for row in REGIONS)
REGION_SHARE = np.array([row[1] for row in REGIONS])
REGION_QUALITY_SHIFT = np.array([row[2] for row in REGIONS])
REGION_CODES = tuple(row[3] for row in REGIONS)
REGION_CITIES = tuple(row[4] for row in REGIONS)

#: enterprise ownership types: share, quality shift, size multiplier, state share range (%)
OWNERSHIP: tuple[tuple, ...] = (
    ("central_soe", 0.04, 0.50, 8.0, (51.0, 100.0)),
    ("local_soe", 0.10, 0.20, 3.0, (30.0, 100.0)),
    ("private", 0.74, 0.00, 1.0, (0.0, 0.0)),
    ("foreign", 0.12, 0.20, 2.0, (0.0, 0.0)),
)
OWNERSHIP_NAMES = tuple(row[0] for row in OWNERSHIP) + ("individual",)
OWNERSHIP_SHARE = np.array([row[1] for row in OWNERSHIP])
OWNERSHIP_QUALITY_SHIFT = np.array([row[2] for row in OWNERSHIP] + [-0.10])
OWNERSHIP_SIZE_MULT = np.array([row[3] for row in OWNERSHIP] + [1.0])
OWNERSHIP_STATE_RANGE = np.array([row[4] for row in OWNERSHIP] + [(0.0, 0.0)])
INDIVIDUAL = len(OWNERSHIP)  # code of ownership_type "individual"
FOREIGN = OWNERSHIP_NAMES.index("foreign")

PAYMENT_TERMS_DAYS = np.array([30, 45, 60, 90])

BRAND_SYLLABLES = (
    "Hua", "Xin", "Jin", "Long", "Tai", "Feng", "Sheng", "Heng", "Da", "Tong", "Yuan", "Kai",
    "Rui", "Xing", "Hong", "Guang", "Ming", "Tian", "Hai", "Shan", "Bao", "Fu", "Cheng", "An",
    "Jia", "Yi", "Zhong", "Wei", "De", "Lian",
)
FOREIGN_BRANDS = (
    "Nordfeld", "Altmann", "Brightway", "Kessler", "Meridian", "Valcour", "Lindqvist", "Harrow",
    "Bellamy", "Osterberg", "Fairmont", "Rosenthal",
)
FAMILY_NAMES = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun",
    "Hu", "Zhu", "Gao", "Lin", "He", "Guo", "Ma", "Luo",
)
GIVEN_NAMES = (
    "Wei", "Fang", "Na", "Min", "Jing", "Lei", "Qiang", "Jun", "Yang", "Yong", "Yan", "Jie",
    "Tao", "Ming", "Chao", "Xiuying", "Hui", "Li", "Ping", "Gang",
)

#: event category: yearly rate at quality 0, sensitivity to weak quality (k in
#: exp(-k * quality)), multiplier at full distress, base severity, source, text templates
EVENT_CATEGORIES: tuple[tuple, ...] = (
    ("litigation", 0.15, 0.7, 6.0, 2, "court_records", (
        "Contract dispute lawsuit filed by a supplier",
        "Sales contract dispute lawsuit filed by a customer",
        "Loan dispute lawsuit filed by a bank",
        "Labour dispute arbitration filed by former employees",
        "Lease dispute lawsuit filed by a landlord",
    )),
    ("enforcement", 0.03, 1.0, 10.0, 4, "court_enforcement", (
        "Listed as a judgment debtor subject to enforcement",
        "Court froze bank accounts to enforce a judgment",
        "Equity interests frozen by court order",
        "Listed as a dishonest judgment debtor",
    )),
    ("tax", 0.05, 0.6, 4.0, 2, "tax_authority", (
        "Overdue tax payment notice",
        "Tax arrears announcement published",
        "Penalty for late filing of tax returns",
    )),
    ("penalty", 0.06, 0.5, 3.0, 2, "regulator", (
        "Administrative penalty for environmental violation",
        "Fine for product quality non-compliance",
        "Work safety violation penalty",
        "Penalty for false advertising",
    )),
    ("negative_news", 0.08, 0.7, 6.0, 2, "news", (
        "Media report on delayed salary payments",
        "Report of supplier payment delays",
        "Senior executive resigned unexpectedly",
        "Auditor issued a qualified opinion",
        "Production halted at a main plant",
    )),
    ("business_change", 0.25, 0.2, 2.0, 1, "business_registry", (
        "Change of legal representative",
        "Change of registered address",
        "Change of shareholders registered",
        "Change of business scope",
        "Reduction of registered capital",
    )),
    ("positive_news", 0.15, -0.6, 0.2, 1, "news", (
        "Awarded a major supply contract",
        "Recognised as a high-tech enterprise",
        "Completed a new financing round",
        "Opened a new production line",
    )),
)
BANKRUPTCY_TEXTS = (
    "Bankruptcy reorganisation petition accepted by the court",
    "Bankruptcy liquidation petition accepted by the court",
    "Creditor filed for bankruptcy; court accepted the case",
)
BANKRUPTCY_SOURCE = "court_records"

DEFAULT_MODES = ("dpd90", "bankruptcy", "write_off")
#: probabilities of the default reasons for enterprises and individuals
DEFAULT_MODE_P_ENTERPRISE = np.array([0.65, 0.20, 0.15])
DEFAULT_MODE_P_INDIVIDUAL = np.array([0.80, 0.00, 0.20])

BUREAU_SOURCES = ("bureau_a", "bureau_b")
