"""A small, safe condition language for rule triggers, with three-valued logic.

Grammar (a subset of Python expression syntax, parsed with :mod:`ast` and walked here; nothing is
ever passed to ``eval``): fact names, numbers, strings, ``true``/``false`` (also ``True``/``False``),
lists ``[...]``, ``and``, ``or``, ``not``, comparisons ``< <= > >= == !=`` (chains allowed),
``in`` / ``not in``, arithmetic ``+ - * /`` and parentheses. Any other construct (calls, attributes,
subscripts, lambdas, comprehensions...) is rejected when the catalogue is loaded.

Unknown facts (``None``) make a comparison unknown; ``and``/``or``/``not`` follow Kleene's strong
three-valued logic (S. C. Kleene, Introduction to Metamathematics, 1952, §64), so "not known" is never
silently read as "no": a rule whose trigger is unknown is reported as an information gap.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass
from typing import Any

from kizuna.i18n import N_

_CMP = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_CONSTS = {"true": True, "false": False, "True": True, "False": False, "null": None, "None": None}


class ExprError(ValueError):
    """A trigger that is not in the language; the message says which part.

    ``message`` is a catalogue id and ``params`` its values (``str()`` is the English text), so the spec
    error that carries it on is shown in the reader's language."""

    def __init__(self, message: str, params: dict[str, Any] | None = None):
        self.message, self.params = message, params
        super().__init__(message.format(**params) if params else message)


@dataclass(frozen=True)
class Expr:
    """A parsed trigger: its text, its tree and the fact names it reads."""

    text: str
    tree: ast.AST
    names: tuple[str, ...]

    def evaluate(self, facts: dict[str, Any]) -> bool | None:
        """True, False, or None when the answer depends on unknown facts."""
        v = _eval(self.tree, facts)
        if v is None:
            return None
        if isinstance(v, bool):
            return v
        return bool(v)


def parse(text: str, known: set[str] | None = None) -> Expr:
    """Parse a trigger; raise :class:`ExprError` for anything outside the language or unknown names."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExprError(N_("cannot parse {text!r}: {msg}"), params={"text": text, "msg": exc.msg}) from None
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in _CONSTS:
                names.append(node.id)
        elif not isinstance(
            node,
            (
                ast.BoolOp,
                ast.And,
                ast.Or,
                ast.UnaryOp,
                ast.Not,
                ast.USub,
                ast.UAdd,
                ast.Compare,
                ast.BinOp,
                ast.Constant,
                ast.List,
                ast.Tuple,
                ast.Load,
                ast.In,
                ast.NotIn,
                *_CMP,
                *_BIN,
            ),
        ):
            raise ExprError(
                N_("{construct} is not allowed in a trigger ({text!r})"),
                params={"construct": type(node).__name__, "text": text},
            )
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str, bool, type(None))):
            raise ExprError(
                N_("constant {value!r} is not allowed ({text!r})"),
                params={"value": node.value, "text": text},
            )
    if known is not None:
        unknown = sorted(set(names) - known)
        if unknown:
            raise ExprError(N_("unknown fact {unknown!r} in {text!r}"), params={"unknown": unknown[0], "text": text})
    return Expr(text, tree, tuple(dict.fromkeys(names)))


def _and(values: list[Any]) -> bool | None:
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def _or(values: list[Any]) -> bool | None:
    if any(v is True for v in values):
        return True
    if any(v is None for v in values):
        return None
    return False


def _truth(v: Any) -> bool | None:
    return None if v is None else bool(v)


def _eval(node: ast.AST, facts: dict[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in _CONSTS:
            return _CONSTS[node.id]
        return facts.get(node.id)
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_eval(e, facts) for e in node.elts]
    if isinstance(node, ast.BoolOp):
        # evaluate lazily where the answer is already decided, as Kleene's tables allow
        vals: list[Any] = []
        for e in node.values:
            v = _truth(_eval(e, facts))
            if isinstance(node.op, ast.And) and v is False:
                return False
            if isinstance(node.op, ast.Or) and v is True:
                return True
            vals.append(v)
        return _and(vals) if isinstance(node.op, ast.And) else _or(vals)
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, facts)
        if v is None:
            return None
        if isinstance(node.op, ast.Not):
            return not v
        if isinstance(node.op, ast.USub):
            return -v
        return +v
    if isinstance(node, ast.BinOp):
        a = _eval(node.left, facts)
        b = _eval(node.right, facts)
        if a is None or b is None:
            return None
        if isinstance(node.op, ast.Div) and b == 0:
            return None
        try:
            return _BIN[type(node.op)](a, b)
        except TypeError:
            return None
    if isinstance(node, ast.Compare):
        left = _eval(node.left, facts)
        results: list[Any] = []
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _eval(comp, facts)
            if left is None or right is None:
                results.append(None)
            elif isinstance(op, (ast.In, ast.NotIn)):
                try:
                    r = left in right
                except TypeError:
                    r = None
                results.append(None if r is None else (r if isinstance(op, ast.In) else not r))
            else:
                try:
                    results.append(_CMP[type(op)](left, right))
                except TypeError:
                    results.append(None)
            left = right
        return _and(results)
    raise ExprError(
        N_("{construct} is not allowed"),
        params={"construct": type(node).__name__},
    )  # unreachable after parse()
