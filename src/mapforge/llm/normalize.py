"""Request text for the semantic cache: a normal form, and the tokens that must match exactly.

    normalize("Show me the TOTAL revenue for orders over five hundred!")
        -> "show me the sum revenue for orders gt 500"
    critical_tokens(that, identifiers={"orders", "revenue"})
        -> {"id:orders", "id:revenue", "num:500", "op:gt", "op:sum"}

Embeddings are blind to the words that change the SQL most: a bag-of-words vector ignores
"not" and digits, and a sentence model scores "over 100" and "over 1000" as near twins.
So every synonym of an operator is rewritten to one canonical word (which also lets more
paraphrases hit), and the semantic cache requires the set of critical tokens — numbers,
negations, comparisons, aggregates, directions, time grains, schema identifiers and quoted
or capitalised literals — to be identical on top of the similarity threshold.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

# word lists read better as one string than as a column of quoted words
_UNITS = (  # noqa: SIM905
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()  # noqa: SIM905
NUMBER_WORDS: dict[str, int] = {w: i for i, w in enumerate(_UNITS)}
NUMBER_WORDS |= {w: 20 + 10 * i for i, w in enumerate(_TENS)}
NUMBER_WORDS |= {"dozen": 12}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
_NUMBER_WORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_SCALE_WORD = "|".join(_SCALES)
_NUMBER_PHRASE = re.compile(
    rf"(?<![\w\x01-\x04])(?:{_NUMBER_WORD}|\d+)(?:[\s-]+(?:{_NUMBER_WORD}|{_SCALE_WORD}|and|\d+))*"
    r"(?![\w\x01-\x04])"
)

# Phrase -> canonical word, applied in this order (longer, more specific phrases first).
_CANONICAL: tuple[tuple[str, str], ...] = (
    (r"\b(?:no less than|not less than|or more|or above|at least|minimum of)\b", " ge "),
    (r"\b(?:no more than|not more than|or less|or fewer|or below|at most|up to)\b", " le "),
    (
        r"\b(?:greater than|more than|larger than|higher than|bigger than|exceeding|exceeds?"
        r"|above)\b",
        " gt ",
    ),
    (r"\bover(?= \d)", " gt "),
    (r"\b(?:less than|fewer than|lower than|smaller than|below)\b", " lt "),
    (r"\bunder(?= \d)", " lt "),
    (r"\b(?:equal to|equals|exactly)\b", " eq "),
    (r"\b(?:total number of|number of|how many|count of|counts?)\b", " count "),
    (r"\b(?:sum of|sums?|totals?|summed)\b", " sum "),
    (r"\b(?:average|mean|avg)\b", " avg "),
    (r"\b(?:descending|desc|highest first|largest first|biggest first)\b", " desc "),
    (r"\b(?:ascending|asc|lowest first|smallest first)\b", " asc "),
    (r"\b(?:most recent|newest|latest)\b", " latest "),
    (r"\b(?:least recent|oldest|earliest)\b", " earliest "),
    (r"\b(?:maximum|max|highest|largest|biggest|greatest|top|most)\b", " max "),
    (r"\b(?:minimum|min|lowest|smallest|least|fewest|bottom)\b", " min "),
    (r"\b(?:distinct|unique|different)\b", " distinct "),
    (r"\b(?:prior to|earlier than)\b", " before "),
    (r"\b(?:later than)\b", " after "),
    (r"\b(?:till|through)\b", " until "),
    (r"\b(?:daily|days?|per day)\b", " day "),
    (r"\b(?:weekly|weeks?)\b", " week "),
    (r"\b(?:monthly|months?)\b", " month "),
    (r"\b(?:quarterly|quarters?)\b", " quarter "),
    (r"\b(?:yearly|annual|annually|years?)\b", " year "),
    (r"\b(?:except|excluding|exclude|without|never|none|no|not|other than)\b", " not "),
)
_CANONICAL_RES = tuple((re.compile(p), r) for p, r in _CANONICAL)
# "unpaid" is "not paid": split the prefix so the negation becomes its own token.
_NEGATED = re.compile(
    r"\b(?:un(?=(?:paid|shipped|delivered|sold|used|returned|verified|confirmed|assigned"
    r"|cancell?ed|active|subscribed|billed)\b)|in(?=(?:active|valid|complete|correct)\b)"
    r"|non[- ]?(?=[a-z]{3}))"
)
_CONTRACTION = re.compile(r"n[’']t\b")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_JOINED_NUMBER = re.compile(r"\d+(?:[.:/-]\d+)+")
_PROTECT = str.maketrans({".": "\x01", ":": "\x02", "/": "\x03", "-": "\x04"})
_RESTORE = str.maketrans({"\x01": ".", "\x02": ":", "\x03": "/", "\x04": "-"})
_PUNCT = re.compile(r"[^\w\s\x01-\x04]|_")
_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"\d+(?:[.:/-]\d+)*")

CRITICAL_WORDS = frozenset(
    "not gt lt ge le eq count sum avg max min asc desc latest earliest distinct between first "  # noqa: SIM905
    "last day week month quarter year before after since until".split()
)
_QUOTED = re.compile(r"""["'“‘]([^"'”’]+)["'”’]""")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+(?:\s[A-Z][a-z]+)*)")


def normalize(text: str) -> str:
    """Lower case, canonical numbers and operator words, no punctuation, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _NEGATED.sub("not ", _CONTRACTION.sub(" not", text))
    # keep 12.5, 2024-01-31 and 10:30 whole, drop 1,000's comma, then the punctuation
    text = _JOINED_NUMBER.sub(lambda m: m.group(0).translate(_PROTECT), _THOUSANDS.sub("", text))
    text = _NUMBER_PHRASE.sub(lambda m: _numbers(m.group(0)), _PUNCT.sub(" ", text))
    text = _SPACE.sub(" ", text.translate(_RESTORE))
    for pattern, replacement in _CANONICAL_RES:
        text = pattern.sub(replacement, text)
    return _SPACE.sub(" ", text).strip()


def critical_tokens(text: str, identifiers: Iterable[str] = ()) -> frozenset[str]:
    """Tokens two requests must share to get the same SQL (see the module docstring)."""
    normal = normalize(text)
    ops = Counter(w for w in normal.split() if w in CRITICAL_WORDS)
    # counted: "not ... not paid" (a double negation) is not "not paid"
    tokens = {f"op:{w}" if n == 1 else f"op:{w}*{n}" for w, n in ops.items()}
    tokens |= {f"num:{_canonical_number(n)}" for n in _NUMBER.findall(normal)}
    tokens |= {f"id:{name}" for name in mentioned(normal, identifiers)}
    tokens |= {f"lit:{lit}" for lit in literals(text)}
    return frozenset(tokens)


def signature(tokens: Iterable[str]) -> str:
    """The critical tokens as one comparable string."""
    return "|".join(sorted(tokens))


def mentioned(normal: str, identifiers: Iterable[str]) -> set[str]:
    """Identifiers whose words (snake_case split, plural-insensitive) occur in the text."""
    stems = " " + " ".join(_stem(w) for w in normal.split()) + " "
    found = set()
    for name in identifiers:
        words = [_stem(w) for w in normalize(name.split(".")[-1]).split()]
        if words and f" {' '.join(words)} " in stems:
            found.add(name.lower())
    return found


def literals(text: str) -> set[str]:
    """Quoted strings and capitalised words inside a sentence: values like 'Germany'."""
    found = {m.group(1).strip().lower() for m in _QUOTED.finditer(text)}
    found |= {m.group(1).lower() for m in _CAPITALISED.finditer(text.strip())}
    return {f for f in found if f}


def _stem(word: str) -> str:
    # plural-insensitive only: "customers" names the table `customer`
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _numbers(phrase: str) -> str:
    """'five hundred and twenty' -> '520', 'between 5 and 10' keeps two numbers."""
    words = [w for w in re.split(r"[\s-]+", phrase) if w and w != "and"]
    found: list[int] = []
    total, current, started = 0, 0, False
    for word in words:
        if word in _SCALES:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] >= 1000:
                total, current = total + current, 0
            started = True
            continue
        value = int(word) if word.isdigit() else NUMBER_WORDS[word]
        if started and _extends(total, current, value):
            current += value
        else:
            if started:
                found.append(total + current)
            total, current, started = 0, value, True
    if started:
        found.append(total + current)
    return " " + " ".join(str(n) for n in found) + " "


def _extends(total: int, current: int, value: int) -> bool:
    """Whether `value` continues the number so far: 'twenty' + 'five', 'hundred' + 'ten'."""
    rest = current % 100
    after_scale = rest == 0 and (current > 0 or total > 0)
    return (after_scale and value < 100) or (rest >= 20 and rest % 10 == 0 and value < 10)


def _canonical_number(text: str) -> str:
    # "100.0" and "100" are the same threshold; dates and times keep their shape
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() else repr(value)
