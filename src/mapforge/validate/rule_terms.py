"""The facts a free-text rule states, read from its prose: numbers, literals, aggregates, negations.

Only unambiguous phrasings are read; anything else is left out, because every fact read here
becomes an error when the SQL does not honour it. Column names are masked first, so that
`first name` or `total_capacity_kg` never reads as an aggregate, and quoted literals are
taken out before numbers are looked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# aggregate -> words that name it (whole words, column names masked)
AGGREGATE_WORDS: dict[str, tuple[str, ...]] = {
    "SUM": ("sum", "sums", "summed", "total", "totals", "totalled"),
    "AVG": ("average", "averages", "mean"),
    "COUNT": ("number of", "count", "how many"),
    "MAX": ("maximum", "latest", "last", "most recent"),
    "MIN": ("minimum", "earliest", "first"),
}
# `first day of the month`, `last 30 days`, `number of days between`: not aggregates
_NOT_AGGREGATE_AFTER = re.compile(
    r"^\s*(?:of\s+\d|(?:\d+\s+)?(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?"
    r"|letters?|characters?|words?|digits?|time)\b)"
)
# comparison -> phrases right before a number (longest first when matched)
_BEFORE: dict[str, tuple[str, ...]] = {
    ">=": ("at least", "from", "no less than", "not less than", "greater than or equal to"),
    ">": ("more than", "above", "over", "longer than", "greater than", "higher than",
          "larger than", "exceeds", "exceeding", "exceed"),
    "<=": ("at most", "up to", "no more than", "not more than", "less than or equal to"),
    "<": ("less than", "below", "under", "fewer than", "shorter than", "lower than",
          "smaller than"),
}  # fmt: skip
_AFTER: dict[str, tuple[str, ...]] = {
    ">=": ("or more", "or above", "or greater", "or higher", "and above", "and over"),
    "<=": ("or less", "or fewer", "or below", "or lower", "and below", "and under"),
}
_UNITS_OF_TIME = re.compile(r"^\s*(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?)\b")
_YEAR = re.compile(r"(?:1[89]|2[01])\d\d")
_DATE_WORDS = ("before", "after", "since", "until", "in", "by", "of")
_RAISE = ("plus", "more", "extra", "increase", "increased", "markup", "surcharge", "add")
_LOWER = ("less", "minus", "discount", "off", "reduced", "reduce")
_NEGATION = re.compile(r"\b(?:non|not|excluding|except|without|other than)[\s-]+(?:for\s+)?(\w+)")
_NOT_A_TERM = frozenset(
    {"null", "nulls", "empty", "blank", "zero", "a", "an", "the", "any", "all", "yet", "only",
     "more", "less", "including", "included", "counting", "equal", "be", "been", "in"}
)  # fmt: skip
_SEPARATOR = re.compile(r"[^\w%.\-]+")  # keeps `10%`, `1.5`, `non-returned`
_QUOTED = re.compile(r"(?<![\w'])'([^'\n]{1,60})'(?![\w'])")
_NUMBER = re.compile(r"(?<![\w.\-/:])(\d+(?:\.\d+)?)(\s*(?:%|percent\b))?(?![\w.\-/:]*\w)")
_DECIMALS = re.compile(r"\b(\d+)\s+(?:decimals?|decimal places|digits after)\b")
_CENTS = re.compile(r"\b(?:to (?:the )?cents?|rounded to cents)\b")


@dataclass(frozen=True)
class Number:
    """A number the rule states; `comparison` is the kind of test the prose puts on it."""

    value: Decimal
    text: str
    comparison: str | None = None
    percent: bool = False
    shift: int = 0  # +1 "plus 10%" (x * 1.1), -1 "less 10%" (x * 0.9)

    def accepted(self) -> frozenset[Decimal]:
        """The literal values that spell this number in SQL."""
        if not self.percent:
            return frozenset({self.value})
        share = self.value / 100
        values = {share}
        if self.shift:
            values.add(1 + self.shift * share)
        return frozenset(values)


@dataclass(frozen=True)
class Terms:
    """Everything one rule text states that the SQL of its column must honour."""

    numbers: tuple[Number, ...] = ()
    literals: frozenset[str] = frozenset()
    aggregates: frozenset[str] = frozenset()
    negated: frozenset[str] = frozenset()
    decimals: int | None = None
    words: str = " "  # the masked prose, padded, for whole-word look-ups


def read_terms(text: str, names: Iterable[str] = ()) -> Terms:
    """The terms of `text`; `names` are column names, masked before words are read."""
    lowered = text.lower()
    literals = frozenset(m.group(1) for m in _QUOTED.finditer(lowered))
    prose = _mask(_QUOTED.sub(" § ", lowered), names)
    return Terms(
        numbers=tuple(_numbers(prose)),
        literals=literals,
        aggregates=frozenset(_aggregates(prose)),
        negated=frozenset(_negated(prose)),
        decimals=_decimals(prose),
        words=f" {' '.join(prose.split())} ",
    )


def _mask(text: str, names: Iterable[str]) -> str:
    spaced = f" {' '.join(_SEPARATOR.split(text))} "
    for name in sorted({n.lower() for n in names}, key=len, reverse=True):
        phrase = " ".join(w for w in re.split(r"[\W_]+", name) if w)
        if phrase:
            spaced = re.sub(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", " § ", spaced)
    return spaced


def _numbers(prose: str) -> Iterable[Number]:
    for match in _NUMBER.finditer(prose):
        before, after = prose[: match.start()], prose[match.end() :]
        if _skipped(before, match.group(1), after):
            continue
        try:
            value = Decimal(match.group(1))
        except InvalidOperation:  # pragma: no cover - the pattern only matches digits
            continue
        yield Number(
            value=value,
            text=match.group(0).strip(),
            comparison=_comparison(before, after),
            percent=bool(match.group(2)),
            shift=_shift(before) if match.group(2) else 0,
        )


def _skipped(before: str, number: str, after: str) -> bool:
    """Durations (`24 hours`: maybe a day), years after `before`/`since`, `2 decimals`."""
    if _UNITS_OF_TIME.match(after) or re.match(r"^\s*(?:decimals?|decimal places|digits)\b", after):
        return True
    last = before.split()[-1:]
    return bool(last) and last[0] in _DATE_WORDS and _YEAR.fullmatch(number) is not None


def _comparison(before: str, after: str) -> str | None:
    head = " ".join(before.split()[-5:])
    found = [(len(p), op) for op, ps in _BEFORE.items() for p in ps if f" {head}".endswith(f" {p}")]
    if found:
        return max(found)[1]
    tail = " ".join(after.split()[:2])
    return next((op for op, ps in _AFTER.items() for p in ps if tail.startswith(p)), None)


def _shift(before: str) -> int:
    near = before.split()[-3:]
    if any(w in _RAISE for w in near):
        return 1
    return -1 if any(w in _LOWER for w in near) else 0


def _aggregates(prose: str) -> Iterable[str]:
    for name, words in AGGREGATE_WORDS.items():
        for word in words:
            for match in re.finditer(rf"(?<![\w-]){word}(?![\w-])", prose):
                if not _NOT_AGGREGATE_AFTER.match(prose[match.end() :]):
                    yield name


def _negated(prose: str) -> Iterable[str]:
    for match in _NEGATION.finditer(prose):
        term = match.group(1)
        if term not in _NOT_A_TERM and not term.isdigit():
            yield term


def _decimals(prose: str) -> int | None:
    match = _DECIMALS.search(prose)
    if match:
        return int(match.group(1))
    return 2 if _CENTS.search(prose) else None
