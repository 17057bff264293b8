"""One free-text output column as the MF41x rule-text checks see it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from mapforge.catalog.model import Catalog
from mapforge.mapping.spec import ColumnMapping, RuleKind, Target
from mapforge.validate.declared import Declared, words
from mapforge.validate.findings import Finding
from mapforge.validate.lineage import Col, Lineage
from mapforge.validate.query import Query
from mapforge.validate.rule_reach import Reach, output_reach
from mapforge.validate.rule_terms import Terms, read_terms


@dataclass(frozen=True)
class Subject:
    """One free-text output column, what computes it, and what its rule states."""

    query: Query
    lineage: Lineage
    col: ColumnMapping
    reach: Reach
    terms: Terms
    inherited: Terms  # the terms of the target columns its rule names
    reads: frozenset[Col]

    def finding(self, code: str, message: str, hint: str) -> Finding:
        return self.query.finding(code, message, column=self.col.name, hint=hint)


RuleCheck = Callable[[Subject], list[Finding]]


def subjects(query: Query, lineage: Lineage) -> list[Subject]:
    """Every free-text output column of the query that lineage can follow."""
    rows = [c for c in query.target.columns if c.rule.kind is RuleKind.FREE_TEXT]
    names = _names(query.target, query.catalog, query.dialect)
    terms = {c.name: read_terms(c.rule.text, names) for c in rows}
    outputs = lineage.outputs()
    found = []
    for col in rows:
        reach = output_reach(lineage, col.name)
        reads = outputs.get(col.name.lower())
        if reach is None or reads is None:
            continue
        # quoted values of the description count too ("'none' when not enrolled")
        own = terms[col.name]
        own = replace(own, literals=own.literals | read_terms(col.description).literals)
        inherited = _inherited(col, rows, terms)
        found.append(Subject(query, lineage, col, reach, own, inherited, reads.columns))
    return found


def _names(target: Target, catalog: Catalog, dialect: str) -> list[str]:
    """Column names to mask in prose: the target's and its declared tables'."""
    names = [c.name for c in target.columns]
    for table in Declared.of(target, dialect).tables:
        known = catalog.table(table)
        names += known.column_names if known is not None else []
    return names


def _inherited(col: ColumnMapping, rows: list[ColumnMapping], terms: dict[str, Terms]) -> Terms:
    text = words(col.rule.text)
    named = [terms[o.name] for o in rows if o is not col and words(o.name) in text]
    return Terms(
        aggregates=frozenset(a for t in named for a in t.aggregates),
        negated=frozenset(n for t in named for n in t.negated),
    )
