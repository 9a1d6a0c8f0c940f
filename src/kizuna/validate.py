"""One home for checking the values a person gives: ``--top``, a period of years, a country, a sector and
the ids of things a workspace holds (allies, publishers, areas, activities, registers, subgroups, rounds).

The CLI, the JSON API and the pages call these functions, so the same value gets the same answer
everywhere. The rule is the country's (:func:`kizuna.reference.countries.check_country`):

- a value that is not even the right kind of value (``register=abc``, ``sector=xyz``) is an
  :class:`~kizuna.errors.InputError` ``<kind>.unknown`` with status 400;
- a well-formed value the workspace does not hold (``register=999``, ``ally=Nobody``) is
  ``<kind>.absent`` with status 404 (there is no such thing here, as for a missing page);
- either way the hint lists the values the workspace holds (the first :data:`HINT_MAX` of them), or
  says what to run when it holds none;
- blanks mean "no filter" (``None``); values are trimmed; codes (countries) are case-insensitive.

These functions do no I/O: the caller passes the values the workspace holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from kizuna.errors import InputError, Where
from kizuna.i18n import N_

HINT_MAX = 12  # known values named in a hint; the rest are counted

# A DAC purpose code (5 digits), a category (3 digits) or any shorter prefix of one: the ledger's rule
# (kizuna.ledger.queries.ActivityFilter) for `--sector` and the API's `sector`.
SECTOR_CODE = re.compile(r"[0-9]{1,5}")
REGISTER_ID = re.compile(r"[0-9]{1,18}")


def check_top(top: int | None, field: str = "--top") -> None:
    """``--top N`` keeps the N first rows: 0 or less would silently show nothing (``cli.bad_top``)."""
    if top is not None and top < 1:
        raise InputError(
            "cli.bad_top",
            N_("--top {top} keeps no row"),
            Where(field=field),
            hint=N_("give 1 or more, e.g. --top 10"),
            params={"top": top},
        )


def check_period(year_from: int | None, year_to: int | None) -> None:
    """``--from``/``--to`` years: the first may not be after the last (``cli.bad_period``)."""
    if year_from is not None and year_to is not None and year_from > year_to:
        raise InputError(
            "cli.bad_period",
            N_("--from {year_from} is after --to {year_to}"),
            Where(field="--from"),
            hint=N_("give --from <= --to"),
            params={"year_from": year_from, "year_to": year_to},
        )


def check_country(code: str | None, known: Iterable[str], field: str = "country") -> str | None:
    """A country code checked against the countries the workspace holds: the reference's rule
    (:func:`kizuna.reference.countries.check_country`: ``country.unknown`` 400, ``country.absent`` 404)."""
    from kizuna.reference.countries import check_country as reference_check

    return reference_check(code, known, field)


@dataclass(frozen=True)
class Kind:
    """A kind of value a filter takes: its field name, the messages of its two errors (message ids
    with ``{value}``) and the hint when the workspace holds none of it."""

    field: str
    absent: str  # well-formed, not held: 404
    none_held: str  # hint when the workspace holds none
    unknown: str | None = None  # not well-formed: 400 (None: every non-blank value is well-formed)
    syntax: re.Pattern[str] | None = None


LEDGER_FIRST = N_("the workspace holds none yet: ingest data first")
KINDS: dict[str, Kind] = {
    k.field: k
    for k in (
        Kind(
            "sector",
            N_("the workspace holds no activity in sector {value}"),
            LEDGER_FIRST,
            unknown=N_("{value!r} is not a DAC sector code or prefix, nor a sector of the needs table"),
        ),
        Kind("ally", N_("no ally is named {value!r} in this workspace"), LEDGER_FIRST),
        Kind("publisher", N_("no publisher {value!r} in this workspace"), LEDGER_FIRST),
        Kind("adm1", N_("no area {value!r} in this workspace"), LEDGER_FIRST),
        Kind("activity", N_("no activity {value!r} in this workspace"), LEDGER_FIRST),
        Kind(
            "register",
            N_("no screening register {value} in this workspace"),
            N_("no screening registers yet — run `kizuna screen PROPOSAL.toml`"),
            unknown=N_("{value!r} is not a register number"),
            syntax=REGISTER_ID,
        ),
        Kind(
            "group",
            N_("no subgroup variable {value!r} in the latest vital-core run"),
            N_("no vital-core results yet — run `kizuna measure SURVEY --spec SPEC.toml`"),
        ),
        Kind(
            "round",
            N_("no survey round {value!r} in the latest vital-core run"),
            N_("no vital-core results yet — run `kizuna measure SURVEY --spec SPEC.toml`"),
        ),
        # track, training evaluation (issue 14)
        Kind(
            "course",
            N_("no training course {value!r} in this workspace"),
            N_("no training courses yet — run `kizuna training import --course NAME --roster ROSTER.csv --key KEY`"),
        ),
    )
}


def clean(value: str | None) -> str | None:
    """A filter value trimmed; ``None`` for no value or a blank one (a form's "All ...")."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def known_hint(kind: Kind, held: list[str]) -> tuple[str, dict[str, object]]:
    """The hint naming the values the workspace holds, and its params."""
    if not held:
        return kind.none_held, {}
    params: dict[str, object] = {"shown": ", ".join(held[:HINT_MAX])}
    if len(held) > HINT_MAX:
        params["more"] = len(held) - HINT_MAX
        return N_("values this workspace holds: {shown} and {more} more"), params
    return N_("values this workspace holds: {shown}"), params


def check_value(kind_name: str, value: str | None, known: Iterable[str], well_formed: bool | None = None) -> str | None:
    """``value`` (trimmed) when it is one of ``known``; ``None`` for a blank.

    ``well_formed``: whether the value is the right kind of value at all, when the caller knows
    better than the kind's pattern (sectors: digits or a cluster name). Raises ``<kind>.unknown``
    (400) for a value of the wrong form, ``<kind>.absent`` (404) for one the workspace does not hold.
    """
    kind = KINDS[kind_name]
    v = clean(value)
    if v is None:
        return None
    held = known if isinstance(known, list | tuple | set | frozenset) else list(known)
    if v in held:
        return v
    raise_unknown(kind, v, sorted({str(k) for k in held if k is not None and str(k) != ""}), well_formed)
    return None  # unreachable: raise_unknown always raises


def raise_unknown(kind: Kind, value: str, held: list[str], well_formed: bool | None = None) -> None:
    """Raise the error for ``value`` of ``kind`` that is not among ``held``."""
    hint, params = known_hint(kind, held)
    params = {**params, "value": value[:60]}
    if well_formed is None:
        well_formed = kind.syntax is None or bool(kind.syntax.fullmatch(value))
    if not well_formed and kind.unknown:
        raise InputError(f"{kind.field}.unknown", kind.unknown, Where(field=kind.field), hint=hint, params=params)
    raise InputError(f"{kind.field}.absent", kind.absent, Where(field=kind.field), hint=hint, status=404, params=params)


def check_sector(value: str | None, codes: Iterable[str], names: Iterable[str] = ()) -> str | None:
    """A sector filter: a DAC code or prefix (``152`` matches 15220, and 15220 a held category 152)
    that matches a code the workspace holds, or one of ``names`` (the needs table's sectors, such as
    the cluster "Health"). ``sector.unknown`` (400) for anything else than digits or a held name,
    ``sector.absent`` (404) for digits that match no held code; the hint lists the held ones."""
    kind = KINDS["sector"]
    v = clean(value)
    if v is None:
        return None
    held_codes = sorted({str(c) for c in codes if c and str(c).isdigit()})
    held_names = sorted({str(n) for n in names if n})
    if v in held_names:
        return v
    digits = bool(SECTOR_CODE.fullmatch(v))
    if digits and any(c.startswith(v) or (len(c) >= 3 and v.startswith(c)) for c in held_codes):
        return v
    categories = sorted({c[:3] for c in held_codes if len(c) >= 3})
    raise_unknown(kind, v, held_names + categories, well_formed=digits)
    return None


def check_register(value: str | None, known: Iterable[int | str]) -> int | None:
    """A screening register id: a number the workspace holds (``register.unknown`` 400 / ``register.absent`` 404)."""
    v = check_value("register", value, [str(k) for k in known])
    return int(v) if v is not None else None


def check_ids(kind_name: str, value: str | None, held: Iterable[str], examples: list[str]) -> list[str] | None:
    """A comma-separated list of ids (``activity``): every one must be ``held`` (a set the caller has
    looked up); the first missing one is the error, with ``examples`` of held ids in the hint."""
    v = clean(value)
    if v is None:
        return None
    ids = [p.strip() for p in v.split(",") if p.strip()]
    present = set(held)
    for i in ids:
        if i not in present:
            raise_unknown(KINDS[kind_name], i, sorted(examples))
    return ids


def check_sector_form(value: str) -> None:
    """``sector.unknown`` (400) unless ``value`` is a DAC code or prefix (1–5 digits): the check of a
    sector where the held codes are not at hand (the ledger's activity filter)."""
    if not SECTOR_CODE.fullmatch(value.strip()):
        raise InputError(
            "sector.unknown",
            N_("'{sector}' is not a DAC sector code or prefix"),
            Where(field="sector"),
            hint=N_("e.g. 152 or 15220"),
            params={"sector": value[:60], "value": value[:60]},
        )
