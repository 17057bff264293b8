"""Key uniqueness after an incremental apply, by construction instead of by a full scan.

DELETE + INSERT (and MERGE on the key) leaves the table = old rows whose key is not in the
increment, plus the increment. The increment's keys are checked unique and not null before
the apply (materialize/keys.py), in the table's own column types (the stage is typed like the
table, so the DELETE and the INSERT compare and store exactly the checked values). So when the
old table's key was unique and not null, the new table's is too, and the full-table key check
(0.9 s at 10M rows) can be replaced by that argument.

The precondition is checked, not assumed. After a full key check passes, the run records in
state.sqlite the table's *key fingerprint*: its row count and the HUGEINT sum of a 64-bit hash
of each row's key (quality.builders.key_fingerprint, one streaming scan, 0.04 s at 10M rows).
The next incremental run recomputes it inside the apply's transaction, before applying: equal
means the key multiset is the one that was verified; then it applies, computes the fingerprint
again in the same transaction and records it for the run after. Anything else (no record, a
failed key check, a different key, a different fingerprint, a full refresh or a first build,
an engine without the hash) runs the full key checks as before, and records them if they pass.

Residual risk: the fingerprint covers the key columns only (other columns cannot break the
key). A write outside mapforge goes unnoticed only if it leaves the row count and the sum of
key hashes unchanged while changing the key multiset: a 64-bit hash collision, or several
changes whose hash differences cancel. That does not happen by accident; DuckDB's hash() is
not cryptographic, so someone who wants to hide a duplicate deliberately can. A DuckDB upgrade
that changes hash() only makes fingerprints differ, which costs one full check.
"""

from __future__ import annotations

from collections.abc import Sequence

from mapforge.engines.base import Engine
from mapforge.quality.builders import key_fingerprint

PROVING_LOADS = frozenset({"incremental", "merge"})


def fingerprint(engine: Engine, table: str, key: Sequence[str]) -> str | None:
    """`count:hash-sum` of `table`'s key, or None where the engine has no such hash."""
    sql = key_fingerprint(table, key, dialect=engine.dialect)
    if sql is None:
        return None
    count, total = engine.query(sql).rows[0]
    return f"{int(count)}:{int(total)}"


def proved_message(run_id: str, scanned_run_id: str) -> str:
    """What run_results.json says of a key check replaced by the proof."""
    since = "" if scanned_run_id == run_id else f"; full key check at run {scanned_run_id}"
    return (
        "proved by construction (increment keys unique, previous table verified at run "
        f"{run_id}{since})"
    )
