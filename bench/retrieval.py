"""Schema retrieval benchmark: recall of needed columns and prompt size on a big catalog.

    python bench/retrieval.py [--json] [--tables 2000] [--targets 200] [--max-tokens 4000]

recall       needed (table, column) pairs present in the slices / all needed pairs
token_ratio  sum of slice tokens / (targets x tokens of the whole schema)
seconds      index build + every select_slice (catalog generation excluded)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog_gen import Generated, generate  # noqa: E402

from mapforge.catalog.index import SchemaIndex  # noqa: E402
from mapforge.catalog.retrieval import Slice, select_slice  # noqa: E402


def covered(slice_: Slice, needed: set[tuple[str, str]]) -> int:
    """How many needed (table, column) pairs the slice shows."""
    hits = 0
    for table, column in needed:
        shown = slice_.catalog.table(table)
        hits += shown is not None and shown.column(column) is not None
    return hits


def measure(gen: Generated, max_tokens: int) -> dict[str, float | int]:
    """Build the index, select every target's slice, and score them."""
    start = time.perf_counter()
    index = SchemaIndex.build(gen.catalog)
    slices = [select_slice(g.target, gen.catalog, max_tokens, index=index) for g in gen.targets]
    seconds = time.perf_counter() - start
    needed = sum(len(g.needed) for g in gen.targets)
    found = sum(covered(s, g.needed) for s, g in zip(slices, gen.targets, strict=True))
    tokens = sum(s.tokens for s in slices)
    return {
        "recall": round(found / needed, 4),
        "token_ratio": round(tokens / (len(slices) * index.total_tokens), 5),
        "seconds": round(seconds, 3),
        "targets": len(gen.targets),
        "tables": len(gen.catalog.tables),
        "columns": sum(len(t.columns) for t in gen.catalog.tables.values()),
        "max_tokens": max_tokens,
        "mean_slice_tokens": round(tokens / len(slices)),
        "schema_tokens": index.total_tokens,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--max-tokens", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    figures = measure(generate(args.tables, args.targets, args.seed), args.max_tokens)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
