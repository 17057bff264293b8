"""SchemaIndex: everything retrieval precomputes once per catalog (BM25, FK graph, vectors)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mapforge.catalog.embeddings import Embedder, fuse
from mapforge.catalog.graph import ForeignKeyGraph
from mapforge.catalog.lexical import LexicalIndex, tokenize
from mapforge.catalog.model import Catalog, Table
from mapforge.catalog.schema_text import table_tokens

# share of the vector score in the fused score when an embedder is given
VECTOR_WEIGHT = 0.3
# A second BM25 over table names and comments only (a two-field BM25F, simplified): a word
# that is common among columns ("warehouse load time") can still single out the one table
# whose comment is about it ("warehouse postal addresses").
HEADLINE_BOOST = 1.0
# Words of a table's own name and comment picked the table; inside it they hardly tell
# columns apart ("supplier contract notes": `supplier_contract_id` vs `note_text`).
HEADLINE_WEIGHT = 0.3


def table_document(table: Table) -> list[str]:
    """The words a table is found by: its name, comment, column names and column comments."""
    words = list(tokenize(table.name)) + list(tokenize(table.comment))
    for col in table.columns:
        words += tokenize(col.name) + tokenize(col.comment)
    return words


def column_words(table: Table) -> list[tuple[str, frozenset[str]]]:
    """(lower-cased column name, its name and comment words) of non-key columns, in order.

    Keys are kept or dropped by the join path; matched on words, an FK commented "reference
    to the customer" would crowd out the attribute a rule about the customer asks for.
    """
    keys = {c.lower() for c in table.primary_key}
    keys |= {c.lower() for fk in table.foreign_keys for c in fk.columns}
    return [
        (c.name.lower(), frozenset(tokenize(c.name) + tokenize(c.comment)))
        for c in table.columns
        if c.name.lower() not in keys
    ]


class SchemaIndex:
    """Build once per catalog, then select many slices from it (the hot path of a plan)."""

    def __init__(self, catalog: Catalog, embedder: Embedder | None = None) -> None:
        self.catalog = catalog
        self.keys = sorted(catalog.tables)
        self.position = {k: i for i, k in enumerate(self.keys)}
        tables = [catalog.tables[k] for k in self.keys]
        self.lexical = LexicalIndex([table_document(t) for t in tables])
        self.headlines = LexicalIndex([_headline(t) for t in tables])
        self.graph = ForeignKeyGraph.build(catalog)
        self.columns = {k: column_words(t) for k, t in zip(self.keys, tables, strict=True)}
        self.headline = {k: frozenset(_headline(t)) for k, t in zip(self.keys, tables, strict=True)}
        self.tokens = {k: table_tokens(t) for k, t in zip(self.keys, tables, strict=True)}
        self.embedder = embedder
        self.vectors = embedder.embed([_embedding_text(t) for t in tables]) if embedder else None

    @classmethod
    def build(cls, catalog: Catalog, *, embedder: Embedder | None = None) -> SchemaIndex:
        """Tokenize and index every table of the catalog."""
        return cls(catalog, embedder)

    @property
    def total_tokens(self) -> int:
        """Estimated tokens of the whole catalog rendered with comments."""
        return sum(self.tokens.values())

    def table_scores(self, words: Sequence[str], text: str) -> np.ndarray:
        """Relevance of every table (index order): BM25, fused with vectors if indexed."""
        scores = self.lexical.scores(words) + HEADLINE_BOOST * self.headlines.scores(words)
        if self.vectors is None or self.embedder is None or not len(self.keys):
            return scores
        query = self.embedder.embed([text])[0]
        return fuse(scores, self.vectors @ query, VECTOR_WEIGHT)

    def column_scores(self, key: str, words: Sequence[str]) -> list[tuple[float, str]]:
        """(score, column) for columns sharing words with the query, best first, ties by order."""
        wanted = set(words)
        weight = {
            w: self.lexical.idf(w) * (HEADLINE_WEIGHT if w in self.headline[key] else 1.0)
            for w in wanted
        }
        scored = []
        for pos, (name, col_words) in enumerate(self.columns.get(key, [])):
            score = sum(weight[w] for w in col_words & wanted)
            if score > 0:
                scored.append((score, pos, name))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [(score, name) for score, _, name in scored]


def _headline(table: Table) -> list[str]:
    # distinct words: `customer_history` commented "customer change history" says
    # "customer" once, like `cust_hist` with the same comment
    return list(dict.fromkeys(tokenize(table.name) + tokenize(table.comment)))


def _embedding_text(table: Table) -> str:
    cols = ", ".join(f"{c.name} {c.comment or ''}".strip() for c in table.columns)
    return f"{table.name}: {table.comment or ''}. {cols}"
