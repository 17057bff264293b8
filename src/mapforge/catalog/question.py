"""select_for_question: the catalog slice a natural-language question (`mapforge ask`) needs.

    question ─► BM25 (+ the best column's match) over every table
             ─► the best tables, shown whole (summarized only to fit the budget)
             ─► their FK neighbours, pruned to keys + matching columns, so joins are possible
             ─► pack into the token budget

Unlike a target's slice (retrieval.select_slice) there are no declared sources: the best
tables play that part, because a question may ask for any of their columns, not only the
ones it names.
"""

from __future__ import annotations

import numpy as np

from mapforge.catalog.budget import Pick
from mapforge.catalog.index import SchemaIndex
from mapforge.catalog.lexical import tokenize
from mapforge.catalog.model import Catalog
from mapforge.catalog.retrieval import Slice, checked_index, packed_slice

MAX_TABLES = 4  # tables a question is about, shown whole
MAX_NEIGHBOURS = 4  # FK neighbours added for joins, pruned
RELATIVE_CUTOFF = 0.5  # a table must score at least this share of the best table
MAX_MATCHED_COLUMNS = 4


def select_for_question(
    question: str, catalog: Catalog, max_tokens: int, *, index: SchemaIndex | None = None
) -> Slice:
    """The tables and columns a question needs, within `max_tokens` (estimated)."""
    index = checked_index(index, catalog)
    words = tokenize(question)
    chosen = _best_tables(index, words, question)
    if not chosen:
        # nothing matched: show what fits and let the model ask back (CLARIFY)
        chosen = list(index.keys)
    neighbours = [k for k in index.graph.neighbours(set(chosen)) if k not in chosen]
    neighbours = neighbours[:MAX_NEIGHBOURS]
    joins = index.graph.join_columns(set(chosen) | set(neighbours))
    picks = [_pick(index, k, words, joins[k], declared=True) for k in chosen]
    picks += [_pick(index, k, words, joins[k], declared=False) for k in neighbours]
    return packed_slice(picks, max_tokens, catalog.dialect)


def _best_tables(index: SchemaIndex, words: tuple[str, ...], question: str) -> list[str]:
    """Tables scoring near the best, best first (ties by name)."""
    if not words or not index.keys:
        return []
    scores = index.table_scores(words, question).astype(float)
    for i, key in enumerate(index.keys):
        if scores[i] > 0:
            column = index.column_scores(key, words)
            scores[i] += column[0][0] if column else 0.0
    best = scores.max(initial=0.0)
    if best <= 0:
        return []
    hits = np.flatnonzero(scores >= RELATIVE_CUTOFF * best).tolist()
    hits.sort(key=lambda i: (-scores[i], index.keys[i]))
    return [index.keys[i] for i in hits[:MAX_TABLES]]


def _pick(
    index: SchemaIndex, key: str, words: tuple[str, ...], joins: set[str], *, declared: bool
) -> Pick:
    table = index.catalog.tables[key]
    matched = [name for _, name in index.column_scores(key, words)][:MAX_MATCHED_COLUMNS]
    return Pick(
        table=table,
        declared=declared,
        reason="matches the question" if declared else "FK neighbour, for joins",
        # columns the question names survive even the tightest summary
        mapped={c.lower() for c in table.column_names if c.lower() in words} | set(matched),
        keys={c.lower() for c in table.primary_key} | joins,
        matched=matched,
    )
