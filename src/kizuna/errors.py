"""Errors are data: a stable code, a message, where it happened and a hint.

Every surface renders the same object: the CLI as one line on stderr (``KizunaError.one_line``),
the API as one JSON shape (``KizunaError.to_dict``), pages as an error page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kizuna.i18n import N_, gettext, localise


@dataclass(frozen=True)
class Where:
    """Where a problem was found. Every part is optional; give as many as are known."""

    file: str | None = None
    line: int | None = None
    row: int | None = None
    field: str | None = None
    key: str | None = None

    def describe(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.line is not None:
            parts.append(gettext(N_("line {n}")).format(n=self.line))
        if self.row is not None:
            parts.append(gettext(N_("row {n}")).format(n=self.row))
        if self.field:
            parts.append(gettext(N_("field '{name}'")).format(name=self.field))
        if self.key:
            parts.append(gettext(N_("key '{name}'")).format(name=self.key))
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class KizunaError(Exception):
    """A problem a user can act on.

    ``code`` is stable (tests and API clients match on it); ``message`` says what is wrong;
    ``where`` says where; ``hint`` says what to do about it.

    Message and hint are catalogue message ids (English): mark literals with ``N_`` and pass the
    changing parts as ``params`` (``N_("longer than {n} characters")``, ``params={"n": 200}``), so
    each surface shows them in its reader's language. Without ``params`` the text is used as given
    (translated when the catalogue has it).
    """

    code: str
    message: str
    where: Where = field(default_factory=Where)
    hint: str | None = None
    status: int = 400  # HTTP status the API uses for it
    params: dict[str, Any] | None = None

    def text(self) -> str:
        """The message in the current language."""
        return _localise(self.message, self.params) or ""

    def hint_text(self) -> str | None:
        """The hint in the current language."""
        return _localise(self.hint, self.params)

    def __post_init__(self) -> None:
        super().__init__(self.one_line())

    def one_line(self) -> str:
        loc = self.where.describe()
        message, hint = self.text(), self.hint_text()
        text = f"error[{self.code}]: "
        text += f"{loc}: {message}" if loc else message
        if hint:
            text += gettext(N_(" (hint: {hint})")).format(hint=hint)
        return text.replace("\n", " ")

    def to_dict(self) -> dict[str, Any]:
        """The one JSON error shape of the API: ``{"error": {code, message, where, hint}}``."""
        return {
            "error": {
                "code": self.code,
                "message": self.text(),
                "where": self.where.to_dict(),
                "hint": self.hint_text(),
            }
        }

    def __str__(self) -> str:
        return self.one_line()

    def __hash__(self) -> int:
        return id(self)

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process boundaries (parallel ingest workers): rebuild from fields, not args.
        return (_rebuild, (type(self), self.code, self.message, self.where, self.hint, self.status, self.params))


def _localise(text: str | None, params: dict[str, Any] | None) -> str | None:
    return localise(text, params) if text else text


def _rebuild(
    cls: type[KizunaError],
    code: str,
    message: str,
    where: Where,
    hint: str | None,
    status: int,
    params: dict[str, Any] | None = None,
) -> Any:
    err = cls.__new__(cls)
    err.code, err.message, err.where, err.hint, err.status = code, message, where, hint, status
    err.params = params
    Exception.__init__(err, err.one_line())
    return err


class Message:
    """A message id with its parameters, put into words when it is shown (in the language of that moment).

    For a message nested in another as a parameter (a retry's cause inside "... (after 3 attempts)", a
    parser's complaint inside a spec error): ``str()`` and ``format()`` give the text in the current language.
    """

    __slots__ = ("text", "params")

    def __init__(self, text: str, params: dict[str, Any] | None = None):
        self.text, self.params = text, params

    def __str__(self) -> str:
        return _localise(self.text, self.params) or ""

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"Message({self.text!r}, {self.params!r})"


class InputError(KizunaError):
    """Bad input data: a file, row or field that cannot be read as given."""


class SpecError(KizunaError):
    """A specification (TOML/YAML) that names an unknown key or an invalid value."""


class NotFound(KizunaError):
    """Something asked for is not in the workspace."""

    def __init__(
        self,
        code: str,
        message: str,
        where: Where | None = None,
        hint: str | None = None,
        params: dict[str, Any] | None = None,
    ):
        super().__init__(code, message, where or Where(), hint, status=404, params=params)
