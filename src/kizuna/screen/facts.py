"""Facts computed per proposal from its answers and the context layers (pure: no I/O).

Every fact a rule can read is listed in :data:`FACTS` with its meaning and unit. A fact is ``None``
when it cannot be known (no layer given, question not answered); rules reading it become information
gaps rather than silently "no".

Distances: "within r km" uses the haversine index of :mod:`kizuna.screen.geo` (sphere, R = 6371.0088
km); distances to boundaries use a per-site azimuthal equidistant projection (pyproj). A line site
(road) is screened as points every ``line_step_km`` along it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from kizuna.i18n import N_
from kizuna.screen.context import Boundaries
from kizuna.screen.geo import PointIndex, densify_line, min_distance_km
from kizuna.screen.proposal import Proposal

FACTS: dict[str, str] = {
    # project type attributes (catalogue project_types)
    "project_type": "canonical project type",
    "sector_dac3": "OECD DAC 3-digit sector of the project type",
    "scarce_resource": "the project creates or controls a scarce resource (water, land)",
    "construction": "the project builds something",
    "labour_influx": "the works bring outside workers (roads, bridges)",
    "service_delivery": "the project delivers a public service (school, health)",
    "security_sector": "the project trains or supports security forces or combatants",
    "collects_identities": "the project keeps lists of participants",
    "transfers_value": "the project hands out cash or goods",
    # sites
    "site_kind": "point or line (a line if any site is a line)",
    "n_sites": "number of sites",
    "line_km": "total length of line sites, km",
    "service_radius_km": "radius of the communities the project serves or affects, km",
    # communities layer
    "communities_layer": "a communities layer was given",
    "communities_near": "communities within the service radius of any site, nearest first (name (group, km))",
    "community_names_near": "names of those communities",
    "n_communities_near": "number of communities within the service radius",
    "groups_near": "distinct group labels among them",
    "n_groups_near": "number of distinct groups within the service radius",
    "population_near": "total population of those communities",
    "nearest_community_km": "distance from the sites to the nearest community, km",
    "communities_cover_site": "the communities layer covers the sites (a community within coverage_km)",
    "nearest_layer_community_km": "distance to the nearest community of the layer at any distance, km",
    # boundaries layer
    "boundaries_layer": "a boundaries layer was given",
    "group_boundary_km": "distance from the sites to the nearest boundary between groups (or admin), km",
    "territories": "territories or areas containing a site (name (group))",
    # events layer
    "events_layer": "an events layer was given",
    "area_radius_km": "radius of the security-environment counts, km",
    "events_buffer_12m": "events within their category's buffer of a site in the lookback window",
    "fatalities_buffer_12m": "fatalities of those events",
    "events_area_12m": "events within the area radius in the lookback window",
    "fatalities_area_12m": "fatalities of those events",
    "battle_area_12m": "battles (GED state-based) within the area radius, lookback window",
    "non_state_area_12m": "non-state / communal violence (GED type 2) in area, window",
    "violence_against_civilians_area_12m": "violence against civilians (GED type 3, ACLED) in area, window",
    "remote_violence_area_12m": "explosions / remote violence in area, window",
    "riot_area_12m": "riots in area, window",
    "protest_area_12m": "protests in area, window",
    "strategic_area_12m": "strategic developments in area, window",
    "arrests_area_12m": "ACLED arrests in area, window",
    "civilian_events_area_12m": "events targeting civilians in area, window",
    "events_last_6m": "events in area in the last trend window",
    "events_prev_6m": "events in area in the trend window before it",
    "nearest_event_km": "distance to the nearest event in the lookback window within the area radius, km",
    "events_admin2_12m": "events located only to the sites' admin2 area (GED where_prec 3), window",
    "events_admin1_12m": "events located only to the sites' admin1 area (GED 4, ACLED 3), window",
    "events_country_12m": "events located only to the proposal's country (GED 5-6), window",
    "events_imprecise_12m": "events of the layer in the window located only to an area (any area)",
    # land
    "land_acquisition": "none, voluntary_donation or expropriation",
    "households_displaced": "households to be physically displaced",
    "people_displaced": "people to be physically displaced (given, or households x household_size)",
    "people_displaced_estimated": "people_displaced was estimated from households x household_size",
    "resettlement_plan": "a resettlement plan (RAP or abbreviated plan) is prepared",
    "land_disputed": "the land is claimed by more than one party",
    "informal_users": "people without formal title use the land",
    "vld_documented": "voluntary land donation conditions are documented",
    "compensation_before_possession": "compensation is paid before taking possession",
    # consultation
    "consultations_n": "number of consultations recorded",
    "consulted_communities": "communities of the layer that were consulted (the layer's names only)",
    "consultations_unlisted": "consultations naming no community of the layer (their text is not kept)",
    "consulted_share": "share of the communities near the sites that were consulted (0-1)",
    "unconsulted_communities": "communities near the sites that were not consulted",
    "women_consulted": "women took part in every consultation",
    "grievance_mechanism": "a grievance mechanism exists",
    # security and partners
    "security": "security arrangement",
    "armed_security": "armed guards, police, military or armed escort",
    "counterpart_name": "government counterpart",
    "counterpart_role": "role of the government counterpart",
    "counterpart_flags": "flags on the counterpart",
    "counterpart_involved": "the counterpart has a role beyond none",
    "counterpart_selects_beneficiaries": "the counterpart alone selects the beneficiaries",
    "counterpart_abuses": "the counterpart is flagged for documented abuses",
    "counterpart_party_to_conflict": "the counterpart is a party to the conflict",
    "counterpart_sanctioned": "the counterpart is under sanctions",
    "partner_names": "implementing partners",
    "partner_flags": "flags on any partner",
    "partner_party_to_conflict": "a partner is a party to the conflict",
    "partner_single_group": "a partner is identified with one group",
    "partner_abuses": "a partner is linked to abuses",
    "single_group_targeting": "beneficiary criteria select one group",
    "staff_single_group": "staff or contractors come from one group",
    "vetting": "trainees or participants are vetted",
    "human_rights_component": "training includes human rights",
    "gbv_code_of_conduct": "workers sign a GBV/SEA code of conduct",
    "participant_data_shared": "participant lists are shared with authorities or armed actors",
    "data_protection_plan": "a data-protection plan exists",
    # money and time
    "budget_usd": "budget, USD",
    "budget_per_person_usd": "budget divided by the population near the sites, USD per person",
    "days_to_election": "days from the start date to the election date (negative: after it)",
    # ledger
    "ledger_layer": "ledger activities with locations were available",
    "duplication_radius_km": "radius for other actors' activities, km",
    "other_activities_near": "other actors' activities in the same DAC 3-digit sector within the radius",
    "other_activities": "those activities (uid: title, km)",
    "other_orgs": "their organisations",
}


@dataclass
class EventSet:
    """Events of one source file: the point-like ones indexed for distances, the rest kept by area."""

    points: pl.DataFrame
    index: PointIndex
    imprecise: pl.DataFrame  # with a ``level`` column: admin2, admin1, country, none


@dataclass
class Context:
    """Context layers with their indexes built once, for screening many proposals.

    Events come as one frame per source file (UCDP GED, ACLED...): the same event is often in both,
    so each count is taken per source and the larger count is kept (never the sum).
    """

    communities: pl.DataFrame | None = None
    community_index: PointIndex | None = None
    boundaries: Boundaries | None = None
    event_sets: list[EventSet] | None = None
    ledger: pl.DataFrame | None = None
    ledger_index: PointIndex | None = None

    @classmethod
    def build(
        cls,
        communities: pl.DataFrame | None = None,
        boundaries: Boundaries | None = None,
        events: pl.DataFrame | list[pl.DataFrame] | None = None,
        ledger: pl.DataFrame | None = None,
    ) -> Context:
        """Index the layers: communities and ledger locations by latitude; point-like events by latitude
        with days (events located only to an area are kept apart and counted by area)."""
        from kizuna.screen.events import precision_level

        ctx = cls(communities=communities, boundaries=boundaries, ledger=ledger)
        if communities is not None:
            ctx.community_index = PointIndex(communities["lat"].to_numpy(), communities["lon"].to_numpy())
        if events is not None:
            ctx.event_sets = []
            for ev in events if isinstance(events, list) else [events]:
                ev = ev.with_columns(precision_level(ev).alias("level"))
                pts = ev.filter(pl.col("level") == "point")
                days = pts["date"].cast(pl.Int64).to_numpy()  # days since 1970-01-01
                ix = PointIndex(pts["lat"].to_numpy(), pts["lon"].to_numpy(), days)
                ctx.event_sets.append(EventSet(pts, ix, _area_keys(ev.filter(pl.col("level") != "point"))))
        if ledger is not None:
            ledger = ledger.filter(
                pl.col("lat").is_not_null()
                & pl.col("lon").is_not_null()
                & pl.col("lat").is_between(-90, 90)
                & pl.col("lon").is_between(-180, 180)
            )
            ctx.ledger = ledger
            ctx.ledger_index = PointIndex(ledger["lat"].to_numpy(), ledger["lon"].to_numpy())
        return ctx


def _area_keys(ev: pl.DataFrame) -> pl.DataFrame:
    """Add ``k_country``, ``k_admin1``, ``k_admin2``: the area names normalised once (see :func:`_norm`)."""
    out = []
    for col in ("country", "admin1", "admin2"):
        values = ev[col].unique().to_list()
        keys = {v: _norm(v) for v in values if v is not None}
        out.append(ev[col].replace_strict(keys, default=None, return_dtype=pl.String).alias(f"k_{col}"))
    return ev.with_columns(out)


def months_before(d: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's last day)."""
    y, m = divmod(d.year * 12 + (d.month - 1) - months, 12)
    m += 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def _epoch_days(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def site_points(p: Proposal, step_km: float) -> tuple[np.ndarray, np.ndarray, float]:
    """All points a proposal is screened at (point sites, and line sites densified) and the line length."""
    from pyproj import Geod

    lats: list[np.ndarray] = []
    lons: list[np.ndarray] = []
    line_km = 0.0
    g = Geod(ellps="WGS84")
    for s in p.sites:
        if s.kind == "line":
            la, lo = densify_line(s.lats, s.lons, step_km)
            line_km += (
                sum(g.inv(s.lons[k - 1], s.lats[k - 1], s.lons[k], s.lats[k])[2] for k in range(1, len(s.lats)))
                / 1000.0
            )
        else:
            la, lo = np.asarray(s.lats), np.asarray(s.lons)
        lats.append(la)
        lons.append(lo)
    return np.concatenate(lats), np.concatenate(lons), line_km


def near(
    index: PointIndex,
    lats: np.ndarray,
    lons: np.ndarray,
    radius_km: float,
    t_from: int | None = None,
    t_to: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Rows within ``radius_km`` of any of the points, each once, with its smallest distance (km)."""
    rows: list[np.ndarray] = []
    kms: list[np.ndarray] = []
    for la, lo in zip(lats, lons, strict=True):
        h = index.query(float(la), float(lo), radius_km, t_from, t_to)
        rows.append(h.rows)
        kms.append(h.km)
    if not rows:
        return np.empty(0, np.int64), np.empty(0)
    r = np.concatenate(rows)
    k = np.concatenate(kms)
    if r.size == 0:
        return r, k
    order = np.lexsort((k, r))
    r, k = r[order], k[order]
    first = np.concatenate([[True], r[1:] != r[:-1]])
    return r[first], k[first]


def check_sites_plausible(p: Proposal, ctx: Context, margin_deg: float = 2.0) -> None:
    """Refuse a site whose latitude and longitude look swapped, judged against the communities layer.

    A site outside the communities' bounding box (widened by ``margin_deg``) whose swapped coordinates
    fall inside it is almost surely a swap (e.g. (30.0, 8.0) for a place at 8 N 30 E); both values are
    in range, so the proposal reader alone cannot tell.
    """
    from kizuna.errors import InputError, Where

    if ctx.communities is None or ctx.communities.height == 0:
        return
    clat = ctx.communities["lat"].to_numpy()
    clon = ctx.communities["lon"].to_numpy()
    lat0, lat1 = float(clat.min()) - margin_deg, float(clat.max()) + margin_deg
    lon0, lon1 = float(clon.min()) - margin_deg, float(clon.max()) + margin_deg

    def inside(la: float, lo: float) -> bool:
        return bool(lat0 <= la <= lat1 and lon0 <= lo <= lon1)

    for k, s in enumerate(p.sites):
        for j, (la, lo) in enumerate(zip(s.lats, s.lons, strict=True)):
            if not inside(la, lo) and inside(lo, la):
                fld = f"sites[{k}].lat" if s.kind == "point" else f"sites[{k}].line[{j}]"
                raise InputError(
                    "screen.latlon_swapped",
                    N_("({la:g}, {lo:g}) is far from every community but ({lo:g}, {la:g}) is among them"),
                    Where(file=p.source, row=p.source_row, field=fld),
                    hint=N_("latitude and longitude look swapped"),
                    params={"la": la, "lo": lo},
                )


def _norm(s: str | None) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in (s or "").lower()).split())


def _norm_set(values: list[str | None]) -> set[str]:
    return {_norm(v) for v in values if v and _norm(v)}


def _event_facts(es: EventSet, p: Proposal, lats: np.ndarray, lons: np.ndarray, as_of: date, cat) -> dict[str, Any]:
    """Event facts from one source: point-like events by distance, the others by their area.

    An event located only to an area (admin2, admin1, country) is never given a point distance: it
    counts when its area is the site's (names compared after lower-casing and dropping punctuation),
    and the count is unknown when the proposal does not say which area its sites lie in.
    """
    params = cat.parameters
    area = float(params.get("area_radius_km", 25.0))
    look = int(params.get("lookback_months", 12))
    trend = int(params.get("trend_months", 6))
    t_to = _epoch_days(as_of)
    t_from = _epoch_days(months_before(as_of, look)) + 1
    f: dict[str, Any] = {}
    rows, kms = near(es.index, lats, lons, area, t_from, t_to)
    ev = (
        es.points[rows.tolist()].with_columns(pl.Series("km", kms))
        if rows.size
        else es.points.clear().with_columns(pl.Series("km", [], dtype=pl.Float64))
    )
    f["events_area_12m"] = ev.height
    f["fatalities_area_12m"] = int(ev["fatalities"].sum() or 0)
    for c in ("battle", "non_state", "violence_against_civilians", "remote_violence", "riot", "protest", "strategic"):
        f[f"{c}_area_12m"] = int((ev["category"] == c).sum())
    f["arrests_area_12m"] = int((ev["sub_category"].fill_null("").str.to_lowercase() == "arrests").sum())
    f["civilian_events_area_12m"] = int(ev["civilians_targeted"].fill_null(False).sum())
    buf = ev["category"].replace_strict(cat.buffers_km, default=0.0, return_dtype=pl.Float64)
    inbuf = ev.filter(pl.Series(ev["km"] <= buf))
    f["events_buffer_12m"] = inbuf.height
    f["fatalities_buffer_12m"] = int(inbuf["fatalities"].sum() or 0)
    f["nearest_event_km"] = round(float(ev["km"].to_numpy().min()), 3) if ev.height else None
    f["events_last_6m"] = int((ev["date"] > months_before(as_of, trend)).sum())
    f["events_prev_6m"] = int((ev["date"] <= months_before(as_of, trend)).sum())
    # the previous trend window must lie inside the lookback; when lookback > 2 x trend, recount
    if look != 2 * trend:
        t_prev = _epoch_days(months_before(as_of, 2 * trend)) + 1
        r2, _ = near(es.index, lats, lons, area, t_prev, _epoch_days(months_before(as_of, trend)))
        f["events_prev_6m"] = int(r2.size)

    im = es.imprecise.filter(
        (pl.col("date") > months_before(as_of, look)) & (pl.col("date") <= as_of)
    )
    f["events_imprecise_12m"] = im.height
    country = _norm_set([p.country])
    admin1 = _norm_set([s.admin1 for s in p.sites])
    admin2 = _norm_set([s.admin2 for s in p.sites])

    def count(level: str, column: str, names: set[str], also_country: bool) -> int | None:
        sub = im.filter(pl.col("level") == level)
        if sub.height == 0:
            return 0
        if not names:
            return None
        same = pl.col(f"k_{column}").is_in(sorted(names))
        if also_country and country:
            same = same & (pl.col("k_country").is_null() | pl.col("k_country").is_in(sorted(country)))
        return int(sub.filter(same).height)

    f["events_admin2_12m"] = count("admin2", "admin2", admin2, True)
    f["events_admin1_12m"] = count("admin1", "admin1", admin1, True)
    f["events_country_12m"] = count("country", "country", country, False)
    return f


def compute_facts(p: Proposal, ctx: Context, as_of: date, cat) -> dict[str, Any]:
    """All facts of :data:`FACTS` for one proposal (``cat`` is a :class:`kizuna.screen.rules.Catalogue`)."""
    check_sites_plausible(p, ctx)
    spec = cat.project_types[p.project_type]
    params = cat.parameters
    f: dict[str, Any] = {k: None for k in FACTS}
    f["project_type"] = p.project_type
    f["sector_dac3"] = str(spec["dac3"])
    for attr in (
        "scarce_resource",
        "construction",
        "labour_influx",
        "service_delivery",
        "security_sector",
        "collects_identities",
        "transfers_value",
    ):
        f[attr] = bool(spec.get(attr, False))
    lats, lons, line_km = site_points(p, params.get("line_step_km", 0.5))
    f["site_kind"] = "line" if any(s.kind == "line" for s in p.sites) else "point"
    f["n_sites"] = len(p.sites)
    f["line_km"] = round(line_km, 3)
    radius = float(spec.get("service_radius_km", 5.0))
    f["service_radius_km"] = radius

    # communities
    near_names: list[str] = []
    f["communities_layer"] = ctx.communities is not None
    if ctx.communities is not None and ctx.community_index is not None:
        rows, kms = near(ctx.community_index, lats, lons, radius)
        order = np.argsort(kms, kind="stable")
        sub = ctx.communities[rows[order].tolist()] if rows.size else ctx.communities.clear()
        near_names = sub["name"].to_list()
        groups = sub["group"].to_list()
        f["communities_near"] = [
            f"{n} ({g or 'no group'}, {d:.2f} km)" for n, g, d in zip(near_names, groups, kms[order], strict=True)
        ]
        f["community_names_near"] = near_names
        f["n_communities_near"] = len(near_names)
        gs = sorted({g for g in groups if g})
        f["groups_near"] = gs
        f["n_groups_near"] = len(gs)
        pops = [x for x in sub["population"].to_list() if x is not None]
        f["population_near"] = int(sum(pops)) if pops else (0 if not near_names else None)
        # nearest community at any distance: widen the search until something is found
        r = max(radius, 1.0)
        nearest = None
        while r <= 20000.0 and ctx.communities.height:
            rr, kk = near(ctx.community_index, lats, lons, r)
            if rr.size:
                nearest = float(kk.min())
                break
            r *= 4
        f["nearest_community_km"] = None if nearest is None else round(nearest, 3)
        # A layer that has no community within coverage_km of the sites does not cover them: what it
        # says about the site (no groups near, nearest water far away) is not known, not "none".
        cover = float(params.get("coverage_km", 25.0))
        f["nearest_layer_community_km"] = f["nearest_community_km"]
        f["communities_cover_site"] = nearest is not None and nearest <= cover
        if not f["communities_cover_site"]:
            near_names = []
            for k in (
                "communities_near",
                "community_names_near",
                "n_communities_near",
                "groups_near",
                "n_groups_near",
                "population_near",
                "nearest_community_km",
            ):
                f[k] = None

    # boundaries
    f["boundaries_layer"] = ctx.boundaries is not None
    if ctx.boundaries is not None:
        b = ctx.boundaries
        if b.divider is not None and not b.divider.is_empty:
            # the sites' points include every vertex; for lines, their densified points
            f["group_boundary_km"] = round(min_distance_km(lats, lons, b.divider), 3)
        terr: list[str] = []
        for la, lo in zip(lats, lons, strict=True):
            for t in b.territories_at(float(la), float(lo)):
                label = f"{t['name']} ({t['group']})" if t["group"] else t["name"]
                if label not in terr:
                    terr.append(label)
        f["territories"] = terr

    # events: per source file, then the larger count of the sources (never summed)
    f["events_layer"] = ctx.event_sets is not None
    area = float(params.get("area_radius_km", 25.0))
    f["area_radius_km"] = area
    if ctx.event_sets is not None:
        per = [_event_facts(es, p, lats, lons, as_of, cat) for es in ctx.event_sets]
        for k in per[0] if per else ():
            vals = [x[k] for x in per]
            if any(v is None for v in vals):
                known = [v for v in vals if v is not None]
                # an unknown count stays unknown; a nearest distance is the nearest known one
                f[k] = min(known) if k == "nearest_event_km" and known else None
            else:
                f[k] = min(vals) if k == "nearest_event_km" else max(vals)

    # land
    f["land_acquisition"] = p.land_acquisition
    f["households_displaced"] = p.households_displaced
    if p.households_displaced is None and p.land_acquisition == "none":
        f["households_displaced"] = 0
    # People, not households, are what resettlement thresholds count (OP 4.12 para 25: 200 people);
    # without a head count, households x the catalogue's household_size (a documented default).
    f["people_displaced_estimated"] = False
    if p.people_displaced is not None:
        f["people_displaced"] = p.people_displaced
    elif f["households_displaced"] is not None:
        f["people_displaced"] = int(round(f["households_displaced"] * float(params.get("household_size", 5.0))))
        f["people_displaced_estimated"] = f["households_displaced"] > 0
    f["resettlement_plan"] = p.resettlement_plan
    f["land_disputed"] = p.land_disputed
    f["informal_users"] = p.informal_users
    f["vld_documented"] = p.vld_documented
    f["compensation_before_possession"] = p.compensation_before_possession

    # consultation
    if p.consultations_known:
        f["consultations_n"] = len(p.consultations)
        # The community text of a consultation is not published (it may name an informant): only the
        # layer's own names of the communities it matches enter the facts; the rest are counted.
        cn = {_norm(c.community) for c in p.consultations}
        layer_names = ctx.communities["name"].to_list() if ctx.communities is not None else []
        listed = list(dict.fromkeys(n for n in layer_names if _norm(n) in cn))
        f["consulted_communities"] = listed if ctx.communities is not None else None
        f["consultations_unlisted"] = sum(1 for c in p.consultations if _norm(c.community) not in _norm_set(listed))
        if ctx.communities is not None and f.get("communities_cover_site"):
            unc = [n for n in near_names if _norm(n) not in cn]
            f["unconsulted_communities"] = unc
            f["consulted_share"] = 1.0 if not near_names else round(1 - len(unc) / len(near_names), 4)
        w = [c.women_included for c in p.consultations]
        if w:
            f["women_consulted"] = (
                None if any(x is None for x in w) and all(x is not False for x in w) else all(x is True for x in w)
            )
    f["grievance_mechanism"] = p.grievance_mechanism

    # security, partners, counterpart
    f["security"] = p.security
    f["armed_security"] = (
        None if p.security is None else p.security in ("armed_guards", "police", "military", "armed_escort")
    )
    f["counterpart_name"] = p.counterpart_name
    f["counterpart_role"] = p.counterpart_role
    f["counterpart_flags"] = list(p.counterpart_flags)
    f["counterpart_involved"] = None if p.counterpart_role is None else p.counterpart_role != "none"
    f["counterpart_selects_beneficiaries"] = (
        None if p.counterpart_role is None else p.counterpart_role == "beneficiary_selection"
    )
    f["counterpart_abuses"] = "abuses_documented" in p.counterpart_flags
    f["counterpart_party_to_conflict"] = "party_to_conflict" in p.counterpart_flags
    f["counterpart_sanctioned"] = "sanctioned" in p.counterpart_flags
    f["partner_names"] = [x.name for x in p.partners]
    pflags = sorted({fl for x in p.partners for fl in x.flags})
    f["partner_flags"] = pflags
    f["partner_party_to_conflict"] = "party_to_conflict" in pflags
    f["partner_single_group"] = "single_group" in pflags
    f["partner_abuses"] = "abuses_documented" in pflags
    f["single_group_targeting"] = p.single_group
    for k, v in p.safeguards.items():
        f[k] = v
    f["budget_usd"] = p.budget_usd
    pop = f["population_near"]
    f["budget_per_person_usd"] = round(p.budget_usd / pop, 2) if p.budget_usd is not None and pop else None
    if p.start_date and p.election_date:
        f["days_to_election"] = (p.election_date - p.start_date).days

    # ledger: other actors in the same DAC 3-digit sector nearby
    f["ledger_layer"] = ctx.ledger is not None
    dup_r = float(spec.get("duplication_radius_km", 10.0))
    f["duplication_radius_km"] = dup_r
    if ctx.ledger is not None and ctx.ledger_index is not None:
        rows, kms = near(ctx.ledger_index, lats, lons, dup_r)
        hits = (
            ctx.ledger[rows.tolist()].with_columns(pl.Series("km", kms))
            if rows.size
            else ctx.ledger.clear().with_columns(pl.Series("km", [], dtype=pl.Float64))
        )
        hits = hits.filter(pl.col("sector3") == f["sector_dac3"])
        if "end_date" in hits.columns:
            hits = hits.filter(pl.col("end_date").is_null() | (pl.col("end_date") >= as_of))
        own = {_norm(x.name) for x in p.partners} | {_norm(x.ref) for x in p.partners if x.ref}
        own.discard("")

        def is_own(orgs: str | None, pub_ref: str | None, pub_name: str | None) -> bool:
            names = {_norm(pub_ref), _norm(pub_name)}
            for o in (orgs or "").split(";"):
                ref, _, name = o.partition("|")
                names |= {_norm(ref), _norm(name)}
            names.discard("")
            return bool(names & own)

        keep = [
            not is_own(o, r, n)
            for o, r, n in zip(
                hits["orgs"].to_list(),
                hits["publisher_ref"].to_list(),
                hits["publisher_name"].to_list(),
                strict=True,
            )
        ]
        hits = hits.filter(pl.Series(keep, dtype=pl.Boolean)) if hits.height else hits
        best = hits.sort("km").unique("activity_uid", keep="first", maintain_order=True)
        f["other_activities_near"] = best.height
        f["other_activities"] = [
            f"{u}: {t or ''} ({k:.1f} km)"
            for u, t, k in zip(best["activity_uid"], best["title"], best["km"], strict=True)
        ]
        orgs: list[str] = []
        for o, pn in zip(best["orgs"].to_list(), best["publisher_name"].to_list(), strict=True):
            for x in (o or "").split(";"):
                name = x.partition("|")[2] or x.partition("|")[0]
                if name and name not in orgs:
                    orgs.append(name)
            if pn and pn not in orgs:
                orgs.append(pn)
        f["other_orgs"] = orgs
    return f


LEDGER_SCHEMA = {
    "activity_uid": pl.String,
    "title": pl.String,
    "publisher_ref": pl.String,
    "publisher_name": pl.String,
    "lat": pl.Float64,
    "lon": pl.Float64,
    "sector3": pl.String,
    "orgs": pl.String,
    "end_date": pl.Date,
}
