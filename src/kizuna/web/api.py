"""The JSON API, ``/api/v1/…``: one read-only endpoint per dataset, mirroring the pages.

Every list endpoint takes its filters, ``limit`` (1–1000, default 100) and ``offset`` and returns
``{dataset, title, total, limit, offset, filters, empty, items}``; ``format=csv`` or ``format=xlsx``
returns the whole filtered table as a download instead (cells made formula-safe by
:mod:`kizuna.output`). A filter value the workspace does not hold is an error (400 of the wrong kind,
404 not held; :mod:`kizuna.validate`), and the OpenAPI document declares the values each filter takes.
"""

from __future__ import annotations

import inspect
import json
import re
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from kizuna import i18n
from kizuna.i18n import _, translate
from kizuna.output import to_csv_text, xlsx_bytes
from kizuna.web.datasets import DATASETS, FILTERS, Dataset, fetch, ready, synthetic
from kizuna.web.store import ReadOnlyStore, store_of

router = APIRouter(prefix="/api/v1", tags=["data"])

MAX_LIMIT = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class OutFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class ErrorBody(BaseModel):
    code: str = Field(description="stable dotted code, e.g. request.invalid")
    message: str
    where: dict[str, Any] = Field(description="file, line, row, field, key: as many as are known")
    hint: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class PageOf(BaseModel):
    dataset: str
    title: str
    total: int = Field(description="rows matching the filters, before limit/offset")
    limit: int
    offset: int
    filters: dict[str, str | None]
    empty: str | None = Field(description="why there are no rows (the part has not run, or no match)")
    items: list[dict[str, Any]]


class DatasetInfo(BaseModel):
    name: str
    title: str
    description: str
    part: str
    url: str
    filters: list[str]
    ready: bool


class Index(BaseModel):
    version: str
    synthetic: bool = Field(description="the workspace holds synthetic (demo) data")
    datasets: list[DatasetInfo]


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {
        "model": ErrorResponse,
        "description": "not found, or a filter value this workspace does not hold (`<filter>.absent`)",
    },
    422: {"model": ErrorResponse, "description": "invalid parameters"},
    500: {"model": ErrorResponse, "description": "server error (no details are sent to clients)"},
}


@router.get("", response_model=Index, responses=ERRORS, summary="What this API serves")
def index(request: Request) -> dict[str, Any]:
    from kizuna import __version__

    store = store_of(request)
    return {
        "version": __version__,
        "synthetic": synthetic(store),
        "datasets": [
            {
                "name": d.name,
                "title": _(d.title),
                "description": _(d.description),
                "part": d.part,
                "url": f"/api/v1/{d.name}",
                "filters": list(d.filters),
                "ready": ready(store, d),
            }
            for d in DATASETS.values()
        ],
    }


def encode(ds: Dataset, rows: list[dict[str, Any]], fmt: OutFormat) -> tuple[str, str | None, bytes]:
    """A download's media type, file name and bytes (cells formula-safe via kizuna.output)."""
    name = f"kizuna-{ds.name}"
    if fmt is OutFormat.csv:
        return "text/csv; charset=utf-8", f"{name}.csv", (to_csv_text(rows) if rows else "").encode("utf-8")
    return XLSX, f"{name}.xlsx", xlsx_bytes(rows, sheet=_(ds.title)[:31])


def _endpoint_for(ds: Dataset) -> Any:

    def endpoint(request: Request, **kw: Any) -> Response:
        fmt: OutFormat = kw.pop("format")
        limit: int = kw.pop("limit")
        offset: int = kw.pop("offset")
        store = store_of(request)
        paged = fmt is OutFormat.json
        # the body carries translated text (title, empty state): one cache entry per language
        key = (
            "api",
            i18n.current(),
            ds.name,
            fmt.value,
            limit if paged else 0,
            offset if paged else 0,
            tuple(sorted(kw.items())),
        )

        def build() -> tuple[str, str | None, bytes]:
            result = fetch(store, ds.name, kw)
            if not paged:
                return encode(ds, result.rows, fmt)
            body = {
                "dataset": ds.name,
                "title": _(ds.title),
                "total": result.total,
                "limit": limit,
                "offset": offset,
                "filters": {k: kw.get(k) for k in ds.filters},
                "empty": translate(result.empty_reason),
                "items": result.rows[offset : offset + limit],
            }
            return "application/json", None, json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")

        media, filename, content = store.remember(key, build)
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'} if filename else {}
        return Response(content, media_type=media, headers=headers)

    kw_only = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
    for name in ds.filters:
        f = FILTERS[name]
        params.append(
            inspect.Parameter(
                name,
                kw_only,
                default=None,
                annotation=Annotated[str | None, Query(max_length=200, description=f.description)],
            )
        )
    params += [
        inspect.Parameter(
            "limit",
            kw_only,
            default=100,
            annotation=Annotated[int, Query(ge=1, le=MAX_LIMIT, description="rows per page (1–1000)")],
        ),
        inspect.Parameter(
            "offset",
            kw_only,
            default=0,
            annotation=Annotated[int, Query(ge=0, le=10**9, description="rows to skip")],
        ),
        inspect.Parameter(
            "format",
            kw_only,
            default=OutFormat.json,
            annotation=Annotated[
                OutFormat, Query(description="json (paged), or csv / xlsx (the whole filtered table)")
            ],
        ),
    ]
    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    endpoint.__name__ = "get_" + ds.name.replace("-", "_")
    endpoint.__doc__ = ds.description
    return endpoint


for _ds in DATASETS.values():
    router.add_api_route(
        f"/{_ds.name}",
        _endpoint_for(_ds),
        methods=["GET"],
        response_model=PageOf,
        summary=_ds.title,
        responses={
            **ERRORS,
            400: {
                "model": ErrorResponse,
                "description": "a filter value of the wrong kind (`<filter>.unknown`, e.g. register=abc)",
            },
            200: {
                "content": {"text/csv": {}, XLSX: {}},
                "description": "a page of rows (JSON), or a CSV / XLSX download",
            },
        },
        tags=[_ds.part],
    )


def filter_schema(store: ReadOnlyStore, name: str, clusters: bool = False) -> dict[str, Any]:
    """The JSON Schema of filter ``name`` on this workspace, as :func:`kizuna.web.datasets.check_filters`
    accepts it: the values it holds as an ``enum`` ("" = no filter), or a ``pattern`` where they are too
    many to list (activity ids) or are prefixes (sectors). With none held, any value is a 404."""
    from kizuna.web.datasets import known_sector_names, known_values

    base: dict[str, Any] = {"type": "string", "maxLength": 200}
    if name == "sector":
        # the needs table's sectors (clusters) are sectors of the gaps only
        names = "".join("|" + re.escape(n) for n in known_sector_names(store)) if clusters else ""
        return {**base, "pattern": f"^(|[0-9]{{1,5}}{names})$"}
    if name == "register":
        held = known_values(store, "register")
        return {**base, "enum": ["", *held]} if held else {**base, "pattern": "^(|[0-9]{1,18})$"}
    if name == "activity":
        return base
    held = known_values(store, name)
    return {**base, "enum": ["", *held]} if held else base


def declare_filters(doc: dict[str, Any], store: ReadOnlyStore) -> dict[str, Any]:
    """``doc`` (the OpenAPI document) with each dataset's filters declared as this workspace checks them."""
    schemas = {name: filter_schema(store, name) for name in FILTERS}
    schemas["sector (gaps)"] = filter_schema(store, "sector", clusters=True)
    for ds in DATASETS.values():
        op = doc.get("paths", {}).get(f"/api/v1/{ds.name}", {}).get("get")
        for param in (op or {}).get("parameters", []):
            name = param.get("name")
            if param.get("in") == "query" and name in schemas:
                key = "sector (gaps)" if (name, ds.name) == ("sector", "gaps") else name
                param["schema"] = {**schemas[key], "description": param.get("description", "")}
    return doc
