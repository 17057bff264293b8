"""DuckDB table keys, cached by the text of each table's definition.

duckdb_constraints() costs about 5 ms on every new connection, whatever it is asked: it walks
the system catalog too, and no filter is pushed into it. That was most of reading a catalog,
which every `run` does. A table's primary and foreign keys are part of its definition, and
duckdb_tables().sql is that definition as DuckDB renders it (`CREATE TABLE f(x INTEGER,
FOREIGN KEY (x) REFERENCES p(id));`), so the keys read once for a given text are the keys of
any table with that text. The cache therefore needs no invalidation: a changed table has a
new text, which misses, and the next read asks duckdb_constraints() again.

A table without an index has no keys and is never looked up: DuckDB backs every PRIMARY KEY,
UNIQUE and FOREIGN KEY with one (duckdb_tables().index_count). The file lives in the
project's .mapforge/; a missing, unreadable or foreign file is treated as empty.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

KEY_CACHE_FILE = "duckdb_keys.json"
_FORMAT = 1
_MAX_ENTRIES = 10_000  # past this the file is rewritten with the current catalog's only

KeyRows = list[tuple[Any, ...]]  # (kind, columns, referenced table, referenced columns)


@dataclass
class KeyCache:
    path: Path
    entries: dict[str, list[list[Any]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> KeyCache:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return cls(path)
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            return cls(path)
        entries = data.get("keys")
        return cls(path, entries if isinstance(entries, dict) else {})

    def get(self, definition: str) -> KeyRows | None:
        rows = self.entries.get(_digest(definition))
        return None if rows is None else [tuple(row) for row in rows]

    def save(self, found: Mapping[str, KeyRows]) -> None:
        """Record the keys of each definition in `found`; written atomically."""
        fresh = {_digest(d): [list(row) for row in rows] for d, rows in found.items()}
        merged = {**self.entries, **fresh} if len(self.entries) < _MAX_ENTRIES else fresh
        temp = self.path.with_suffix(f".{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(exist_ok=True)
            temp.write_text(json.dumps({"format": _FORMAT, "keys": merged}))
            temp.replace(self.path)
        except OSError:
            temp.unlink(missing_ok=True)  # a read-only project still reads its catalog
            return
        self.entries = merged


def cached_keys(
    definitions: Mapping[str, str | None],
    cache: KeyCache | None,
    read: Callable[[], dict[str, KeyRows]],
) -> dict[str, KeyRows]:
    """Key rows per table of `definitions` (name -> CREATE text of each indexed table).

    `read()` returns key rows per table name for the whole schema (duckdb_constraints());
    it runs only when some definition is not cached, and its answer is cached then.
    """
    if not definitions:
        return {}
    if cache is not None and all(d is not None for d in definitions.values()):
        found = {name: cache.get(d) for name, d in definitions.items() if d is not None}
        if all(rows is not None for rows in found.values()):
            return {name: rows for name, rows in found.items() if rows}
    keys = read()
    if cache is not None:
        cache.save({d: keys.get(name, []) for name, d in definitions.items() if d is not None})
    return keys


def _digest(definition: str) -> str:
    # the version too: another DuckDB may read the same text into other rows
    return hashlib.sha256(f"{duckdb.__version__}\n{definition}".encode()).hexdigest()[:32]
