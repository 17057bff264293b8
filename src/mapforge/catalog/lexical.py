"""Lexical matching: a dependency-free tokenizer and a BM25 index over one document per table."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from rank_bm25 import BM25Okapi

# camelCase and HTTPServer boundaries; snake_case and punctuation split in _WORD
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z]+")

# English glue plus the verbs people start mapping rules with: they match every table equally.
_STOPWORD_TEXT = """
a an and are as at be by for from has have if in into is it its of on or that the then this to
was were when where which while with without each every per all any only else not no than their
there these those use using add take get bring put show set map fill derive compute calculate
return look lookup up value values column field row rows table based given also same
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


# (suffix, replacement): Latin endings that make "certificate" and "certification" differ
_SUFFIXES = (("ations", ""), ("ation", ""), ("ates", ""), ("ate", ""), ("ions", ""), ("ion", ""))


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """Light stemming: plurals and a few Latin endings, never leaving a stem under 4 letters."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)] + replacement
    return word


@lru_cache(maxsize=1 << 17)
def tokenize(text: str | None) -> tuple[str, ...]:
    """Split snake_case/camelCase, lowercase, drop stopwords, digits and 1-letter words, stem."""
    if not text:
        return ()
    words = _WORD.findall(_CAMEL.sub(" ", text).lower())
    return tuple(stem(w) for w in words if len(w) > 1 and w not in STOPWORDS)


class LexicalIndex:
    """BM25 (Okapi, rank_bm25's parameters) over tokenized documents, scored sparsely.

    rank_bm25's `get_scores` walks every document for every query word; a catalog of thousands
    of tables is queried hundreds of times per plan, so scoring walks a posting list instead.
    The scores are the same numbers `BM25Okapi.get_scores` returns.
    """

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self.size = len(documents)
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._idf: dict[str, float] = {}
        if self.size and any(documents):
            self._index(BM25Okapi([list(d) for d in documents]))

    def _index(self, bm25: BM25Okapi) -> None:
        self._idf = dict(bm25.idf)
        lengths = np.asarray(bm25.doc_len, dtype=float)
        self._k1 = bm25.k1
        self._norm = bm25.k1 * (1 - bm25.b + bm25.b * lengths / bm25.avgdl)
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for doc_id, freqs in enumerate(bm25.doc_freqs):
            for word, tf in freqs.items():
                ids, tfs = postings.setdefault(word, ([], []))
                ids.append(doc_id)
                tfs.append(tf)
        self._postings = {
            w: (np.asarray(i), np.asarray(t, dtype=float)) for w, (i, t) in postings.items()
        }

    def idf(self, word: str) -> float:
        """How rare a word is across the documents (0 for unknown words)."""
        return self._idf.get(word, 0.0)

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for the query's distinct words."""
        total = np.zeros(self.size)
        for word in dict.fromkeys(query):  # repeated words would count twice in rank_bm25
            posting = self._postings.get(word)
            if posting is None:
                continue
            ids, tfs = posting
            total[ids] += self._idf[word] * tfs * (self._k1 + 1) / (tfs + self._norm[ids])
        return total
