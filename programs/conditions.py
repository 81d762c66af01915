"""The condition language: a small, safe expression over a site's attributes (see docs/conditions.md).

    store_format = "mall" and ceiling_height_m > 4
    floors >= 2 or has_basement
    region in ("NE", "SE")
    not is_franchise

A hand-written tokenizer and recursive-descent parser turn the text into an immutable AST; `evaluate`
walks that AST over a plain dict. Nothing is ever passed to `eval`, no attribute of a Python object is
ever looked up, and the grammar has no calls, so a condition can only read the dict it is given.

Grammar (keywords are case-insensitive; attribute names are case-sensitive):

    condition  := or_expr END
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" or_expr ")" | comparison
    comparison := value [ compare_op value | ["not"] "in" "(" literal ("," literal)* [","] ")" ]
    value      := NAME | literal
    literal    := STRING | ["-"] NUMBER | "true" | "false"
    compare_op := "=" | "==" | "!=" | "<" | "<=" | ">" | ">="

Semantics, in short: every comparison that involves a missing attribute (absent, null, or a list or
object) is false, `!=` and `not in` included; values of different types (text, number, boolean) are
never equal (so `=` is false and `!=` true) and never ordered (`<`, `>`… are false); a bare attribute
name is true only when the attribute is the boolean true. `not` simply negates what it wraps.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from rollout.errors import ApplicationError

MAX_LENGTH = 2000
MAX_DEPTH = 32


class ConditionError(ApplicationError):
    """A condition that does not parse: the message names the problem and its (1-based) column."""

    code = "invalid_condition"
    default_message = "The condition is not valid."

    def __init__(self, problem: str, column: int | None = None, *, field: str | None = "condition"):
        self.problem = problem
        self.column = column
        message = f"{problem} (column {column})." if column is not None else f"{problem}."
        super().__init__(message, field=field)


# --- Tokens -----------------------------------------------------------------------------------------

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false"})
COMPARE_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})
ORDERING_OPS = frozenset({"<", "<=", ">", ">="})


@dataclass(frozen=True)
class Token:
    kind: str  # NAME, KEYWORD, STRING, NUMBER, OP, LPAREN, RPAREN, COMMA, MINUS, END
    value: Any
    column: int  # 1-based
    text: str

    def describe(self) -> str:
        if self.kind == "END":
            return "the end of the condition"
        if self.kind == "STRING":
            return f"the text {self.text}"
        if self.kind == "NUMBER":
            return f"the number {self.text}"
        if self.kind == "NAME":
            return f"the attribute name “{self.text}”"
        return f"“{self.text}”"


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_TWO_CHAR_OPS = {"==": "=", "!=": "!=", "<=": "<=", ">=": ">="}
_ONE_CHAR = {"=": "OP", "<": "OP", ">": "OP", "(": "LPAREN", ")": "RPAREN", ",": "COMMA", "-": "MINUS"}
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t"}
# Characters people type by habit from other languages, with the spelling this language wants.
_HINTS = {
    "&": "use “and” instead of “&”",
    "|": "use “or” instead of “|”",
    "!": "use “not” or “!=”",
    "[": 'lists are written with parentheses: in ("a", "b")',
    "]": 'lists are written with parentheses: in ("a", "b")',
}


def tokenize(text: str) -> list[Token]:
    """Split condition text into tokens, ending with an END token. Raises ConditionError."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        column = i + 1
        if char.isspace():
            i += 1
            continue
        if char in "\"'":
            value, i = _read_string(text, i)
            tokens.append(Token("STRING", value, column, text[column - 1 : i]))
            continue
        if char.isdigit() or (char == "." and i + 1 < n and text[i + 1].isdigit()):
            match = _NUMBER.match(text, i)
            literal = match.group()
            end = match.end()
            if end < n and (text[end].isalnum() or text[end] == "_"):
                raise ConditionError(f"“{literal}{text[end]}…” is neither a number nor an attribute name", column)
            value: int | Decimal = int(literal) if literal.isdigit() else Decimal(literal)
            tokens.append(Token("NUMBER", value, column, literal))
            i = end
            continue
        if char.isalpha() or char == "_":
            word = _NAME.match(text, i).group()
            lowered = word.lower()
            if lowered in KEYWORDS:
                tokens.append(Token("KEYWORD", lowered, column, word))
            else:
                tokens.append(Token("NAME", word, column, word))
            i += len(word)
            continue
        pair = text[i : i + 2]
        if pair in _TWO_CHAR_OPS:
            tokens.append(Token("OP", _TWO_CHAR_OPS[pair], column, pair))
            i += 2
            continue
        if char in _ONE_CHAR:
            tokens.append(Token(_ONE_CHAR[char], char, column, char))
            i += 1
            continue
        hint = _HINTS.get(char)
        problem = f"Unexpected character “{char}”" + (f": {hint}" if hint else "")
        raise ConditionError(problem, column)
    tokens.append(Token("END", None, n + 1, ""))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    i = start + 1
    chars: list[str] = []
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text):
                break
            escaped = text[i + 1]
            if escaped not in _ESCAPES:
                raise ConditionError(f"Unknown escape “\\{escaped}” in text", i + 1)
            chars.append(_ESCAPES[escaped])
            i += 2
            continue
        if char == quote:
            return "".join(chars), i + 1
        chars.append(char)
        i += 1
    raise ConditionError(f"The text starting with {quote} is not closed with a matching {quote}", start + 1)


# --- AST --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: str | int | Decimal | bool
    column: int


@dataclass(frozen=True)
class Attribute:
    name: str
    column: int


@dataclass(frozen=True)
class Compare:
    op: str
    left: Literal | Attribute
    right: Literal | Attribute
    column: int


@dataclass(frozen=True)
class InList:
    operand: Literal | Attribute
    values: tuple[Literal, ...]
    negated: bool
    column: int


@dataclass(frozen=True)
class Truthy:
    operand: Literal | Attribute
    column: int


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


Node = Compare | InList | Truthy | Not | And | Or


# --- Parser -----------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_keyword(self, word: str) -> bool:
        return self.current.kind == "KEYWORD" and self.current.value == word

    def fail(self, expected: str, token: Token | None = None):
        token = token or self.current
        raise ConditionError(f"Expected {expected}, found {token.describe()}", token.column)

    def parse(self) -> Node:
        node = self.or_expr()
        token = self.current
        if token.kind != "END":
            if token.kind == "RPAREN":
                raise ConditionError("This “)” has no matching “(”", token.column)
            if token.kind in ("OP", "KEYWORD") and token.value in COMPARE_OPS | {"in"}:
                raise ConditionError(
                    "Comparisons cannot be chained: join them with “and” (e.g. a > 1 and a < 5)", token.column
                )
            self.fail("“and”, “or” or the end of the condition")
        return node

    def or_expr(self) -> Node:
        operands = [self.and_expr()]
        while self.at_keyword("or"):
            self.advance()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Node:
        operands = [self.not_expr()]
        while self.at_keyword("and"):
            self.advance()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError(f"The condition nests deeper than {MAX_DEPTH} levels", self.current.column)
        try:
            if self.at_keyword("not"):
                self.advance()
                return Not(self.not_expr())
            if self.current.kind == "LPAREN":
                opening = self.advance()
                node = self.or_expr()
                if self.current.kind != "RPAREN":
                    if self.current.kind == "END":
                        raise ConditionError(
                            f"The “(” at column {opening.column} is never closed with “)”", self.current.column
                        )
                    self.fail("“)”")
                self.advance()
                return node
            return self.comparison()
        finally:
            self.depth -= 1

    def comparison(self) -> Node:
        left = self.value()
        token = self.current
        if token.kind == "OP":
            self.advance()
            right = self.value(after=token)
            if token.value in ORDERING_OPS:
                for side in (left, right):
                    if isinstance(side, Literal) and isinstance(side.value, bool):
                        raise ConditionError(f"“{token.text}” cannot compare true/false; use = or !=", token.column)
            return Compare(token.value, left, right, token.column)
        negated = False
        following = self.tokens[self.index + 1] if self.current.kind != "END" else self.current
        if self.at_keyword("not") and following.kind == "KEYWORD" and following.value == "in":
            negated = True
            token = self.advance()
        if self.at_keyword("in"):
            keyword = self.advance()
            return InList(left, self.literal_list(keyword), negated, (token if negated else keyword).column)
        if negated:  # pragma: no cover - unreachable: "not" is only consumed when "in" follows
            self.fail("“in”")
        if isinstance(left, Literal) and not isinstance(left.value, bool):
            raise ConditionError(
                "A text or number on its own is not a condition: compare it with an attribute", left.column
            )
        return Truthy(left, left.column)

    def value(self, after: Token | None = None) -> Literal | Attribute:
        token = self.current
        if token.kind == "NAME":
            self.advance()
            return Attribute(token.value, token.column)
        if token.kind in ("STRING", "NUMBER", "MINUS") or (
            token.kind == "KEYWORD" and token.value in ("true", "false")
        ):
            return self.literal()
        expected = f"a value after “{after.text}”" if after else "an attribute name, a value, “not” or “(”"
        self.fail(expected, token)

    def literal(self) -> Literal:
        token = self.advance()
        if token.kind == "STRING":
            return Literal(token.value, token.column)
        if token.kind == "NUMBER":
            return Literal(token.value, token.column)
        if token.kind == "MINUS":
            number = self.current
            if number.kind != "NUMBER":
                self.fail("a number after “-”")
            self.advance()
            return Literal(-number.value, token.column)
        if token.kind == "KEYWORD" and token.value in ("true", "false"):
            return Literal(token.value == "true", token.column)
        self.fail("a text, number, true or false", token)

    def literal_list(self, keyword: Token) -> tuple[Literal, ...]:
        if self.current.kind != "LPAREN":
            self.fail(f"“(” after “{keyword.text}”")
        opening = self.advance()
        values: list[Literal] = []
        while True:
            token = self.current
            if token.kind == "RPAREN":
                if not values:
                    raise ConditionError("The list after “in” is empty", token.column)
                self.advance()
                return tuple(values)
            if token.kind == "END":
                raise ConditionError(
                    f"The list opened at column {opening.column} is never closed with “)”", token.column
                )
            if token.kind == "NAME":
                raise ConditionError("A list after “in” holds values only, not attribute names", token.column)
            if token.kind not in ("STRING", "NUMBER", "MINUS", "KEYWORD") or (
                token.kind == "KEYWORD" and token.value not in ("true", "false")
            ):
                self.fail("a value in the list")
            values.append(self.literal())
            if self.current.kind == "COMMA":
                self.advance()
            elif self.current.kind != "RPAREN":
                if self.current.kind == "END":
                    continue  # reported as "never closed" above
                self.fail("“,” or “)” in the list")


@lru_cache(maxsize=1024)
def compile_condition(text: str) -> Node:
    """Parse condition text into an AST. Raises ConditionError (code `invalid_condition`) with the column."""
    if text is None or not text.strip():
        raise ConditionError("The condition is empty")
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"The condition is longer than {MAX_LENGTH} characters")
    return _Parser(tokenize(text)).parse()


def validate_condition(text: str | None) -> str:
    """The condition text, stripped, after checking that it parses; blank means "always applies"."""
    text = (text or "").strip()
    if text:
        compile_condition(text)
    return text


# --- Evaluation -------------------------------------------------------------------------------------

_MISSING = object()


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "text"
    return None


def _resolve(operand: Literal | Attribute, attributes: dict) -> Any:
    """The operand's value; _MISSING for an absent or null attribute, or one no comparison can read."""
    if isinstance(operand, Literal):
        return operand.value
    value = attributes.get(operand.name)
    if _kind(value) is None or (isinstance(value, float) and not math.isfinite(value)):
        return _MISSING
    return value


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        # Attributes may arrive as floats (JSON); literals are exact. Compare floats as written in decimal.
        return Decimal(str(a)) == Decimal(str(b))
    return a == b


def _compare(op: str, a: Any, b: Any) -> bool:
    if a is _MISSING or b is _MISSING:
        return False
    kind_a, kind_b = _kind(a), _kind(b)
    if kind_a != kind_b:  # values of different types are never equal, and never ordered
        return op == "!="
    if op == "=":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    if kind_a == "boolean":
        return False
    if kind_a == "number":
        a, b = (Decimal(str(v)) if isinstance(v, float) else v for v in (a, b))
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def evaluate(node: Node, attributes: dict) -> bool:
    """Whether the condition holds for a site with these attributes (see the module docstring)."""
    if isinstance(node, Compare):
        return _compare(node.op, _resolve(node.left, attributes), _resolve(node.right, attributes))
    if isinstance(node, InList):
        value = _resolve(node.operand, attributes)
        if value is _MISSING:
            return False
        found = any(_compare("=", value, item.value) for item in node.values)
        return not found if node.negated else found
    if isinstance(node, Truthy):
        return _resolve(node.operand, attributes) is True
    if isinstance(node, Not):
        return not evaluate(node.operand, attributes)
    if isinstance(node, And):
        return all(evaluate(operand, attributes) for operand in node.operands)
    if isinstance(node, Or):
        return any(evaluate(operand, attributes) for operand in node.operands)
    raise TypeError(f"Not a condition node: {node!r}")


def condition_applies(text: str | None, attributes: dict) -> bool:
    """Whether a task/material with this condition applies to a site; a blank condition always applies."""
    if not text or not text.strip():
        return True
    return evaluate(compile_condition(text), attributes)


def attribute_names(node: Node) -> set[str]:
    """The attribute names a condition reads (for checking against a program's declared attributes)."""
    if isinstance(node, Compare):
        return {side.name for side in (node.left, node.right) if isinstance(side, Attribute)}
    if isinstance(node, (InList, Truthy)):
        return {node.operand.name} if isinstance(node.operand, Attribute) else set()
    if isinstance(node, Not):
        return attribute_names(node.operand)
    return set().union(*(attribute_names(operand) for operand in node.operands))
