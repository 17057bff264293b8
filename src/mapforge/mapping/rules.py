"""The rule grammar: a `rule` cell's text → a `Rule`.

    (blank) | direct          DIRECT    copy source_column
    cast(<type>)              CAST      args = (normalized type,)
    concat(a, ' ', b)         CONCAT    args = operands as written
    coalesce(a, b)            COALESCE  args = operands as written
    default(<literal>)        DEFAULT   args = (literal,)
    lookup(t.col on <key>)    LOOKUP    key = shared column name or condition `a = b`
    sql: <expression>         SQL       args = (expression,)
    anything else             FREE_TEXT kept verbatim, for the model

Text that starts with a keyword and `(` (or `sql:`) is a structured rule even when it is
broken: the user meant the structured form, so a typo is an error, never free text.
Operands are kept as the user wrote them, not re-printed by sqlglot, because re-printing
in a generic dialect can rename engine-specific functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import Token, Tokenizer, TokenType, exp
from sqlglot.errors import TokenError

from mapforge.mapping.cells import CellError
from mapforge.mapping.spec import Rule, RuleKind
from mapforge.mapping.sqltext import parse_arguments, parse_expression, sqlglot_reason
from mapforge.mapping.types import normalize_type

# Words analysts write for "copy the source column unchanged".
DIRECT_WORDS = frozenset({"", "direct", "direct move", "straight move", "as is", "1:1"})
_CALL = re.compile(r"^\s*(cast|concat|coalesce|default|lookup)\s*\(", re.IGNORECASE)
_SQL = re.compile(r"^\s*sql\s*:", re.IGNORECASE)
_LOOKUP = re.compile(r"^(?P<ref>.+?)\s+on\s+(?P<on>.+)$", re.IGNORECASE | re.DOTALL)
_EXAMPLES = {
    "cast": "cast(DECIMAL(10, 2))",
    "concat": "concat(first_name, ' ', last_name)",
    "coalesce": "coalesce(nickname, first_name)",
    "default": "default('N/A')",
    "lookup": "lookup(countries.country_name on country_code)",
}


def parse_rule(text: str, source_column: str | None) -> Rule:
    """Parse a rule cell; raises CellError when a structured rule is malformed."""
    text = text.strip()
    if " ".join(text.lower().split()) in DIRECT_WORDS:
        _need_source("direct" if text else "blank (direct)", source_column)
        return Rule(kind=RuleKind.DIRECT, text=text)
    if match := _SQL.match(text):
        return _sql(text, text[match.end() :].strip())
    if match := _CALL.match(text):
        keyword = match[1].lower()
        operands = _operands(text, match.end() - 1, keyword)
        return _FORMS[keyword](text, operands, source_column)
    return Rule(kind=RuleKind.FREE_TEXT, text=text)


def _cast(text: str, operands: list[str], source_column: str | None) -> Rule:
    _need_source("cast", source_column)
    return Rule(kind=RuleKind.CAST, text=text, args=(normalize_type(",".join(operands)),))


def _operand_list(kind: RuleKind) -> Callable[[str, list[str], str | None], Rule]:
    def build(text: str, operands: list[str], source_column: str | None) -> Rule:
        parse_arguments(", ".join(operands), f"{kind.value}(...) operand list")
        return Rule(kind=kind, text=text, args=tuple(operands))

    return build


def _default(text: str, operands: list[str], source_column: str | None) -> Rule:
    if len(operands) != 1:
        raise CellError("default(...) takes one value", hint=f"write {_EXAMPLES['default']}")
    parse_expression(operands[0], "default value")
    return Rule(kind=RuleKind.DEFAULT, text=text, args=(operands[0],))


def _lookup(text: str, operands: list[str], source_column: str | None) -> Rule:
    match = _LOOKUP.match(",".join(operands))
    ref = parse_expression(match["ref"], "lookup column") if match else None
    if not match or not isinstance(ref, exp.Column) or not ref.table:
        hint = f"write {_EXAMPLES['lookup']} or lookup(t.col on t.id = src.t_id)"
        raise CellError(f"{text!r} is not lookup(<table>.<column> on <key>)", hint=hint)
    table = ".".join(part.name for part in ref.parts[:-1])
    return Rule(
        kind=RuleKind.LOOKUP,
        text=text,
        lookup_table=table,
        lookup_column=ref.name,
        lookup_on=_lookup_key(match["on"].strip()),
    )


def _lookup_key(text: str) -> str:
    key = parse_expression(text, "lookup key")
    if isinstance(key, exp.Column) and not key.table:
        return key.name
    if isinstance(key, exp.Predicate | exp.Connector):
        return text
    hint = "a column name found in both tables, or a condition such as t.id = src.t_id"
    raise CellError(f"lookup key {text!r} is neither a column name nor a condition", hint=hint)


def _sql(text: str, expression: str) -> Rule:
    if not expression:
        raise CellError("sql: needs an expression", hint="write sql: upper(customers.name)")
    parse_expression(expression, "sql expression")
    return Rule(kind=RuleKind.SQL, text=text, args=(expression,))


def _operands(text: str, open_at: int, keyword: str) -> list[str]:
    """The top-level operands between the paren at `open_at` and its partner at the end."""
    example = f"write {_EXAMPLES[keyword]}"
    tokens = _tokens(text, keyword)
    depth, cuts = 0, [open_at]
    for token in (t for t in tokens if t.start >= open_at):
        depth += _DEPTH.get(token.token_type, 0)
        if token.token_type is TokenType.COMMA and depth == 1:
            cuts.append(token.start)
        elif depth == 0:
            if text[token.end + 1 :].strip():
                raise CellError(f"unexpected text after {keyword}(...) in {text!r}", hint=example)
            cuts.append(token.start)
            return _slices(text, cuts, keyword, example)
    raise CellError(f"{keyword}(...) is missing a closing parenthesis in {text!r}", hint=example)


def _slices(text: str, cuts: list[int], keyword: str, example: str) -> list[str]:
    operands = [text[a + 1 : b].strip() for a, b in zip(cuts, cuts[1:], strict=False)]
    if not all(operands):
        raise CellError(f"{keyword}(...) has an empty operand in {text!r}", hint=example)
    return operands


def _tokens(text: str, keyword: str) -> list[Token]:
    try:
        return Tokenizer().tokenize(text)
    except TokenError as error:
        raise CellError(
            f"{keyword}(...) cannot be read: {text!r}", hint=sqlglot_reason(error)
        ) from None


def _need_source(kind: str, source_column: str | None) -> None:
    if not source_column:
        hint = "fill in source_column, or write a rule such as default(NULL) or sql: <expression>"
        raise CellError(f"a {kind} rule needs a source column", hint=hint)


_DEPTH = {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}
_FORMS: dict[str, Callable[[str, list[str], str | None], Rule]] = {
    "cast": _cast,
    "concat": _operand_list(RuleKind.CONCAT),
    "coalesce": _operand_list(RuleKind.COALESCE),
    "default": _default,
    "lookup": _lookup,
}
