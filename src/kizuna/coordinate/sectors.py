"""Sector levels: DAC 5-digit purpose code, DAC 3-digit category, and IASC humanitarian cluster.

The DAC3 -> cluster table below is our own compact table. It follows the crosswalk of
markbrough/iati3w-data ``inputs/dac3-sector-map.json`` (D. Megginson for Development Initiatives,
public domain; commit fd8b829) for all 43 of its 3-digit categories — a test checks every entry
against that file — and adds a few 5-digit refinements of our own where a DAC3 category spans
clusters (720 Emergency Response, 152 Conflict/Peace/Security, 151 human rights), following the
purpose-code descriptions of the OECD DAC CRS codelist (IATI Sector codelist, 2.03). Categories
without a cluster (most of governance, energy, banking ...) map to no cluster (None): their money is
reported as not comparable with a humanitarian needs table, never forced into a cluster.

The cluster names and synonyms follow the same repository's ``inputs/humanitarian-cluster-map.json``
(IATI SectorVocabulary 10). Needs tables (OCHA HNO, HDX HAPI) write sectors as short codes:
:data:`NEEDS_SECTOR_CODES` maps them (HDX HAPI sector codes: FSC, HEA, WSH, PRO, PRO-GBV ...).
"""

from __future__ import annotations

import re

import polars as pl

SectorLevel = str  # "dac5" | "dac3" | "cluster"
LEVELS = ("dac5", "dac3", "cluster")

# DAC 3-digit category -> (short name, IASC cluster or None)
DAC3: dict[str, tuple[str, str | None]] = {
    "111": ("Education, level unspecified", "Education"),
    "112": ("Basic education", "Education"),
    "113": ("Secondary education", "Education"),
    "114": ("Post-secondary education", "Education"),
    "121": ("Health, general", "Health"),
    "122": ("Basic health", "Health"),
    "123": ("Non-communicable diseases", "Health"),
    "130": ("Population and reproductive health", "Health"),
    "140": ("Water supply and sanitation", "Water Sanitation Hygiene"),
    "151": ("Government and civil society, general", None),
    "152": ("Conflict, peace and security", None),
    "160": ("Other social infrastructure and services", None),
    "210": ("Transport and storage", "Logistics"),
    "220": ("Communications", "Emergency Telecommunications"),
    "230": ("Energy generation and supply", None),
    "231": ("Energy policy", None),
    "232": ("Energy, renewable sources", None),
    "233": ("Energy, non-renewable sources", None),
    "234": ("Hybrid energy plants", None),
    "235": ("Nuclear energy plants", None),
    "236": ("Energy distribution", None),
    "240": ("Banking and financial services", None),
    "250": ("Business and other services", None),
    "311": ("Agriculture", "Food Security"),
    "312": ("Forestry", None),
    "313": ("Fishing", "Food Security"),
    "321": ("Industry", None),
    "322": ("Mineral resources and mining", None),
    "323": ("Construction", "Housing, Land and Property"),
    "331": ("Trade policies and regulations", None),
    "332": ("Tourism", None),
    "410": ("General environment protection", None),
    "430": ("Other multisector", None),
    "510": ("General budget support", None),
    "520": ("Development food assistance", "Food Security"),
    "530": ("Other commodity assistance", "Emergency Shelter and NFI"),
    "600": ("Action relating to debt", None),
    "720": ("Emergency response", None),
    "730": ("Reconstruction relief and rehabilitation", "Early Recovery"),
    "740": ("Disaster prevention and preparedness", None),
    "910": ("Administrative costs of donors", None),
    "930": ("Refugees in donor countries", None),
    "998": ("Unallocated / unspecified", None),
}
# 5-digit refinements where a category spans clusters (our reading of the purpose-code descriptions).
DAC5_CLUSTER: dict[str, str] = {
    "12240": "Nutrition",
    "15160": "Protection",
    "15180": "Gender Based Violence",
    "15250": "Mine Action",
    "15261": "Child Protection",
    "72010": "Emergency Shelter and NFI",
    "72011": "Health",
    "72012": "Education",
    "72040": "Food Security",
    "72050": "Logistics",
}
# IATI SectorVocabulary 10 (humanitarian global clusters) code -> cluster name.
VOCAB10: dict[str, str] = {
    "1": "Camp Coordination / Management",
    "2": "Early Recovery",
    "3": "Education",
    "4": "Emergency Shelter and NFI",
    "5": "Emergency Telecommunications",
    "6": "Food Security",
    "7": "Health",
    "8": "Logistics",
    "9": "Nutrition",
    "10": "Protection",
    "11": "Water Sanitation Hygiene",
    "5403": "Child Protection",
    "5404": "Gender Based Violence",
    "5405": "Housing, Land and Property",
    "5406": "Mine Action",
}
# 3W sheets name clusters in many spellings; normalised synonym -> cluster.
_SYNONYMS: dict[str, str] = {
    "cccm": "Camp Coordination / Management",
    "wash": "Water Sanitation Hygiene",
    "water sanitation and hygiene": "Water Sanitation Hygiene",
    "water": "Water Sanitation Hygiene",
    "gbv": "Gender Based Violence",
    "shelter": "Emergency Shelter and NFI",
    "nfi": "Emergency Shelter and NFI",
    "shelter nfi": "Emergency Shelter and NFI",
    "esnfi": "Emergency Shelter and NFI",
    "food security and livelihoods": "Food Security",
    "fsl": "Food Security",
    "fsac": "Food Security",
    "hlp": "Housing, Land and Property",
    "child protection": "Child Protection",
    "cp": "Child Protection",
    "mine action": "Mine Action",
    "etc": "Emergency Telecommunications",
    "telecommunications": "Emergency Telecommunications",
    "camp coordination and camp management": "Camp Coordination / Management",
    # spellings of the real OCHA 3W sheets (South Sudan 2022, Afghanistan 2024)
    "es nfi": "Emergency Shelter and NFI",
    "emergency shelter and non food items": "Emergency Shelter and NFI",
    "emergency shelter non food items": "Emergency Shelter and NFI",
    "shelter and non food items": "Emergency Shelter and NFI",
    "food security and agriculture": "Food Security",
    "food security agriculture": "Food Security",
    "education in emergencies": "Education",
    "eie": "Education",
    "water sanitation hygiene": "Water Sanitation Hygiene",
    "gender based violence": "Gender Based Violence",
    "housing land and property": "Housing, Land and Property",
}
# Sector codes of needs tables (OCHA HNO / HDX HAPI "sector_code"): code -> cluster; None = no one
# cluster (ALL is the intersectoral figure, MS multi-sector). Separators "_", "-", " - " all occur.
NEEDS_SECTOR_CODES: dict[str, str | None] = {
    "ALL": None,
    "MS": None,
    "CCM": "Camp Coordination / Management",
    "ERY": "Early Recovery",
    "EDU": "Education",
    "SHL": "Emergency Shelter and NFI",
    "TEL": "Emergency Telecommunications",
    "ETC": "Emergency Telecommunications",
    "FSC": "Food Security",
    "HEA": "Health",
    "LOG": "Logistics",
    "NUT": "Nutrition",
    "PRO": "Protection",
    "PRO_CPN": "Child Protection",
    "PRO_CPM": "Child Protection",  # the Afghanistan HNO 2024 spells it CPM
    "PRO_GBV": "Gender Based Violence",
    "PRO_HLP": "Housing, Land and Property",
    "PRO_MIN": "Mine Action",
    "WSH": "Water Sanitation Hygiene",
}
INTERSECTORAL = "ALL"
CLUSTERS = sorted(set(VOCAB10.values()))
_NORM = {re.sub(r"[^a-z0-9]+", " ", c.lower()).strip(): c for c in CLUSTERS}


def normalise_cluster(text: str | None) -> str | None:
    """A cluster name from free 3W text ("WASH", "Water, Sanitation & Hygiene" ...), or None.

    A label before a colon is dropped when the rest names a cluster ("Operational Presence: Health"),
    as are the ``_OP`` suffixes of OCHA cluster codes (``WASH_OP``).
    """
    if not text:
        return None
    candidates = [text]
    if ":" in text:
        candidates.append(text.rsplit(":", 1)[1])
    for t in candidates:
        key = re.sub(r"[^a-z0-9]+", " ", t.lower().replace("&", " and ")).strip()
        key = re.sub(r" op$", "", key)
        key2 = key.replace(" and ", " ")
        for k in (key, key2):
            if k in _NORM:
                return _NORM[k]
            if k in _SYNONYMS:
                return _SYNONYMS[k]
    return None


def needs_code_key(code: str) -> str:
    """A needs-table sector code written one way: upper case, ``PRO - GBV``/``PRO-GBV`` as ``PRO_GBV``."""
    return re.sub(r"\s*[-_]\s*", "_", code.strip().upper())


def needs_sector_cluster(code: str | None) -> str | None:
    """The cluster of a needs table's sector: an HNO/HAPI code (``FSC``, ``PRO_GBV``), else a cluster
    name in any known spelling; None for ``ALL``/``MS`` and for what names no cluster."""
    if not code:
        return None
    key = needs_code_key(code)
    if key in NEEDS_SECTOR_CODES:
        return NEEDS_SECTOR_CODES[key]
    return normalise_cluster(code)


VOCAB10_CODE = {name: code for code, name in VOCAB10.items()}


def resolve_sector(text: str) -> tuple[str, str]:
    """What a user's sector filter means: ``("cluster", name)`` for a cluster (by name, synonym, HNO
    code or IATI vocabulary-10 code), ``("dac", code)`` for a DAC 3- or 5-digit code. One filter thus
    selects the same sector in a needs table and in the ledger. Raises ValueError when it is neither."""
    t = text.strip()
    if re.fullmatch(r"\d{3}(\d{2})?", t):
        return ("dac", t)
    cluster = needs_sector_cluster(t) or VOCAB10.get(t)
    if cluster:
        return ("cluster", cluster)
    raise ValueError(t)


def cluster_of(dac5: str | None, dac3: str | None) -> str | None:
    """The IASC cluster of a DAC code: a 5-digit refinement first, then the 3-digit category."""
    if dac5 and dac5 in DAC5_CLUSTER:
        return DAC5_CLUSTER[dac5]
    if dac3 and dac3 in DAC3:
        return DAC3[dac3][1]
    return None


def sector_table(codes: list[str]) -> pl.DataFrame:
    """For DAC codes (5- or 3-digit): dac5 (None for a 3-digit code), dac3, cluster, dac3_name."""
    rows = []
    for c in codes:
        c = (c or "").strip()
        d5 = c if len(c) == 5 and c.isdigit() else None
        d3 = c[:3] if c[:3].isdigit() and len(c) in (3, 5) else None
        rows.append(
            {
                "code": c,
                "dac5": d5,
                "dac3": d3,
                "cluster": cluster_of(d5, d3),
                "dac3_name": DAC3.get(d3 or "", (None, None))[0],
            }
        )
    return pl.DataFrame(
        rows,
        schema={"code": pl.String, "dac5": pl.String, "dac3": pl.String, "cluster": pl.String, "dac3_name": pl.String},
    )


def with_sector_levels(df: pl.DataFrame, code_col: str = "code", name_col: str | None = None) -> pl.DataFrame:
    """Add ``dac5``, ``dac3``, ``cluster`` columns for a column of DAC codes (and 3W cluster names).

    Rows whose code is empty but whose ``name_col`` names a cluster (3W sheets) get that cluster.
    """
    codes = df.get_column(code_col).cast(pl.String).fill_null("").unique().to_list()
    table = sector_table(codes).drop("dac3_name").rename({"code": code_col})
    out = df.with_columns(pl.col(code_col).cast(pl.String).fill_null("")).join(table, on=code_col, how="left")
    if name_col is not None and name_col in df.columns:
        names = out.get_column(name_col).cast(pl.String).unique().to_list()
        mapping = pl.DataFrame(
            {name_col: names, "_c": [normalise_cluster(n) for n in names]},
            schema={name_col: pl.String, "_c": pl.String},
        )
        out = (
            out.join(mapping, on=name_col, how="left")
            .with_columns(pl.coalesce("cluster", "_c").alias("cluster"))
            .drop("_c")
        )
    return out.with_columns(pl.when(pl.col(code_col) == "").then(None).otherwise(pl.col(code_col)).alias(code_col))


def sector_key(level: SectorLevel) -> pl.Expr:
    """The grouping key for a sector level; falls back to the finer code when the coarser is unknown."""
    if level == "dac5":
        return pl.coalesce("dac5", "dac3", pl.col("cluster")).alias("sector")
    if level == "dac3":
        return pl.coalesce("dac3", pl.col("cluster")).alias("sector")
    if level == "cluster":
        return pl.coalesce("cluster", pl.lit("DAC ") + pl.col("dac3")).alias("sector")
    raise ValueError(level)
