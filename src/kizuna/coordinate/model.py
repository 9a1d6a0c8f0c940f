"""The ledger as the coordinate analyses see it: a few Polars frames, and pure helpers over them.

:class:`LedgerFrames` is filled by :mod:`kizuna.coordinate.queries` (the only place that reads the
workspace) or built directly in tests and benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from kizuna.coordinate.allies import assign_allies, org_key_expr
from kizuna.reference.orgs import is_org_identifier_expr, norm_name_expr, registry_names

ROLES = {"reporting": None, "funding": 1, "accountable": 2, "extending": 3, "implementing": 4}

ACTIVITY_SCHEMA = {
    "activity_uid": pl.String,
    "iati_identifier": pl.String,
    "source": pl.String,
    "publisher_ref": pl.String,
    "publisher_name": pl.String,
    "publisher_type": pl.String,
    "title": pl.String,
    "description": pl.String,
    "status_code": pl.String,
    "start_date": pl.Date,
    "end_date": pl.Date,
    "reached": pl.Int64,
}
ORG_SCHEMA = {
    "activity_uid": pl.String,
    "role": pl.Int64,
    "org_ref": pl.String,
    "org_name": pl.String,
    "org_type": pl.String,
}
SECTOR_SCHEMA = {
    "activity_uid": pl.String,
    "code": pl.String,
    "name": pl.String,
    "percentage": pl.Float64,
    "dac5": pl.String,
    "dac3": pl.String,
    "cluster": pl.String,
}
LOCATION_SCHEMA = {
    "activity_uid": pl.String,
    "adm1": pl.String,
    "adm2": pl.String,
    "lat": pl.Float64,
    "lon": pl.Float64,
    "country": pl.String,
}
FLOW_SCHEMA = {
    "activity_uid": pl.String,
    "seq": pl.Int64,
    "type_code": pl.String,
    "date": pl.Date,
    "year": pl.Int64,
    "country": pl.String,
    "sector": pl.String,
    "sector3": pl.String,
    "usd": pl.Float64,
    "counted": pl.Boolean,
}
COUNTRY_SCHEMA = {"activity_uid": pl.String, "country": pl.String}
LINK_SCHEMA = {"uid_a": pl.String, "uid_b": pl.String}
# organisation names with their language (issue 12): reporting-org (other 0) and participating-org
# (other 1) narratives, every language kept (migrations/0007_narratives.sql)
# (counted per distinct name: n narratives; lang is the primary subtag)
ORG_LANG_SCHEMA = {"org_ref": pl.String, "org_name": pl.String, "lang": pl.String, "other": pl.Int64, "n": pl.Int64}
# every title narrative of the activities published with several titles (issue 12)
TITLE_SCHEMA = {
    "activity_uid": pl.String,
    "seq": pl.Int64,
    "ord": pl.Int64,
    "lang": pl.String,
    "default_lang": pl.String,
    "title": pl.String,
}
RECEIVER_SCHEMA = {"activity_uid": pl.String, "org_ref": pl.String, "org_name": pl.String}
UPSTREAM_SCHEMA = {"activity_uid": pl.String, "upstream_id": pl.String}
CODE_SCHEMA = {"codelist": pl.String, "code": pl.String, "name": pl.String}
RULE_SCHEMA = {"prefix": pl.String, "ally": pl.String, "source": pl.String}
OVERRIDE_SCHEMA = {"org_key": pl.String, "ally": pl.String}
REGISTRY_SCHEMA = {
    "ref": pl.String,
    "name": pl.String,
    "name_ja": pl.String,
    "ally": pl.String,
    "agency": pl.String,
    "org_type": pl.String,
    "aliases": pl.String,
    "same_as": pl.String,
}


def empty(schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


@dataclass
class LedgerFrames:
    """The ledger tables the analyses need (see the schema constants above for the columns)."""

    activities: pl.DataFrame
    orgs: pl.DataFrame = field(default_factory=lambda: empty(ORG_SCHEMA))
    sectors: pl.DataFrame = field(default_factory=lambda: empty(SECTOR_SCHEMA))
    locations: pl.DataFrame = field(default_factory=lambda: empty(LOCATION_SCHEMA))
    flows: pl.DataFrame = field(default_factory=lambda: empty(FLOW_SCHEMA))
    countries: pl.DataFrame = field(default_factory=lambda: empty(COUNTRY_SCHEMA))
    links: pl.DataFrame = field(default_factory=lambda: empty(LINK_SCHEMA))
    rules: pl.DataFrame = field(default_factory=lambda: empty(RULE_SCHEMA))
    overrides: pl.DataFrame = field(default_factory=lambda: empty(OVERRIDE_SCHEMA))
    registry: pl.DataFrame = field(default_factory=lambda: empty(REGISTRY_SCHEMA))
    # organisations money is passed on to (transaction receiver-org of commitments and disbursements)
    receivers: pl.DataFrame = field(default_factory=lambda: empty(RECEIVER_SCHEMA))
    # identifiers of the activities an activity's money comes from (provider-activity-id of incoming
    # funds, participating-org/@activity-id of its funders)
    upstream: pl.DataFrame = field(default_factory=lambda: empty(UPSTREAM_SCHEMA))
    # code names (IATI codelists: Sector, SectorCategory), so outputs show names, not codes
    codes: pl.DataFrame = field(default_factory=lambda: empty(CODE_SCHEMA))
    # organisation names in each language they were published in (ORG_LANG_SCHEMA), for org_names
    org_langs: pl.DataFrame = field(default_factory=lambda: empty(ORG_LANG_SCHEMA))
    # title narratives of activities with several titles (TITLE_SCHEMA), for titles()
    titles: pl.DataFrame = field(default_factory=lambda: empty(TITLE_SCHEMA))


def activity_orgs(lf: LedgerFrames, role: str = "reporting") -> pl.DataFrame:
    """Each activity's organisation(s) in a role, with allies and equal weights summing to 1 per activity.

    ``role`` is 'reporting' (the publisher; a 3W row's organisation), or an IATI OrganisationRole
    name: 'funding' (1), 'accountable' (2), 'extending' (3), 'implementing' (4). An activity with no
    organisation in that role falls back to its publisher, so no money drops out of the totals.
    Organisations are resolved once, here, for every view (:func:`resolve_orgs`): a ref that is not an
    organisation identifier is matched by name in the registry, else (funding, accountable, extending)
    replaced by the publisher. Columns: activity_uid, org_key, org_name, org_type, weight, ally,
    ally_source, resolution.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {sorted(ROLES)}")
    pub = lf.activities.select(
        "activity_uid",
        pl.col("publisher_ref").alias("org_ref"),
        pl.col("publisher_name").alias("org_name"),
        pl.col("publisher_type").alias("org_type"),
    )
    code = ROLES[role]
    if code is None:
        chosen = resolve_orgs(pub.with_columns(pl.lit(None, dtype=pl.Int64).alias("role")), lf)
    else:
        in_role = (
            lf.orgs.filter(pl.col("role") == code)
            .filter(
                pl.col("org_ref").fill_null("").str.strip_chars().ne("")
                | pl.col("org_name").fill_null("").str.strip_chars().ne("")
            )
            .select("activity_uid", "role", "org_ref", "org_name", "org_type")
        )
        missing = pub.join(in_role.select("activity_uid").unique(), on="activity_uid", how="anti")
        chosen = resolve_orgs(
            pl.concat([in_role, missing.with_columns(pl.lit(None, dtype=pl.Int64).alias("role"))], how="diagonal"), lf
        )
    chosen = chosen.unique(["activity_uid", "org_key"], keep="first", maintain_order=True).with_columns(
        (1.0 / pl.len().over("activity_uid")).alias("weight")
    )
    registry = lf.registry.select(pl.col("ref").alias("org_key"), "ally").filter(pl.col("ally").is_not_null())
    return assign_allies(
        chosen.select("activity_uid", "org_key", "org_name", "org_type", "weight", "resolution"),
        lf.rules,
        lf.overrides,
        registry,
    )


# DAC channel categories used as refs ("XM-DAC-22000  NGO - United States Other"): a code ending in
# 000 names a kind of organisation, not one; the registry lists the exceptions (44000 World Bank Group).
_CHANNEL_CATEGORY = r"^XM-DAC-\d{2}000$"


# Names that stand for a kind of organisation (foreignassistance.gov's "Enterprise - United States Other",
# "NGO - Non United States Other", "Government - ... Other") or hide it ("... Redacted").
_GENERIC_NAME = (
    r"(?i)(redacted|^(name:)?(enterprise|ngo|government|university|multilateral|private sector)\b.*\bother$)"
)


def generic_org_expr(key: pl.Expr) -> pl.Expr:
    """Organisation keys or names that name a category or hide the organisation, never one
    organisation: DAC channel categories (``XM-DAC-22000``), foreignassistance.gov's "Enterprise -
    United States Other" and the like, and redacted names ("Enterprise - ... Redacted")."""
    k = key.cast(pl.String).fill_null("").str.strip_chars()
    return k.str.contains(_CHANNEL_CATEGORY) | k.str.contains(_GENERIC_NAME)


def resolve_orgs(orgs: pl.DataFrame, lf: LedgerFrames, lang: str | None = None) -> pl.DataFrame:
    """The one organisation resolution every page, command and report uses.

    ``orgs`` has activity_uid, role (IATI OrganisationRole code; null for the publisher), org_ref,
    org_name, org_type. For each row (first that applies):

    1. ``org_ref`` is an organisation identifier (:func:`kizuna.reference.orgs.is_org_identifier`), or
       the publisher's own ref: kept (resolution 'ref'), or its current identifier when the registry
       knows it as a legacy ref of one (``JP-8`` is ``XM-DAC-701-8``, JICA);
    2. else its name is a name or alias of one registry entry: that entry's ref ('registry-name';
       "Department of Defense" with ref "7" becomes US-GOV-7);
    3. else, for a funding, accountable or extending organisation (roles 1-3), the activity's publisher
       ('publisher'): a funder ref such as "7" or "" says nothing the publisher does not;
    4. else it is known by its name only ('name': key ``name:<normalised name>``).

    An organisation known by name only (or a 3W pseudo-ref) whose name is that of exactly one
    identified organisation *is* that organisation. Names are then one per key and language
    (:func:`org_names`; ``lang`` defaults to the language of the moment, :func:`kizuna.i18n.current`).
    Adds org_key and resolution; org_name becomes the key's one name in that language.
    """
    reg_refs = lf.registry.get_column("ref").to_list()
    reg_names = registry_names(lf.registry)
    pubs = lf.activities.select(
        "activity_uid", pl.col("publisher_ref").alias("_pref"), pl.col("publisher_name").alias("_pname")
    )
    ref = pl.col("org_ref").cast(pl.String).str.strip_chars()
    out = (
        orgs.with_columns(
            ref.alias("org_ref"),
            # a publisher's own ref names the publisher, whatever its shape (role null = the publisher)
            (is_org_identifier_expr(pl.col("org_ref"), reg_refs) | (pl.col("role").is_null() & ref.ne(""))).alias(
                "_valid"
            ),
            norm_name_expr(pl.col("org_name")).alias("_n"),
        )
        .join(reg_names.rename({"ref": "_reg"}), on="_n", how="left")
        .join(pubs, on="activity_uid", how="left")
    )
    pseudo_ref = pl.col("org_ref").fill_null("").str.starts_with("3W:")
    fallback = pl.col("role").is_in([1, 2, 3]).fill_null(False)
    out = out.with_columns(
        pl.when(pl.col("_valid") | pseudo_ref)
        .then(pl.lit("ref"))
        .when(pl.col("_reg").is_not_null())
        .then(pl.lit("registry-name"))
        .when(fallback)
        .then(pl.lit("publisher"))
        .otherwise(pl.lit("name"))
        .alias("resolution")
    )
    same_as = lf.registry.filter(pl.col("same_as").is_not_null()).select(
        pl.col("ref").alias("org_ref"), pl.col("same_as").alias("_same")
    )
    out = out.join(same_as, on="org_ref", how="left").with_columns(
        pl.when(pl.col("resolution") == "ref")
        .then(pl.coalesce("_same", "org_ref"))
        .when(pl.col("resolution") == "registry-name")
        .then(pl.col("_reg"))
        .when(pl.col("resolution") == "publisher")
        .then(pl.col("_pref"))
        .otherwise(None)
        .alias("org_ref"),
        pl.when(pl.col("resolution") == "publisher")
        .then(pl.col("_pname"))
        .otherwise(pl.col("org_name"))
        .alias("org_name"),
    )
    out = _unify_by_name(out.with_columns(org_key_expr()), lf, reg_names)
    names = org_names(lf, lang)
    out = (
        out.join(names.rename({"org_name": "_canon"}), on="org_key", how="left")
        .with_columns(pl.coalesce("_canon", "org_name", "org_ref", "org_key").alias("org_name"))
        .drop("_canon", "_valid", "_n", "_reg", "_pref", "_pname", "_same")
    )
    return out


def _is_pseudo(key: pl.Expr) -> pl.Expr:
    # organisations known only by name: no ref ('name:...'), or the ledger's 3W pseudo-ref ('3W:...')
    return key.str.starts_with("name:") | key.str.starts_with("3W:")


def _unify_by_name(chosen: pl.DataFrame, lf: LedgerFrames, reg_names: pl.DataFrame | None = None) -> pl.DataFrame:
    """Give an organisation known only by name the identifier of the one identified organisation of that name.

    A 3W sheet names "Some Agency"; if exactly one organisation with an IATI ref carries that
    (normalised) name anywhere in the ledger or in the registry (names, aliases, agency labels), it is
    the same organisation, so pairs and counts treat it so.
    """
    pub = lf.activities.select(pl.col("publisher_ref").alias("org_ref"), pl.col("publisher_name").alias("org_name"))
    both = pl.concat([pub, lf.orgs.select("org_ref", "org_name")], how="vertical_relaxed").with_columns(org_key_expr())
    seen = both.filter(
        ~_is_pseudo(pl.col("org_key"))
        & pl.col("org_name").is_not_null()
        & is_org_identifier_expr(pl.col("org_key"), lf.registry.get_column("ref").to_list())
    ).select(norm_name_expr(pl.col("org_name")).alias("_n"), pl.col("org_key").alias("_ref"))
    if reg_names is None:
        reg_names = registry_names(lf.registry)
    known = (
        pl.concat([seen, reg_names.select("_n", pl.col("ref").alias("_ref"))])
        .unique()
        .filter(pl.len().over("_n") == 1)
    )
    out = chosen.with_columns(norm_name_expr(pl.col("org_name")).alias("_nn")).join(
        known.rename({"_n": "_nn"}), on="_nn", how="left"
    )
    return out.with_columns(
        pl.when(_is_pseudo(pl.col("org_key")) & pl.col("_ref").is_not_null())
        .then(pl.col("_ref"))
        .otherwise(pl.col("org_key"))
        .alias("org_key")
    ).drop("_nn", "_ref")


def org_names(lf: LedgerFrames, lang: str | None = None) -> pl.DataFrame:
    """One display name per org_key for a reader of ``lang`` (default: the language of the moment).

    The rule (docs/languages.md, "Multilingual data"; in SQL :func:`kizuna.ledger.queries.org_names_sql`):
    the registry's name in that language (``name`` in English, ``name_ja`` in Japanese); else the
    most frequent name the organisation gives itself in that language as a publisher, else the most
    frequent name others give it in that language; else, whatever the language, the rule of the
    workspace view ``org_names``: the registry's name; else the most frequent name the organisation
    gives itself as a publisher; else the most frequent name others give it; ties to the
    alphabetically first. Columns: org_key, org_name."""
    from kizuna.ledger.queries import data_lang

    ui = data_lang(lang)
    pub = lf.activities.select(
        pl.col("publisher_ref").alias("org_ref"), pl.col("publisher_name").alias("org_name"), pl.lit(0).alias("other")
    )
    part = lf.orgs.select("org_ref", "org_name", pl.lit(1).alias("other"))
    both = pl.concat([pub, part], how="vertical_relaxed").filter(pl.col("org_name").is_not_null())
    seen = (
        both.with_columns(org_key_expr())
        .group_by("org_key", "org_name")
        .agg(pl.col("other").min(), pl.len().alias("n"))
        .sort(["org_key", "other", "n", "org_name"], descending=[False, False, True, False])
        .unique("org_key", keep="first", maintain_order=True)
        .select("org_key", "org_name")
    )
    reg = lf.registry.select(pl.col("ref").alias("org_key"), pl.col("name").alias("org_name"))
    fallback = pl.concat([reg, seen.join(reg, on="org_key", how="anti")])
    reg_col = {"en": "name", "ja": "name_ja"}.get(ui)
    in_lang = (
        lf.registry.select(pl.col("ref").alias("org_key"), pl.col(reg_col).alias("org_name")).drop_nulls()
        if reg_col
        else pl.DataFrame(schema={"org_key": pl.String, "org_name": pl.String})
    )
    own = (
        lf.org_langs.filter((pl.col("lang") == ui) & pl.col("org_name").is_not_null())
        .with_columns(org_key_expr())
        .group_by("org_key", "org_name")
        .agg(pl.col("other").min(), pl.col("n").sum())
        .sort(["org_key", "other", "n", "org_name"], descending=[False, False, True, False])
        .unique("org_key", keep="first", maintain_order=True)
        .select("org_key", "org_name")
    )
    first = pl.concat([in_lang, own.join(in_lang, on="org_key", how="anti")])
    return pl.concat([first, fallback.join(first, on="org_key", how="anti")])


def titles(lf: LedgerFrames, lang: str | None = None) -> pl.DataFrame:
    """Each activity's title for a reader of ``lang`` (default: the language of the moment): the rule
    of docs/languages.md, "Multilingual data" (:func:`kizuna.ledger.queries.titles_sql` in SQL): the
    title in that language, else English, else the activity's default language, else the first in
    document order; ``activities.title`` for an activity published with one title. Columns:
    activity_uid, title."""
    from kizuna.ledger.queries import data_lang

    ui = data_lang(lang)
    p = pl.col("lang").str.split("-").list.first()
    rank = (
        pl.when(p == ui)
        .then(0)
        .when(p == "en")
        .then(1)
        .when(p == pl.col("default_lang").str.split("-").list.first())
        .then(2)
        .otherwise(3)
    )
    several = (
        lf.titles.with_columns(rank.alias("_r"))
        .sort(["activity_uid", "_r", "seq", "ord"])
        .unique("activity_uid", keep="first", maintain_order=True)
        .select("activity_uid", pl.col("title").alias("_t"))
    )
    return (
        lf.activities.select("activity_uid", "title")
        .join(several, on="activity_uid", how="left")
        .select("activity_uid", pl.coalesce("_t", "title").alias("title"))
    )


def replaced_refs(lf: LedgerFrames) -> pl.DataFrame:
    """Funding, accountable and extending organisations whose ref is not an organisation identifier
    ("7", "2", empty), with what :func:`resolve_orgs` counted them as and the money involved.

    One row per (publisher, role, ref as published, name as published): activities, one example
    activity_uid, the key and name they count under, how ('registry-name' or 'publisher'), ``usd``
    (the activities' counted disbursements and expenditure, USD) and ``share`` of the ledger's.
    """
    orgs = lf.orgs.filter(pl.col("role").is_in([1, 2, 3])).select(
        "activity_uid", "role", "org_ref", "org_name", "org_type"
    )
    resolved = resolve_orgs(
        orgs.with_columns(pl.col("org_ref").alias("_raw_ref"), pl.col("org_name").alias("_raw_name")), lf
    ).filter(pl.col("resolution").is_in(["registry-name", "publisher"]))
    spend = (
        lf.flows.filter(pl.col("counted") & pl.col("type_code").is_in(["3", "4"]))
        .group_by("activity_uid")
        .agg(pl.col("usd").sum().alias("usd"))
    )
    total = float(spend.get_column("usd").sum() or 0.0)
    pubs = lf.activities.select("activity_uid", "publisher_ref")
    per_act = (
        resolved.unique(["activity_uid", "role", "_raw_ref", "_raw_name"])
        .join(pubs, on="activity_uid", how="left")
        .join(spend, on="activity_uid", how="left")
    )
    out = (
        per_act.group_by("publisher_ref", "role", "_raw_ref", "_raw_name", "org_key", "org_name", "resolution")
        .agg(
            pl.col("activity_uid").n_unique().alias("activities"),
            pl.col("activity_uid").min().alias("example_uid"),
            pl.col("usd").fill_null(0.0).sum().alias("usd"),
        )
        .rename({"_raw_ref": "ref", "_raw_name": "name"})
        .with_columns((pl.col("usd") / total if total else pl.lit(None, dtype=pl.Float64)).alias("share"))
        .sort(["usd", "publisher_ref", "ref"], descending=[True, False, False], nulls_last=True)
    )
    return out


def ledger_country(lf: LedgerFrames, country: str | None) -> str | None:
    """A country filter checked against the countries the ledger holds (case-insensitive; an unknown
    or absent country is an error naming the known ones: :func:`kizuna.reference.countries.check_country`)."""
    if country is None or not country.strip():
        return None
    from kizuna.reference.countries import check_country

    return check_country(country, lf.countries.get_column("country").drop_nulls().unique().to_list())


def with_sector_names(
    df: pl.DataFrame, lf: LedgerFrames, col: str = "sector", name_col: str = "sector_name"
) -> pl.DataFrame:
    """Add the name of each sector in ``col``: a DAC 5-digit purpose code (codelist Sector) or 3-digit
    category (SectorCategory) by its IATI name, a cluster or other named sector by itself."""
    from kizuna.coordinate.sectors import DAC3

    names = lf.codes.filter(pl.col("codelist").is_in(["Sector", "SectorCategory"])).select(
        pl.col("code").alias(col), pl.col("name").alias(name_col)
    )
    own = pl.DataFrame(
        {col: list(DAC3), name_col: [v[0] for v in DAC3.values()]}, schema={col: pl.String, name_col: pl.String}
    )
    table = pl.concat([names, own.join(names, on=col, how="anti")]).unique(col, keep="first")
    out = df.join(table, on=col, how="left")
    is_code = pl.col(col).cast(pl.String).fill_null("").str.contains(r"^\d{3}(\d{2})?$")
    return out.with_columns(
        pl.when(pl.col(name_col).is_null() & ~is_code).then(pl.col(col)).otherwise(pl.col(name_col)).alias(name_col)
    )
