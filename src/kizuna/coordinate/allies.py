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

:func:`assign_allies` is pure (frames in, frame out). The edits of the tables it reads (``set_rule``,
``remove_rule``, ``set_org_ally``, ``register_org``) live in :mod:`kizuna.coordinate.store`; their old
names here still answer (see ``__getattr__``).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from kizuna.reference.orgs import norm_name_expr

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


_MOVED_TO_STORE = frozenset({"set_rule", "remove_rule", "set_org_ally", "register_org"})


def __getattr__(name: str) -> Any:
    # the workspace edits moved to kizuna.coordinate.store (this module does no I/O); old imports still work
    if name in _MOVED_TO_STORE:
        from kizuna.coordinate import store

        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
