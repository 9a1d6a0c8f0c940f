"""Who is logged in, for templates: the shared server sets it per request, pages read it.

The single-analyst server never sets it, so its pages show no account bar. A context variable, not a
global: every request (and the worker thread that renders its page) sees its own value.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

_ACCOUNT: ContextVar[dict[str, Any] | None] = ContextVar("kizuna_account", default=None)


def set_account(value: dict[str, Any] | None) -> None:
    """Name the account of this request: ``{"email", "org", "role", "csrf"}`` (None: nobody)."""
    _ACCOUNT.set(value)


def account() -> dict[str, Any] | None:
    """The account of this request, or None (single-analyst mode, or the login page)."""
    return _ACCOUNT.get()


def account_key() -> bytes:
    """The account shown on this request's pages, as bytes for a cache key (empty when none is shown):
    every cache of rendered pages keys on it, so one person's account bar is never served to another."""
    shown = _ACCOUNT.get()
    if not shown:
        return b""
    return repr(sorted(shown.items())).encode()
