"""The words of the test grammar shared by every parser: its error, the list of known tests,
and the splitting of an argument list into positional and `key=value` arguments."""

from __future__ import annotations

KNOWN_TESTS = (
    "not_null, unique, unique(a, b), accepted_values(a, b, 'c'), relationships(table.column), "
    "relationships(table, column), expression(<sql>), reconcile_rows(source[, tolerance=0.01]"
    '[, where="<sql>"]), reconcile_sum(column, source.column[, tolerance=0.01][, where="<sql>"]), '
    "freshness([table.]column, warn_after='1 day', error_after='3 days'); "
    "prefix with `warn:` for a warning"
)


class CheckSpecError(ValueError):
    """A test cell cannot be read; `message` and `hint` map onto MappingError's fields."""

    def __init__(self, message: str, hint: str = f"known tests: {KNOWN_TESTS}") -> None:
        self.message, self.hint = message, hint
        super().__init__(f"{message} (hint: {hint})")


def split_args(text: str) -> tuple[list[str], dict[str, str]]:
    """`a, b.c, tolerance=0.01, where="x in ('p', 'q')"` -> positional and keyword arguments.

    Commas inside quotes or parentheses do not split, so a `where=` condition may hold any
    SQL; a quoted value loses its quotes (a doubled quote inside it stands for one).
    """
    positional: list[str] = []
    keyword: dict[str, str] = {}
    for piece in _top_level_pieces(text):
        name, sep, value = piece.partition("=")
        if sep and name.strip().isidentifier() and not value.startswith("="):
            keyword[name.strip().lower()] = unquote(value.strip())
        elif piece.strip():
            positional.append(unquote(piece.strip()))
    return positional, keyword


def unquote(value: str) -> str:
    """'it''s' -> it's; "x" -> x; `x` -> x; anything else unchanged."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"`":
        quote = value[0]
        return value[1:-1].replace(quote * 2, quote)
    return value


def _top_level_pieces(text: str) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote  # a doubled quote closes and reopens: same text
        elif ch in "'\"`":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            pieces.append("".join(current))
            current = []
            continue
        current.append(ch)
    pieces.append("".join(current))
    return pieces
