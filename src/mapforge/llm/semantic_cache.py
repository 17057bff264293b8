"""Semantic answer cache for natural-language requests (`mapforge ask`): paraphrases hit.

    lookup(request) ─► normalize(text) ─► critical tokens ─► embed
        ─► store.nearest(same embedder, same schema-slice hash, same critical tokens)
        ─► hit only when cosine similarity ≥ threshold

Near-miss safety beats hit rate: an answer written for "orders over 100" must never serve
"orders over 1000", nor an answer written for one schema serve another. So a hit needs
(1) the identical schema-slice hash, (2) the identical set of critical tokens (numbers,
negations, comparisons, aggregates, directions, schema identifiers, literals — see
`mapforge.llm.normalize`), and only then (3) cosine similarity ≥ `threshold`.

Only requests with a natural-language purpose (`SEMANTIC_PURPOSES`) carrying both
`semantic_text` and `schema_hash` take part; generation from a mapping uses the exact cache.
The embedder is given by the caller (the `llm` layer imports nothing of ours): the
dependency-free `mapforge.catalog.embeddings.HashingEmbedder`, or `SentenceTransformerEmbedder`
with the `embeddings` extra. Vectors of different embedders are never compared.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from mapforge.llm.normalize import critical_tokens, normalize, signature
from mapforge.llm.provider import Completion, CompletionRequest

SEMANTIC_PURPOSES = frozenset({"ask"})
DEFAULT_THRESHOLD = 0.92


class Embedder(Protocol):
    """Texts to L2-normalised row vectors (mapforge.catalog.embeddings' embedders fit)."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Entry:
    """One cached answer as a store keeps it."""

    text: str  # the normalized request text
    vector: list[float]
    embedder: str
    schema_hash: str
    signature: str  # the critical tokens, sorted and joined
    completion: str  # Completion JSON
    created: float


@dataclass(frozen=True)
class Match:
    """The store's nearest entry among those with the same embedder, schema and signature."""

    text: str
    similarity: float
    completion: str


class VectorStore(Protocol):
    """Where entries live: DuckDB by default, pgvector on a PostgreSQL server."""

    def nearest(
        self, vector: list[float], *, text: str, embedder: str, schema_hash: str, signature: str
    ) -> Match | None: ...

    def add(self, entry: Entry) -> None: ...

    def count(self) -> int: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Key:
    """What a request is looked up by."""

    text: str
    signature: str
    schema_hash: str


class SemanticCache:
    """Answers by meaning: same schema slice, same critical tokens, similar enough text."""

    def __init__(
        self, store: VectorStore, embedder: Embedder, threshold: float = DEFAULT_THRESHOLD
    ) -> None:
        self.store, self.embedder, self.threshold = store, embedder, threshold
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()

    @staticmethod
    def applies(request: CompletionRequest) -> bool:
        """Natural-language requests with their text and schema hash; nothing else."""
        return (
            request.purpose in SEMANTIC_PURPOSES
            and bool(request.semantic_text)
            and bool(request.schema_hash)
        )

    def lookup(self, request: CompletionRequest) -> Completion | None:
        """The cached answer for this request, or None (also for requests it does not apply to)."""
        if not self.applies(request):
            return None
        match = self.get(
            request.semantic_text or "", request.schema_hash or "", request.schema_terms
        )
        return Completion.model_validate_json(match.completion) if match else None

    def remember(self, request: CompletionRequest, completion: Completion) -> None:
        """Store the provider's answer for this request (if the cache applies to it)."""
        if self.applies(request):
            text, schema_hash = request.semantic_text or "", request.schema_hash or ""
            self.put(text, schema_hash, completion.model_dump_json(), request.schema_terms)

    def get(
        self,
        text: str,
        schema_hash: str,
        identifiers: Sequence[str] = (),
    ) -> Match | None:
        """The nearest entry passing every guard, or None; counts hits and misses."""
        key = make_key(text, schema_hash, identifiers)
        match = self.store.nearest(
            self._vector(key.text),
            text=key.text,
            embedder=self.embedder.name,
            schema_hash=key.schema_hash,
            signature=key.signature,
        )
        hit = match if match is not None and match.similarity >= self.threshold else None
        with self._lock:
            self.hits += hit is not None
            self.misses += hit is None
        return hit

    def put(
        self,
        text: str,
        schema_hash: str,
        completion: str,
        identifiers: Sequence[str] = (),
    ) -> None:
        """Remember an answer (Completion JSON) for a request text under a schema slice."""
        key = make_key(text, schema_hash, identifiers)
        self.store.add(
            Entry(
                key.text,
                self._vector(key.text),
                self.embedder.name,
                key.schema_hash,
                key.signature,
                completion,
                time.time(),
            )
        )

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def _vector(self, normal_text: str) -> list[float]:
        return [float(x) for x in self.embedder.embed([normal_text])[0]]


def make_key(text: str, schema_hash: str, identifiers: Sequence[str] = ()) -> Key:
    """Normal form, critical-token signature and schema hash of a raw request text."""
    # the critical tokens read the raw text: literals need its capitals and quotes
    return Key(normalize(text), signature(critical_tokens(text, identifiers)), schema_hash)
