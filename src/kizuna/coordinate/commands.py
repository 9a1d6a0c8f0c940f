"""CLI commands of coordinate: who, overlaps, gaps, division, report accountability, allies.

Each command parses its options, loads the ledger (``kizuna.coordinate.queries``), calls one analysis and
renders the result as a table, CSV, XLSX or JSON.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kizuna import i18n
from kizuna.errors import InputError, Where
from kizuna.i18n import N_, _
from kizuna.options import FormatOpt, OutOpt, WorkspaceOpt
from kizuna.output import Format, render, to_json_records, write_xlsx

CountryOpt = Annotated[str | None, typer.Option("--country", help="ISO 3166-1 alpha-2 code, e.g. SS or XZ.")]
FromOpt = Annotated[int | None, typer.Option("--from", help="First year (inclusive).")]
ToOpt = Annotated[int | None, typer.Option("--to", help="Last year (inclusive).")]


class By(StrEnum):
    org = "org"
    ally = "ally"


class Role(StrEnum):
    reporting = "reporting"
    funding = "funding"
    accountable = "accountable"
    extending = "extending"
    implementing = "implementing"


class SectorLevel(StrEnum):
    dac5 = "dac5"
    dac3 = "dac3"
    cluster = "cluster"


class AdminLevel(StrEnum):
    country = "country"
    adm1 = "adm1"
    adm2 = "adm2"


class Period(StrEnum):
    all = "all"
    year = "year"


class DivisionView(StrEnum):
    concentration = "concentration"
    shares = "shares"
    rca = "rca"
    significance = "significance"
    fragmentation = "fragmentation"
    sectors = "sectors"


RoleOpt = Annotated[Role, typer.Option("--role", help="Which organisation of an activity counts.")]


def _ledger(workspace: Path | None):
    from kizuna.coordinate.queries import load_ledger
    from kizuna.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        return load_ledger(ws)


def _ledger_and_areas(workspace: Path | None, country: str | None = None):
    """The ledger frames and the area names (:func:`kizuna.geo.areas.area_names`) of one workspace."""
    from kizuna.coordinate.queries import load_ledger
    from kizuna.geo.areas import area_names
    from kizuna.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        return load_ledger(ws), area_names(ws, country)


def _top(top: int | None) -> None:
    from kizuna.validate import check_top  # the one home of the check, shared with the web

    check_top(top)


def _years(year_from: int | None, year_to: int | None) -> None:
    from kizuna.validate import check_period

    check_period(year_from, year_to)


def who(
    workspace: WorkspaceOpt = None,
    by: Annotated[By, typer.Option("--by", help="Group by organisation or by ally.")] = By.org,
    role: RoleOpt = Role.reporting,
    sector_level: Annotated[SectorLevel, typer.Option("--sector-level")] = SectorLevel.dac3,
    admin_level: Annotated[AdminLevel, typer.Option("--admin-level")] = AdminLevel.adm1,
    period: Annotated[Period, typer.Option("--period", help="all, or one row per year.")] = Period.all,
    country: CountryOpt = None,
    year_from: FromOpt = None,
    year_to: ToOpt = None,
    shared: Annotated[bool, typer.Option("--shared", help="List the sectors several organisations share.")] = False,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Who does what where: organisation or ally x sector x area (x year), USD and activity counts."""
    from kizuna.coordinate.presence import presence, shared_sectors

    _years(year_from, year_to)
    lf, areas = _ledger_and_areas(workspace, country)
    df = presence(
        lf,
        by="org" if shared else by.value,
        role=role.value,
        sector_level=sector_level.value,
        admin_level="country" if shared else admin_level.value,
        period=period.value,
        year_from=year_from,
        year_to=year_to,
        country=country,
        areas=areas,
    )
    if shared:
        render(shared_sectors(df), fmt, out, title=_("Sectors shared by organisations"))
        return
    if fmt is Format.table and "org_key" in df.columns:
        df = df.drop("org_key")
    render(df, fmt, out, title=_("Who does what where"))


def overlaps(
    workspace: WorkspaceOpt = None,
    country: CountryOpt = None,
    different_allies: Annotated[bool, typer.Option("--different-allies", help="Only pairs across allies.")] = False,
    max_km: Annotated[float, typer.Option("--max-km", help="Points closer than this are co-located.")] = 25.0,
    top: Annotated[int | None, typer.Option("--top", help="Keep the N best pairs per country.")] = None,
    min_score: Annotated[float, typer.Option("--min-score")] = 0.0,
    role: RoleOpt = Role.reporting,
    year_from: FromOpt = None,
    year_to: ToOpt = None,
    max_window: Annotated[int, typer.Option("--max-window", help="Pairs per activity per block, at most.")] = 500,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all", help="Also list pairs whose only evidence is the same country (no location, partner or text)."
        ),
    ] = False,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Overlap candidates: activities of different organisations, same sector, same place, same time, with
    their evidence tier (site, admin2, admin1, country) and reasons; records of one grant collapsed."""
    from kizuna.coordinate.overlap import find_overlaps

    _top(top)
    _years(year_from, year_to)
    if max_km <= 0:
        raise InputError(
            "cli.bad_distance",
            N_("--max-km must be positive"),
            Where(field="--max-km"),
            hint=N_("e.g. 25"),
        )
    res = find_overlaps(
        _ledger(workspace),
        country=country,
        role=role.value,
        different_allies=different_allies,
        max_km=max_km,
        max_window=max_window,
        year_from=year_from,
        year_to=year_to,
        top_per_country=top,
        min_score=min_score,
        show_all=show_all,
    )
    df = res.pairs.drop("org_key_a", "org_key_b")
    if fmt is Format.table:
        df = df.select(
            "country", "rank", "score", "evidence", "org_name_a", "title_a", "org_name_b", "title_b", "reasons"
        )
    render(df, fmt, out, title=_("Overlap candidates"))
    for note in res.notes:
        print(_("note: {note}").format(note=_(note)), file=sys.stderr)


class GapLevel(StrEnum):
    all = "all"
    adm1 = "adm1"
    adm2 = "adm2"


class Rank(StrEnum):
    auto = "auto"
    gap = "gap"
    pin_per_org = "pin-per-org"


def gaps(
    needs_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="[NEEDS]",
            help="A needs table to use without storing it (kept for scripts; --needs stores it).",
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
    needs: Annotated[
        Path | None,
        typer.Option(
            "--needs",
            help="Needs table to store in the workspace and use (OCHA HNO CSV, or CSV/XLSX with area, sector,"
            " severity and/or pin). Without it, the stored one is used.",
        ),
    ] = None,
    country: CountryOpt = None,
    sector: Annotated[
        str | None,
        typer.Option("--sector", help="One sector for needs and ledger: cluster (Health, WASH), HNO code, DAC code."),
    ] = None,
    level: Annotated[GapLevel, typer.Option("--level", help="Rank districts (adm2), provinces (adm1) or both.")] = (
        GapLevel.all
    ),
    rank: Annotated[
        Rank, typer.Option("--rank", help="gap score, people in need per organisation, or auto (see docs).")
    ] = Rank.auto,
    role: RoleOpt = Role.reporting,
    measure: Annotated[str, typer.Option("--measure", help="commitments or disbursements.")] = "disbursements",
    target_orgs: Annotated[int, typer.Option("--target-orgs", help="Organisations that count as covered.")] = 3,
    top: Annotated[int | None, typer.Option("--top", help="Keep the N first rows of each level.")] = None,
    year_from: FromOpt = None,
    year_to: ToOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Gaps: areas x sectors ranked by high need and low presence, and what the data cannot show."""
    import polars as pl

    from kizuna.coordinate.gaps import gap_analysis
    from kizuna.coordinate.needs import read_needs
    from kizuna.coordinate.needs_store import current_needs_id, needs_source, store_needs, stored_needs_table
    from kizuna.coordinate.queries import load_ledger
    from kizuna.geo.areas import area_names
    from kizuna.workspace import open_workspace

    _top(top)
    _years(year_from, year_to)
    if measure not in ("commitments", "disbursements", "expenditure"):
        raise InputError(
            "cli.bad_measure",
            N_("unknown measure {measure!r}"),
            Where(field="--measure"),
            hint=N_("commitments, disbursements or expenditure"),
            params={"measure": measure},
        )
    if needs_file is not None and needs is not None:
        raise InputError(
            "cli.two_needs", N_("give the needs table once"), Where(field="--needs"), hint=N_("use --needs FILE only")
        )
    source = None
    if needs is not None:
        with open_workspace(workspace) as ws:
            store_needs(ws, needs)
        source = f"{needs.name} (stored in the workspace)"
    table = read_needs(needs_file) if needs_file is not None else None
    with open_workspace(workspace, read_only=True) as ws:
        if table is None:
            table = stored_needs_table(ws, country)
            needs_id = current_needs_id(ws, country)
            if needs_id is not None and source is None:
                source = f"{needs_source(ws, needs_id)} (stored)"
        lf = load_ledger(ws)
        areas = area_names(ws, country)
    try:
        res = gap_analysis(
            lf,
            table,
            areas=areas,
            country=country,
            sector=sector,
            levels=("adm2", "adm1") if level is GapLevel.all else (level.value,),
            rank_by=rank.value.replace("-", "_"),
            role=role.value,
            measure=f"usd_{measure}",
            year_from=year_from,
            year_to=year_to,
            target_orgs=target_orgs,
        )
    except ValueError:
        raise InputError(
            "cli.bad_sector",
            N_("{sector!r} is neither a cluster nor a DAC code"),
            Where(field="--sector"),
            hint=N_("e.g. Health, WASH, FSC, PRO_GBV, 122 or 12220"),
            params={"sector": sector},
        ) from None
    df = res.table
    if top is not None:
        df = df.filter(pl.col("rank") <= top)
    if fmt is Format.table:
        df = df.select(
            "level",
            "rank",
            "adm1_name",
            "area_name",
            "sector",
            pl.col("pin").round(0).cast(pl.Int64),
            "n_orgs",
            pl.col("pin_per_org").round(0).cast(pl.Int64),
            "usd",
            "gap_score",
        )
    if source:
        print(f"note[needs_table]: {source}", file=sys.stderr)
    for note in res.notes:
        print(f"note[{note['code']}]: {i18n.note_text(note)}", file=sys.stderr)
    render(df, fmt, out, title=_("Gaps - need against presence"))


def division_cmd(
    workspace: WorkspaceOpt = None,
    view: Annotated[DivisionView, typer.Option("--view", help="Which division-of-labour figure.")] = (
        DivisionView.concentration
    ),
    by: Annotated[By, typer.Option("--by", help="Donors as organisations or allies.")] = By.org,
    role: RoleOpt = Role.funding,
    type_code: Annotated[
        str, typer.Option("--type", help="IATI transaction type: 2 commitments, 3 disbursements.")
    ] = "3",
    sector_level: Annotated[SectorLevel, typer.Option("--sector-level")] = SectorLevel.dac3,
    country: CountryOpt = None,
    year_from: FromOpt = None,
    year_to: ToOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Division of labour: shares, HHI, effective number of donors, RCA, significant relationships, EU CoC."""
    from kizuna.coordinate import division
    from kizuna.coordinate.model import ledger_country

    _years(year_from, year_to)
    lf = _ledger(workspace)
    country = ledger_country(lf, country)
    money = division.donor_money(
        lf,
        by=by.value,
        role=role.value,
        type_code=type_code,
        sector_level=sector_level.value,
        year_from=year_from,
        year_to=year_to,
    )
    if view is DivisionView.rca:
        df = division.rca(money)  # across the whole ledger, by definition
    else:
        fn = {
            "concentration": division.concentration,
            "shares": division.shares,
            "significance": division.significance,
            "sectors": division.sectors_per_donor,
        }
        if view is DivisionView.fragmentation:
            df = division.fragmentation_ratio(division.significance(money))
        else:
            df = fn[view.value](money)
        if country:
            df = df.filter(df["country"] == country)
    if "sector" in df.columns:
        from kizuna.coordinate.model import with_sector_names

        df = with_sector_names(df, lf)
    render(df, fmt, out, title=_("Division of labour - {view}").format(view=view.value))


def accountability(
    country: Annotated[str, typer.Option("--country", help="ISO 3166-1 alpha-2 code, e.g. XZ.")],
    workspace: WorkspaceOpt = None,
    year_from: FromOpt = None,
    year_to: ToOpt = None,
    needs: Annotated[
        Path | None,
        typer.Option("--needs", help="A needs table for the gaps section (stored; else the stored one is used)."),
    ] = None,
    role: RoleOpt = Role.reporting,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Mutual-accountability report for a country and period; --out report.html for the self-contained page."""
    from kizuna.coordinate.accountability import build_accountability
    from kizuna.coordinate.model import ledger_country
    from kizuna.coordinate.needs_store import store_needs, stored_needs_table
    from kizuna.coordinate.queries import load_ledger
    from kizuna.coordinate.report import write_report
    from kizuna.geo.areas import area_names
    from kizuna.workspace import open_workspace

    _years(year_from, year_to)
    if needs is not None:
        with open_workspace(workspace) as ws:
            store_needs(ws, needs)
    with open_workspace(workspace, read_only=True) as ws:
        lf = load_ledger(ws)
        country = ledger_country(lf, country) or country
        table = stored_needs_table(ws, country)
        areas = area_names(ws, country)
    rep = build_accountability(
        lf, country, year_from=year_from, year_to=year_to, needs=table, role=role.value, areas=areas
    )
    if out is not None and out.suffix.lower() in (".html", ".htm"):
        write_report(rep, out)
        print(_("wrote {files}").format(files=out), file=sys.stderr)
        _print_limits(rep.limits)
        return
    sheets = rep.sheets()
    if out is not None and fmt is Format.table:
        if out.suffix.lower() != ".xlsx":
            raise InputError(
                "report.format",
                N_("cannot write the report as {suffix!r}"),
                Where(file=str(out)),
                hint=N_("use --out report.html, --out report.xlsx, or -f json/csv"),
                params={"suffix": out.suffix},
            )
        fmt = Format.xlsx
    if fmt is Format.xlsx:
        if out is None:
            raise InputError(
                "output.no_path",
                N_("XLSX output needs a file"),
                Where(field="--out"),
                hint=N_("add --out report.xlsx (or report.html)"),
            )
        write_xlsx(sheets, out)
        print(_("wrote {files}").format(files=out), file=sys.stderr)
    elif fmt is Format.json:
        text = json.dumps({k: to_json_records(v) for k, v in sheets.items()}, indent=2, ensure_ascii=False) + "\n"
        if out is None:
            sys.stdout.write(text)
        else:
            out.write_text(text, encoding="utf-8")
    elif fmt is Format.csv:
        render(rep.summary, fmt, out)
    else:
        render(rep.summary, fmt, None, title=_("Accountability {country} - summary by ally").format(country=country))
        render(rep.by_sector, fmt, None, title=_("By sector"))
        render(
            rep.overlaps.select("rank", "score", "activity_uid_a", "ally_a", "activity_uid_b", "ally_b"),
            fmt,
            None,
            title=_("Overlaps between allies"),
        )
    _print_limits(rep.limits)


def _print_limits(limits: list[dict[str, str]]) -> None:
    """What the data cannot show, one line each on stderr (the tables stay clean on stdout)."""
    for lim in limits:
        print(f"limit[{lim['code']}]: {lim['message']}", file=sys.stderr)


def allies_list(workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.table, out: OutOpt = None) -> None:
    """The ally rules (identifier prefixes) and the explicit organisation mappings."""
    from kizuna.coordinate.store import ally_table
    from kizuna.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        rows = ally_table(ws)
    render(rows, fmt, out, title=_("Allies"))


def allies_orgs(
    workspace: WorkspaceOpt = None, role: RoleOpt = Role.reporting, fmt: FormatOpt = Format.table, out: OutOpt = None
) -> None:
    """Every organisation in the ledger (in a role) with its ally and why."""
    import polars as pl

    from kizuna.coordinate.model import activity_orgs

    o = activity_orgs(_ledger(workspace), role.value)
    df = o.group_by("org_key", "ally", "ally_source").agg(
        pl.col("org_name").first(), pl.col("activity_uid").n_unique().alias("n_activities")
    )
    render(df.sort("ally", "org_key"), fmt, out, title=_("Organisations and their allies"))


def allies_set(
    org: Annotated[str, typer.Argument(help="Org ref (e.g. XM-DAC-701-8) or name:Some NGO for a 3W name.")],
    ally: Annotated[str, typer.Argument(help="Ally name, e.g. Japan.")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Map one organisation to an ally (overrides the prefix rules)."""
    from kizuna.coordinate.store import set_org_ally
    from kizuna.workspace import open_workspace

    with open_workspace(workspace) as ws:
        key = set_org_ally(ws, org, ally)
    print(f"{key} -> {ally}")


def allies_rule(
    prefix: Annotated[str, typer.Argument(help="Identifier prefix, e.g. GB-GOV-.")],
    ally: Annotated[str, typer.Argument(help="Ally name.")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Add or replace a prefix rule: organisations whose ref starts with PREFIX count under ALLY."""
    from kizuna.coordinate.store import set_rule
    from kizuna.workspace import open_workspace

    with open_workspace(workspace) as ws:
        set_rule(ws, prefix, ally)
    print(f"{prefix}* -> {ally}")


def allies_registry(workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.table, out: OutOpt = None) -> None:
    """The organisation registry: identifiers with their ally, agency, type and names, and where each
    identifier was verified (shipped entries and the ones added with `kizuna allies register`)."""
    from kizuna.coordinate.store import registry_table
    from kizuna.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        rows = registry_table(ws)
    render(rows, fmt, out, title=_("Organisation registry"))


def allies_register(
    ref: Annotated[str, typer.Argument(help="IATI organisation identifier, e.g. GB-CHC-202918.")],
    name: Annotated[str, typer.Option("--name", help="The organisation's name, as it writes it.")],
    ally: Annotated[str, typer.Option("--ally", help="Ally it counts under, e.g. Japan.")],
    agency: Annotated[str | None, typer.Option("--agency", help="Short label, e.g. JICA.")] = None,
    org_type: Annotated[str | None, typer.Option("--type", help="IATI OrganisationType code, e.g. 21.")] = None,
    name_ja: Annotated[str | None, typer.Option("--name-ja", help="Japanese name.")] = None,
    aliases: Annotated[str | None, typer.Option("--aliases", help="Other names, separated by ' | '.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Where the identifier was verified.")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Add or replace an organisation in the registry (it wins over the shipped entry of the same ref)."""
    from kizuna.coordinate.store import register_org
    from kizuna.workspace import open_workspace

    with open_workspace(workspace) as ws:
        register_org(
            ws, ref, name, ally, name_ja=name_ja, agency=agency, org_type=org_type, aliases=aliases, source=source
        )
    print(f"{ref} ({name}) -> {ally}")


def allies_unrule(prefix: Annotated[str, typer.Argument()], workspace: WorkspaceOpt = None) -> None:
    """Remove a prefix rule."""
    from kizuna.coordinate.store import remove_rule
    from kizuna.workspace import open_workspace

    with open_workspace(workspace) as ws:
        if not remove_rule(ws, prefix):
            raise InputError(
                "allies.no_rule",
                N_("no rule for prefix {prefix!r}"),
                Where(key=prefix),
                hint=N_("see `kizuna allies list`"),
                params={"prefix": prefix},
            )
    print(_("removed {prefix}").format(prefix=prefix))


def register(app: typer.Typer) -> None:
    app.command("who")(who)
    app.command("overlaps")(overlaps)
    app.command("gaps")(gaps)
    app.command("division")(division_cmd)
    allies = typer.Typer(help="Which ally each organisation counts under (editable).", no_args_is_help=True)
    allies.command("list")(allies_list)
    allies.command("orgs")(allies_orgs)
    allies.command("set")(allies_set)
    allies.command("rule")(allies_rule)
    allies.command("unrule")(allies_unrule)
    allies.command("registry")(allies_registry)
    allies.command("register")(allies_register)
    app.add_typer(allies, name="allies")
    # `kizuna report ...` may be shared with other parts: join an existing group when there is one
    existing = next((g.typer_instance for g in app.registered_groups if g.name == "report"), None)
    if existing is None:
        existing = typer.Typer(help="Reports (HTML, XLSX).", no_args_is_help=True)
        app.add_typer(existing, name="report")
    existing.command("accountability")(accountability)
