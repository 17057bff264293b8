"""Vector stores for the semantic cache: embedded DuckDB (default) and PostgreSQL + pgvector.

DuckDB, not SQLite: this Python's sqlite3 cannot load extensions (so no sqlite-vec), and
DuckDB's `array_cosine_similarity` over a fixed-size `FLOAT[dim]` column scans 50,000
entries in ~40 ms, which is plenty for a cache of questions. One table per dimension, so
a change of embedder never mixes vector sizes; the guards (embedder, schema hash,
signature) are equality filters, so the cosine is computed on a handful of rows.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from mapforge.errors import ConfigError
from mapforge.llm.semantic_cache import Entry, Match

SEMANTIC_FILE = "semantic.duckdb"
_COLUMNS = "text, embedder, schema_hash, signature, completion, created"

# Append-only, like llm/migrations.py; `{dim}` is the table's vector size.
DUCKDB_MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "m001_entries",
        "CREATE TABLE IF NOT EXISTS entries_{dim} ("
        " text VARCHAR NOT NULL, embedder VARCHAR NOT NULL, schema_hash VARCHAR NOT NULL,"
        " signature VARCHAR NOT NULL, completion VARCHAR NOT NULL, created DOUBLE NOT NULL,"
        " vec FLOAT[{dim}] NOT NULL, PRIMARY KEY (embedder, schema_hash, text))",
    ),
)


class DuckDBVectorStore:
    """Entries in one DuckDB file; a lock serialises the gateway's threads on one connection."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        import duckdb

        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = duckdb.connect(str(path))
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name VARCHAR PRIMARY KEY, applied DOUBLE)"
        )
        self._lock = threading.Lock()
        self._ready: set[int] = set()

    def nearest(
        self, vector: list[float], *, text: str, embedder: str, schema_hash: str, signature: str
    ) -> Match | None:
        """Best entry by cosine (an identical normal text scores 1, even as a zero vector)."""
        dim = len(vector)
        sql = (
            f"SELECT text, completion, CASE WHEN text = $text THEN 1.0"
            f" ELSE array_cosine_similarity(vec, $vec::FLOAT[{dim}]) END AS sim"
            f" FROM entries_{dim} WHERE embedder = $embedder AND schema_hash = $schema"
            f" AND signature = $signature AND NOT isnan(sim) ORDER BY sim DESC LIMIT 1"
        )
        params = {
            "text": text,
            "vec": vector,
            "embedder": embedder,
            "schema": schema_hash,
            "signature": signature,
        }
        with self._lock:
            self._prepare(dim)
            row = self._conn.execute(sql, params).fetchone()
        return Match(text=row[0], completion=row[1], similarity=float(row[2])) if row else None

    def add(self, entry: Entry) -> None:
        """Insert or replace the entry for (embedder, schema hash, text)."""
        dim = len(entry.vector)
        sql = (
            f"INSERT OR REPLACE INTO entries_{dim} ({_COLUMNS}, vec)"
            f" VALUES (?, ?, ?, ?, ?, ?, ?::FLOAT[{dim}])"
        )
        with self._lock:
            self._prepare(dim)
            self._conn.execute(sql, [*_values(entry), entry.vector])

    def count(self) -> int:
        """Entries over every dimension."""
        with self._lock:
            return sum(
                self._conn.execute(f"SELECT count(*) FROM entries_{d}").fetchone()[0]  # type: ignore[index]
                for d in sorted(self._ready | self._existing())
            )

    def close(self) -> None:
        """Close the connection; idempotent."""
        with self._lock:
            self._conn.close()

    def _prepare(self, dim: int) -> None:
        if dim in self._ready:
            return
        done = {r[0] for r in self._conn.execute("SELECT name FROM _migrations").fetchall()}
        for name, ddl in DUCKDB_MIGRATIONS:
            if f"{name}_{dim}" not in done:
                self._conn.execute(ddl.format(dim=dim))
                self._conn.execute(
                    "INSERT INTO _migrations VALUES (?, epoch(now()))", [f"{name}_{dim}"]
                )
        self._ready.add(dim)

    def _existing(self) -> set[int]:
        rows = self._conn.execute("SELECT name FROM _migrations").fetchall()
        return {int(r[0].rsplit("_", 1)[1]) for r in rows if r[0].startswith("m001_entries_")}


class PgVectorStore:
    """Entries in PostgreSQL with the `vector` extension; `<=>` is pgvector's cosine distance.

    Used when a PostgreSQL URL is configured and the server offers the extension
    (`pgvector_available`). Not exercised by the test suite unless such a server is at hand.
    """

    def __init__(self, url: str, *, table: str = "mapforge_semantic") -> None:
        import psycopg

        self._conn = psycopg.connect(url, autocommit=True)
        self._table = table
        self._lock = threading.Lock()
        self._ready: set[int] = set()
        self._conn.execute("CREATE EXTENSION IF NOT EXISTS vector")

    def nearest(
        self, vector: list[float], *, text: str, embedder: str, schema_hash: str, signature: str
    ) -> Match | None:
        """Best entry by cosine similarity (1 - cosine distance)."""
        table = self._name(len(vector))
        sql = (
            f"SELECT text, completion, CASE WHEN text = %(text)s THEN 1.0"
            f" ELSE 1 - (vec <=> %(vec)s::vector) END AS sim FROM {table}"
            f" WHERE embedder = %(embedder)s AND schema_hash = %(schema)s"
            f" AND signature = %(signature)s ORDER BY vec <=> %(vec)s::vector LIMIT 1"
        )
        params = {
            "text": text,
            "vec": _pg_vector(vector),
            "embedder": embedder,
            "schema": schema_hash,
            "signature": signature,
        }
        with self._lock:
            self._prepare(len(vector))
            row = self._conn.execute(sql, params).fetchone()
        if row is None or row[2] != row[2]:  # NaN: a zero vector
            return None
        return Match(text=row[0], completion=row[1], similarity=float(row[2]))

    def add(self, entry: Entry) -> None:
        """Upsert the entry for (embedder, schema hash, text)."""
        table = self._name(len(entry.vector))
        sql = (
            f"INSERT INTO {table} ({_COLUMNS}, vec) VALUES (%s, %s, %s, %s, %s, %s, %s::vector)"
            " ON CONFLICT (embedder, schema_hash, text) DO UPDATE SET"
            " signature = EXCLUDED.signature, completion = EXCLUDED.completion,"
            " created = EXCLUDED.created, vec = EXCLUDED.vec"
        )
        with self._lock:
            self._prepare(len(entry.vector))
            self._conn.execute(sql, [*_values(entry), _pg_vector(entry.vector)])

    def count(self) -> int:
        """Entries over every dimension this store has touched."""
        with self._lock:
            return sum(
                self._conn.execute(f"SELECT count(*) FROM {self._name(d)}").fetchone()[0]  # type: ignore[index]
                for d in sorted(self._ready)
            )

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def _name(self, dim: int) -> str:
        return f"{self._table}_{dim}"

    def _prepare(self, dim: int) -> None:
        if dim not in self._ready:
            self._conn.execute(
                f"CREATE TABLE IF NOT EXISTS {self._name(dim)} ("
                " text TEXT NOT NULL, embedder TEXT NOT NULL, schema_hash TEXT NOT NULL,"
                " signature TEXT NOT NULL, completion TEXT NOT NULL,"
                " created DOUBLE PRECISION NOT NULL, vec vector(%d) NOT NULL,"
                " PRIMARY KEY (embedder, schema_hash, text))" % dim
            )
            self._ready.add(dim)


def pgvector_available(url: str) -> bool:
    """Whether the server at `url` offers (or has) the `vector` extension."""
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone()
    return row is not None


def open_store(state_dir: Path, postgres_url: str | None = None) -> Any:
    """pgvector when a PostgreSQL URL is given and the server has it, else DuckDB in .mapforge/."""
    if postgres_url:
        if not postgres_url.startswith(("postgresql://", "postgres://")):
            raise ConfigError("semantic cache: expected a postgresql:// URL")
        if pgvector_available(postgres_url):
            return PgVectorStore(postgres_url)
    return DuckDBVectorStore(state_dir / SEMANTIC_FILE)


def _values(entry: Entry) -> list[Any]:
    return [
        entry.text,
        entry.embedder,
        entry.schema_hash,
        entry.signature,
        entry.completion,
        entry.created,
    ]


def _pg_vector(vector: list[float]) -> str:
    # pgvector's text form; avoids needing the `pgvector` Python adapter
    return "[" + ",".join(f"{x:.7g}" for x in vector) + "]"
