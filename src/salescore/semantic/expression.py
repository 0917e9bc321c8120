"""The tiny safe grammar of derived KPIs: ``+ - * /``, parentheses, numbers and KPI names.

The text is parsed with Python's :mod:`ast` and every node outside that grammar is refused, so
configuration can never run code (no calls, attributes, subscripts, comparisons or names other
than KPI names).

>>> e = parse_expression("100 * (nps_promoters - nps_detractors) / nps_responses")
>>> sorted(e.names())
['nps_detractors', 'nps_promoters', 'nps_responses']
>>> try:
...     parse_expression("__import__('os')")
... except ExpressionError as exc:
...     print(exc)
only + - * /, parentheses, numbers and KPI names are allowed; found a call
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

BinaryOp = Literal["+", "-", "*", "/"]


class ExpressionError(ValueError):
    """A derived KPI's expression is not in the grammar."""


@dataclass(frozen=True, slots=True)
class Number:
    value: float

    def names(self) -> frozenset[str]:
        return frozenset()

    def __str__(self) -> str:
        return f"{self.value:g}"


@dataclass(frozen=True, slots=True)
class Ref:
    name: str

    def names(self) -> frozenset[str]:
        return frozenset({self.name})

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Expr

    def names(self) -> frozenset[str]:
        return self.operand.names()

    def __str__(self) -> str:
        return f"-({self.operand})"


@dataclass(frozen=True, slots=True)
class Binary:
    op: BinaryOp
    left: Expr
    right: Expr

    def names(self) -> frozenset[str]:
        return self.left.names() | self.right.names()

    def __str__(self) -> str:
        return f"({self.left} {self.op} {self.right})"


Expr = Number | Ref | Negate | Binary

# ``+``, ``-`` and ``*`` as every evaluator applies them (to numbers, to Ibis columns); ``/`` is
# each evaluator's own, since a zero divisor gives unknown.
ARITHMETIC: dict[BinaryOp, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul}

_OPS: dict[type[ast.operator], BinaryOp] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}

_NODE_NAMES: dict[type[ast.AST], str] = {
    ast.Call: "a call",
    ast.Attribute: "an attribute",
    ast.Subscript: "a subscript",
    ast.Compare: "a comparison",
    ast.BoolOp: "a boolean operator",
    ast.Lambda: "a lambda",
    ast.IfExp: "a conditional",
}


def parse_expression(text: str) -> Expr:
    """Parse ``text``; :class:`ExpressionError` (a ValueError) says what is not allowed."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"not a valid expression: {exc.msg}") from None
    return _convert(tree.body)


def _convert(node: ast.AST) -> Expr:
    match node:
        case ast.BinOp(left=left, op=op, right=right) if type(op) in _OPS:
            return Binary(_OPS[type(op)], _convert(left), _convert(right))
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return Negate(_convert(operand))
        case ast.UnaryOp(op=ast.UAdd(), operand=operand):
            return _convert(operand)
        case ast.Constant(value=value) if isinstance(value, int | float) and \
                not isinstance(value, bool):
            return Number(float(value))
        case ast.Name(id=name):
            return Ref(name)
        case _:
            what = _NODE_NAMES.get(type(node), f"'{type(node).__name__}'")
            raise ExpressionError("only + - * /, parentheses, numbers and KPI names are "
                                  f"allowed; found {what}")
