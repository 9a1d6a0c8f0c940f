"""Allies: which alliance member ("United States", "Japan", "UN", "NGOs" ...) an organisation counts under.

Resolution order for one organisation (first that applies):

1. an explicit mapping of that organisation (``coordinate_org_allies``, edited with ``kizuna allies set``);
2. the organisation registry's entry for its identifier (``org_registry``: shipped in
   ``kizuna/reference/organisations.csv``, entries added with ``kizuna allies register``);
3. the longest matching identifier prefix rule (``coordinate_ally_rules``; defaults shipped in
   migration 0020: ``US-GOV-`` -> United States, ``XM-DAC-701-``/``JP-`` -> Japan, ``XM-DAC-41`` -> UN ...);
4. a name shared with an organisation placed by one of the above (a 3W row naming an IATI publisher);
5. the IATI OrganisationType: 21-24 (NGOs) -> "NGOs", 40 (multilateral) -> "Multilaterals";
6. "Other".

:func:`assign_allies` is pure (frames in, frame out); the ``*_rule``/``set_org_ally`` functions edit the
workspace tables.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from kizuna.errors import InputError, Where
from kizuna.i18n import N_
from kizuna.reference.orgs import norm_name, norm_name_expr
from kizuna.workspace import Workspace, kill_point

OTHER = "Other"
_TYPE_FALLBACK = {"21": "NGOs", "22": "NGOs", "23": "NGOs", "24": "NGOs", "40": "Multilaterals"}


def org_key_expr(ref: str = "org_ref", name: str = "org_name") -> pl.Expr:
    """The organisation key: its IATI ref when it has one, else ``name:<normalised name>``."""
    r = pl.col(ref).cast(pl.String).str.strip_chars()
    n = norm_name_expr(pl.col(name))
    return pl.when(r.is_not_null() & (r != "")).then(r).otherwise(pl.lit("name:") + n).alias("org_key")


def assign_allies(
    orgs: pl.DataFrame, rules: pl.DataFrame, overrides: pl.DataFrame, registry: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Add ``ally`` and ``ally_source`` ('org' | 'registry' | 'rule:<prefix>' | 'name' | 'type' | 'none') to ``orgs``.

    ``registry`` (optional) has ``org_key, ally``: the registry's ally of an identifier.

    ``orgs`` needs ``org_key`` (and optionally ``org_type`` and ``org_name``); ``rules`` has ``prefix, ally``
    and optionally ``source`` ('user' rules outrank the registry, 'default' ones do not);
    ``overrides`` has ``org_key, ally`` (an org_key may be ``name:<normalised name>``).
    An organisation that nothing else places, but whose normalised name is that of an organisation placed
    by its identifier (a 3W row naming an IATI publisher), takes that ally ('name').
    """
    def by_prefix(selected: pl.DataFrame) -> tuple[pl.Expr, pl.Expr]:
        expr_ally: pl.Expr = pl.lit(None, dtype=pl.String)
        expr_src: pl.Expr = pl.lit(None, dtype=pl.String)
        # shortest first, so the longest matching prefix is applied last and wins
        for prefix, ally in sorted(selected.select("prefix", "ally").iter_rows(), key=lambda r: len(r[0])):
            hit = pl.col("org_key").str.starts_with(prefix)
            expr_ally = pl.when(hit).then(pl.lit(ally)).otherwise(expr_ally)
            expr_src = pl.when(hit).then(pl.lit(f"rule:{prefix}")).otherwise(expr_src)
        return expr_ally, expr_src

    # a user's prefix rule outranks the shipped registry, which outranks the shipped prefix rules
    is_user = pl.col("source") == "user" if "source" in rules.columns else pl.lit(False)
    user_ally, user_src = by_prefix(rules.filter(is_user))
    default_ally, default_src = by_prefix(rules.filter(~is_user))
    out = orgs.with_columns(
        user_ally.alias("_user_ally"),
        user_src.alias("_user_src"),
        default_ally.alias("_rule_ally"),
        default_src.alias("_rule_src"),
    )
    if registry is not None and registry.height:
        reg = registry.select(pl.col("org_key").cast(pl.String), pl.col("ally").cast(pl.String).alias("_reg"))
        out = out.join(reg.unique("org_key"), on="org_key", how="left").with_columns(
            pl.coalesce("_reg", "_rule_ally").alias("_rule_ally"),
            pl.when(pl.col("_reg").is_not_null()).then(pl.lit("registry")).otherwise(pl.col("_rule_src")).alias(
                "_rule_src"
            ),
        ).drop("_reg")
    out = out.with_columns(
        pl.coalesce("_user_ally", "_rule_ally").alias("_rule_ally"),
        pl.coalesce("_user_src", "_rule_src").alias("_rule_src"),
    ).drop("_user_ally", "_user_src")
    ov = overrides.select(pl.col("org_key").cast(pl.String), pl.col("ally").cast(pl.String).alias("_ov"))
    has_name = "org_name" in out.columns
    name_key = (pl.lit("name:") + norm_name_expr(pl.col("org_name"))) if has_name else pl.lit(None, dtype=pl.String)
    out = out.with_columns(name_key.alias("_name_key")).join(ov, on="org_key", how="left")
    ov_by_name = ov.rename({"org_key": "_name_key", "_ov": "_ov_name"})
    out = out.join(ov_by_name, on="_name_key", how="left").with_columns(pl.coalesce("_ov", "_ov_name").alias("_ov"))
    type_col = (
        pl.col("org_type").cast(pl.String).replace_strict(_TYPE_FALLBACK, default=None)
        if "org_type" in out.columns
        else pl.lit(None, dtype=pl.String)
    )
    out = out.with_columns(type_col.alias("_type_ally"))
    # names of organisations placed by identifier or by hand, when one name means one ally
    placed = (
        out.filter(
            (pl.col("_ov").is_not_null() | pl.col("_rule_ally").is_not_null()) & pl.col("_name_key").is_not_null()
        )
        .select("_name_key", pl.coalesce("_ov", "_rule_ally").alias("_by_name"))
        .unique()
        .filter(pl.len().over("_name_key") == 1)
    )
    out = out.join(placed, on="_name_key", how="left")
    return out.with_columns(
        pl.coalesce("_ov", "_rule_ally", "_by_name", "_type_ally", pl.lit(OTHER)).alias("ally"),
        pl.when(pl.col("_ov").is_not_null())
        .then(pl.lit("org"))
        .when(pl.col("_rule_ally").is_not_null())
        .then(pl.col("_rule_src"))
        .when(pl.col("_by_name").is_not_null())
        .then(pl.lit("name"))
        .when(pl.col("_type_ally").is_not_null())
        .then(pl.lit("type"))
        .otherwise(pl.lit("none"))
        .alias("ally_source"),
    ).drop("_rule_ally", "_rule_src", "_ov", "_ov_name", "_type_ally", "_name_key", "_by_name")


def _check(value: str, field: str) -> str:
    v = (value or "").strip()
    if not v:
        raise InputError(
            "allies.empty",
            N_("{field} is empty"),
            Where(field=field),
            hint=N_("give a non-empty {field}"),
            params={"field": field},
        )
    return v


def set_rule(ws: Workspace, prefix: str, ally: str, note: str | None = None) -> None:
    """Add or replace an identifier-prefix rule (source 'user')."""
    prefix, ally = _check(prefix, "prefix"), _check(ally, "ally")
    with ws.transaction() as con:
        con.execute("DELETE FROM coordinate_ally_rules WHERE prefix = ?", [prefix])
        kill_point("insert")  # deleted, not yet inserted: the SIGKILL tests stop here
        con.execute("INSERT INTO coordinate_ally_rules VALUES (?, ?, 'user', ?)", [prefix, ally, note])


def remove_rule(ws: Workspace, prefix: str) -> bool:
    with ws.transaction() as con:
        rows = con.execute("SELECT count(*) FROM coordinate_ally_rules WHERE prefix = ?", [prefix]).fetchall()
        n = rows[0][0] if rows else 0
        con.execute("DELETE FROM coordinate_ally_rules WHERE prefix = ?", [prefix])
    return bool(n)


def set_org_ally(ws: Workspace, org: str, ally: str, org_name: str | None = None) -> str:
    """Map one organisation (an IATI ref, or ``name:Some NGO`` for a 3W name) to an ally; returns its key."""
    org, ally = _check(org, "org"), _check(ally, "ally")
    key = "name:" + norm_name(org[5:]) if org.lower().startswith("name:") else org
    with ws.transaction() as con:
        con.execute("DELETE FROM coordinate_org_allies WHERE org_key = ?", [key])
        kill_point("insert")  # deleted, not yet inserted: the SIGKILL tests stop here
        con.execute(
            "INSERT INTO coordinate_org_allies VALUES (?, ?, ?, ?)",
            [key, org_name or org, ally, datetime.now(UTC).replace(tzinfo=None)],
        )
    return key


def register_org(
    ws: Workspace,
    ref: str,
    name: str,
    ally: str,
    *,
    name_ja: str | None = None,
    agency: str | None = None,
    org_type: str | None = None,
    aliases: str | None = None,
    same_as: str | None = None,
    source: str | None = None,
) -> None:
    """Add or replace a registry entry (origin 'user': it outlives updates of the shipped registry)."""
    ref, name, ally = _check(ref, "ref"), _check(name, "name"), _check(ally, "ally")
    from kizuna.reference.orgs import is_org_identifier

    if not is_org_identifier(ref):
        raise InputError(
            "allies.bad_ref",
            N_("{ref!r} is not an IATI organisation identifier"),
            Where(field="ref"),
            hint=N_("identifiers look like US-GOV-1, XM-DAC-701-8 or GB-CHC-202918 (agency prefix, then the number)"),
            params={"ref": ref},
        )
    with ws.transaction() as con:
        con.execute("DELETE FROM org_registry WHERE ref = ?", [ref])
        kill_point("insert")  # deleted, not yet inserted: the SIGKILL tests stop here
        con.execute(
            "INSERT INTO org_registry VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'user')",
            [ref, name, name_ja, ally, agency, org_type, aliases, same_as, source or "added by a user"],
        )
