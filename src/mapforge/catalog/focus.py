"""What a target asks of the catalog: search queries from its free text, columns it names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mapforge.catalog.lexical import tokenize
from mapforge.mapping.spec import RuleKind, Target

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Query:
    """One search: the tokens of a free-text rule (or of the target description)."""

    label: str  # shown in notes: which rule pulled a table in
    tokens: tuple[str, ...]
    text: str  # the raw words, for embedders that read sentences


@dataclass(frozen=True)
class Focus:
    queries: tuple[Query, ...]
    identifiers: frozenset[str]  # lower-cased words of rules/joins/filter: may name columns
    source_columns: dict[str, frozenset[str]] = field(default_factory=dict)  # table -> columns

    @property
    def terms(self) -> frozenset[str]:
        """Every query token, for matching columns."""
        return frozenset(t for q in self.queries for t in q.tokens)

    def mapped(self, table_key: str, column_names: list[str]) -> set[str]:
        """Columns of a table the mapping uses: source columns plus names in rule text."""
        named = self.source_columns.get(table_key, frozenset())
        return {
            c.lower() for c in column_names if c.lower() in named or c.lower() in self.identifiers
        }


def focus_of(target: Target) -> Focus:
    """Read the search queries and the named columns out of a target's mapping rows."""
    return Focus(_queries(target), _identifiers(target), _source_columns(target))


def _queries(target: Target) -> tuple[Query, ...]:
    queries = []
    for col in target.columns:
        if col.rule.kind is RuleKind.FREE_TEXT:
            # the target column's name and description say what the rule is after, too
            text = " ".join(filter(None, [col.rule.text, col.name, col.description]))
            if tokens := tokenize(text):
                queries.append(Query(f"rule for {col.name}", tokens, text))
    if queries and (tokens := tokenize(target.description)):
        queries.append(Query("target description", tokens, target.description))
    return tuple(queries)


def _identifiers(target: Target) -> frozenset[str]:
    texts = [target.filter or ""] + [j.on or j.text for j in target.joins]
    for col in target.columns:
        rule = col.rule
        texts += [rule.text, *rule.args, rule.lookup_column or "", rule.lookup_on or ""]
    return frozenset(w.lower() for text in texts for w in _IDENT.findall(text))


def _source_columns(target: Target) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    driving = (target.driving_table or "").lower()
    for col in target.columns:
        if col.source_column:
            table = (col.source_table or driving).lower()
            found.setdefault(table.rsplit(".", 1)[-1], set()).add(col.source_column.lower())
        if col.rule.lookup_table and col.rule.lookup_column:
            table = col.rule.lookup_table.lower().rsplit(".", 1)[-1]
            found.setdefault(table, set()).add(col.rule.lookup_column.lower())
    return {k: frozenset(v) for k, v in found.items()}
