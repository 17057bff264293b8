"""Prompts for `mapforge ask`, rendered from `generate/prompts/ask.j2`.

The same machinery as the target prompts (generate.prompt): sorted table views, redaction,
template and text hashes. The prompt carries the question and metadata only, never rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mapforge.catalog.model import Catalog
from mapforge.generate.prompt import (
    DIALECT_NAMES,
    GENERATE,
    FindingLike,
    Prompt,
    _fence_for,
    _findings,
    _render,
    _table_view,
)

ASK = "ask.j2"


def build_ask_prompt(question: str, catalog_slice: Catalog, dialect: str = "duckdb") -> Prompt:
    """The zero-shot prompt asking for the one SELECT that answers `question`."""
    return _render((ASK, GENERATE), _context(question, catalog_slice, dialect))


def build_ask_repair_prompt(
    question: str,
    catalog_slice: Catalog,
    sql: str,
    findings: Sequence[FindingLike],
    dialect: str = "duckdb",
) -> Prompt:
    """The repair round: the previous answer and its findings, for a corrected SELECT."""
    context = _context(question, catalog_slice, dialect)
    context |= {
        "previous_sql": sql.strip(),
        "fence": _fence_for(sql),
        "findings": _findings(findings),
    }
    return _render((ASK, GENERATE), context)


def _context(question: str, catalog_slice: Catalog, dialect: str) -> dict[str, Any]:
    tables = sorted(catalog_slice.tables.values(), key=lambda t: t.name.lower())
    return {
        "dialect": DIALECT_NAMES.get(dialect.lower(), dialect),
        "question": " ".join(question.split()),  # one line: a pasted question keeps its layout
        "tables": [_table_view(t) for t in tables],
        "previous_sql": "",
        "fence": "",
        "findings": [],
    }
