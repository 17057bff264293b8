"""select_slice: the small, sufficient part of a big catalog that one target's prompt needs.

declared sources ─┐
free-text rules ─► BM25 (+ vectors) over tables, FK neighbours of the sources boosted
                  ─► columns: keys on the join path + columns matching the rule
                  ─► pack into the token budget (summarize sources if they alone overflow)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mapforge.catalog.budget import Pick, pack
from mapforge.catalog.focus import Focus, Query, focus_of
from mapforge.catalog.index import SchemaIndex
from mapforge.catalog.model import Catalog
from mapforge.errors import CatalogError
from mapforge.mapping.spec import Target

MAX_PER_QUERY = 3  # tables one rule may pull in from the whole catalog
MAX_NEIGHBOURS_PER_QUERY = 2  # ... plus FK neighbours of the declared sources
MAX_RETRIEVED = 12  # tables all rules together may pull in
RELATIVE_CUTOFF = 0.5  # a table must score at least this share of the rule's best table
NEIGHBOUR_CUTOFF = 0.35  # a neighbour needs less: the join makes it likely already
NEIGHBOUR_BOOST = 1.5  # ranks "the customer's region" joined to the source first
MAX_MATCHED_COLUMNS = 4  # per rule and table, besides keys and named columns
COLUMN_CUTOFF = 0.5  # share of the best column score a matching column needs
RERANK_DEPTH = 40  # tables re-scored by their best-matching column
# Weight of the best single column's match in the rerank. BM25 scores words one by one; a
# rule's attribute ("the change timestamp") should match one column as a whole, not
# "change" in the table comment and "timestamp" in an unrelated load-time column.
COLUMN_BOOST = 1.0


@dataclass(frozen=True)
class Slice:
    """The pruned catalog a prompt shows, what was cut, and its estimated size."""

    catalog: Catalog
    notes: list[str]
    tokens: int  # estimate: rendered characters / 4 (see mapforge.tokens)
    reasons: dict[str, str] = field(default_factory=dict)  # table -> why it is in


@dataclass
class _Found:
    reason: str
    queries: list[Query] = field(default_factory=list)


def select_slice(
    target: Target, catalog: Catalog, max_tokens: int, *, index: SchemaIndex | None = None
) -> Slice:
    """The tables and columns a target's prompt needs, within `max_tokens` (estimated)."""
    index = checked_index(index, catalog)
    focus = focus_of(target)
    declared = _declared(target, catalog)
    found = _retrieve(index, focus, declared)
    picks = _picks(index, focus, declared, found)
    return packed_slice(picks, max_tokens, catalog.dialect)


def checked_index(index: SchemaIndex | None, catalog: Catalog) -> SchemaIndex:
    """`index` if it was built for `catalog` (a new one when None); CatalogError otherwise."""
    if index is None:
        return SchemaIndex.build(catalog)
    # identity first: fingerprinting thousands of tables on every call would undo the index
    if index.catalog is not catalog and index.catalog.fingerprint() != catalog.fingerprint():
        raise CatalogError("the schema index was built for another catalog", hint="rebuild it")
    return index


def packed_slice(picks: list[Pick], max_tokens: int, dialect: str) -> Slice:
    """Fit the picked tables into `max_tokens`; the Slice keeps why each kept table is in."""
    packed = pack(picks, max_tokens)
    kept = {t.name.lower() for t in packed.tables}
    reasons = {p.name: p.reason for p in picks if p.name.lower() in kept}
    return Slice(Catalog.of(packed.tables, dialect), packed.notes, packed.tokens, reasons)


def _declared(target: Target, catalog: Catalog) -> list[str]:
    keys = [t.name.lower() for n in target.source_tables if (t := catalog.table(n)) is not None]
    return list(dict.fromkeys(keys))


def _retrieve(index: SchemaIndex, focus: Focus, declared: list[str]) -> dict[str, _Found]:
    """Tables the free text asks for, interleaved rule by rule so every rule gets its best."""
    neighbours = index.graph.neighbours(set(declared))
    ranked = [_rank(index, q, declared, neighbours) for q in focus.queries]
    found: dict[str, _Found] = {}
    for depth in range(max(map(len, ranked), default=0)):
        for query, keys in zip(focus.queries, ranked, strict=True):
            if depth < len(keys) and (key := keys[depth]) not in found:
                if len(found) == MAX_RETRIEVED:
                    return found
                via = neighbours.get(key)
                found[key] = _Found(f"FK neighbour of {via}" if via else "matches the free text")
            if depth < len(keys):
                found[keys[depth]].queries.append(query)
    return found


def _rank(
    index: SchemaIndex, query: Query, declared: list[str], neighbours: dict[str, str]
) -> list[str]:
    """The query's best tables overall, plus its best FK neighbours; ties by name.

    Neighbours are ranked among themselves, not boosted into the global list: a boost would
    let a joined table that merely shares the attribute words ("net price") crowd out the
    one table the rule describes ("the warehouse's net price").
    """
    scores = _reranked(index, query, declared, neighbours)
    best = scores.max(initial=0.0)
    if best <= 0:
        return []
    near = [index.position[k] for k in neighbours]
    picked = _top(index, scores, np.flatnonzero(scores >= RELATIVE_CUTOFF * best), MAX_PER_QUERY)
    hits = [i for i in near if scores[i] >= NEIGHBOUR_CUTOFF * best]
    picked += _top(index, scores, np.asarray(hits, dtype=int), MAX_NEIGHBOURS_PER_QUERY)
    boosted = {
        i: scores[i] * (NEIGHBOUR_BOOST if index.keys[i] in neighbours else 1.0) for i in picked
    }
    order = sorted(boosted, key=lambda i: (-boosted[i], index.keys[i]))
    return [index.keys[i] for i in order]


def _reranked(
    index: SchemaIndex, query: Query, declared: list[str], neighbours: dict[str, str]
) -> np.ndarray:
    """Table scores where the best candidates and all neighbours gain their best column's match."""
    base = index.table_scores(query.tokens, query.text)
    for key in declared:
        base[index.position[key]] = 0.0  # already in
    depth = min(RERANK_DEPTH, len(base))
    pool = set(np.argpartition(-base, depth - 1)[:depth].tolist()) if depth else set()
    pool |= {index.position[k] for k in neighbours}
    scores = np.zeros_like(base)
    for i in pool:
        if base[i] > 0:
            column = index.column_scores(index.keys[i], query.tokens)
            scores[i] = base[i] + COLUMN_BOOST * (column[0][0] if column else 0.0)
    return scores


def _top(index: SchemaIndex, scores: np.ndarray, hits: np.ndarray, limit: int) -> list[int]:
    return sorted(hits.tolist(), key=lambda i: (-scores[i], index.keys[i]))[:limit]


def _picks(
    index: SchemaIndex, focus: Focus, declared: list[str], found: dict[str, _Found]
) -> list[Pick]:
    """Declared sources first, then retrieved tables in the order they were found."""
    chosen = set(declared) | set(found)
    joins = index.graph.join_columns(chosen)
    picks = []
    for key in [*declared, *found]:
        table = index.catalog.tables[key]
        is_declared = key in declared
        queries = list(focus.queries) if is_declared else found[key].queries
        keys = {c.lower() for c in table.primary_key} | joins[key]
        picks.append(
            Pick(
                table=table,
                declared=is_declared,
                reason="declared source" if is_declared else found[key].reason,
                mapped=focus.mapped(key, table.column_names),
                keys=keys,
                matched=_matched(index, key, queries),
            )
        )
    return picks


def _matched(index: SchemaIndex, key: str, queries: list[Query]) -> list[str]:
    """Per rule, the table's columns scoring near that rule's best column."""
    matched: dict[str, None] = {}
    for query in queries:
        scored = index.column_scores(key, query.tokens)
        if scored:
            floor = COLUMN_CUTOFF * scored[0][0]
            top = [name for score, name in scored if score >= floor]
            matched.update(dict.fromkeys(top[:MAX_MATCHED_COLUMNS]))
    return list(matched)
