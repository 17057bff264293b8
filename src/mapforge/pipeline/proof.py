"""Key uniqueness after an incremental apply, by construction instead of by a full scan.

DELETE + INSERT (and MERGE on the key) leaves the table = old rows whose key is not in the
increment, plus the increment. The increment's keys are checked unique and not null before
the apply (materialize/keys.py), in the table's own column types (the stage is typed like the
table, so the DELETE and the INSERT compare and store exactly the checked values), or proved
so from the SELECT and the sources' enforced keys when it stores its key in those types
(key_proof.py, Build.increment_keys_proved; the stage is then only counted). So when the
old table's key was unique and not null, the new table's is too, and the full-table key check
(0.9 s at 10M rows) can be replaced by that argument.

The precondition is checked, not assumed. After a full key check passes, the run records in
state.sqlite the table's *key fingerprint*: its row count and the XOR of a 64-bit hash of
each row's key (quality.builders.key_fingerprint, one streaming scan, 0.012-0.018 s at 10M rows;
why count + XOR identifies a verified table is argued there). The next incremental run
recomputes it inside the apply's transaction, before applying: equal means the key multiset
is the one that was verified; then it applies and records the fingerprint after the apply
for the run after. That one is arithmetic, not a second scan: the rows the DELETE removes
are fingerprinted just before it, by a SELECT with its WHERE (and its reported count must
agree), the stage's key check fingerprints the keys the INSERT adds, and XOR undoes itself
(`shifted`; test_pipeline_keyproof checks the result equals a scan). A MERGE reports no
such rows, so after one the table is scanned again. Anything else (no record, a
failed key check, a different key, a different fingerprint, a full refresh or a first build,
an engine without the hash) runs the full key checks as before, and records them if they
pass.

Residual risk: the fingerprint covers the key columns only (other columns cannot break the
key). A write outside mapforge goes unnoticed only if it leaves the row count and the XOR of
key hashes unchanged while changing the key multiset, which takes hashes that XOR to zero:
a 64-bit collision. That does not happen by accident; DuckDB's hash() is not cryptographic,
so someone who wants to hide a duplicate deliberately can. A DuckDB upgrade that changes
hash(), or a mapforge upgrade that changed the fingerprint (0.x summed the hashes), only
makes fingerprints differ, which costs one full check.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from mapforge.engines.base import Engine
from mapforge.quality.builders import key_fingerprint, key_hash_xor

PROVING_LOADS = frozenset({"incremental", "merge"})


def fingerprint(engine: Engine, table: str, key: Sequence[str]) -> str | None:
    """`count:hash-xor` of `table`'s key, or None where the engine has no such hash."""
    sql = key_fingerprint(table, key, dialect=engine.dialect)
    if sql is None:
        return None
    count, total = engine.query(sql).rows[0]
    return f"{int(count)}:{int(total)}"


def counted_delete(engine: Engine, delete: exp.Delete, key: Sequence[str]) -> str | None:
    """Run `delete`; the fingerprint of the rows it removed, or None when that is not known.

    The rows are fingerprinted by a SELECT with the DELETE's own WHERE, just before it in
    the same transaction, and the DELETE's reported row count must agree. On DuckDB this is
    twice as fast as `WITH gone AS (DELETE ... RETURNING hash) SELECT ...` (0.006 s against
    0.012 s for 50k of 10M rows). None (the caller then scans the table) where the engine
    has no key hash or does not report the count.
    """
    aggregates = key_hash_xor(key, dialect=engine.dialect)
    if aggregates is None:
        engine.execute(delete.sql(dialect=engine.dialect))
        return None
    doomed = exp.select(*aggregates).from_(delete.this.copy()).where(delete.args["where"].this)
    count, total = engine.query(doomed.sql(dialect=engine.dialect)).rows[0]
    reported = engine.query(delete.sql(dialect=engine.dialect)).rows
    if not reported or int(reported[0][0]) != int(count):
        return None
    return f"{int(count)}:{int(total)}"


def shifted(before: str, removed: str, added: str) -> str:
    """The fingerprint of a table after `removed` rows left it and `added` rows joined it."""
    (count, xor), (rc, rx), (ac, ax) = (_parts(f) for f in (before, removed, added))
    return f"{count - rc + ac}:{xor ^ rx ^ ax}"


def _parts(fingerprint: str) -> tuple[int, int]:
    count, total = fingerprint.split(":")
    return int(count), int(total)


def proved_message(run_id: str, scanned_run_id: str) -> str:
    """What run_results.json says of a key check replaced by the proof."""
    since = "" if scanned_run_id == run_id else f"; full key check at run {scanned_run_id}"
    return (
        "proved by construction (increment keys unique, previous table verified at run "
        f"{run_id}{since})"
    )
