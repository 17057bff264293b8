from pathlib import Path

import pytest

from mapforge import lock as lockfile
from mapforge.errors import LockError
from mapforge.lock import EntryStatus, Hashes, Lock, LockEntry, is_fresh


def _entry(
    origin: str = "compiled", sql: str = "SELECT 1 AS a\nFROM t\n", **hashes: str
) -> LockEntry:
    base = {"mapping": "m1", "catalog": "c1"} | hashes
    return LockEntry(origin=origin, hashes=Hashes(**base), sql=sql)


def test_dump_is_sorted_and_sql_is_a_literal_block() -> None:
    lock = Lock(targets={"zeta": _entry(), "alpha": _entry()})
    text = lockfile.dumps(lock)
    assert text.index("alpha:") < text.index("zeta:")
    assert "sql: |\n      SELECT 1 AS a\n      FROM t\n" in text


def test_round_trip_is_byte_identical(tmp_path: Path) -> None:
    lock = Lock(targets={"b": _entry("llm:gpt", template="t1", prompt="p1"), "a": _entry()})
    assert lockfile.write(tmp_path, lock) is True
    again = lockfile.read(tmp_path)
    assert again == lock
    assert lockfile.write(tmp_path, again) is False  # unchanged bytes are not rewritten


def test_trailing_spaces_in_sql_do_not_break_the_block_style() -> None:
    text = lockfile.dumps(Lock(targets={"a": _entry(sql="SELECT 1   \nFROM t\n")}))
    assert "sql: |" in text
    assert lockfile.loads(text).targets["a"].sql == "SELECT 1\nFROM t\n"


def test_unsupported_schema_version_is_a_clear_error() -> None:
    with pytest.raises(LockError, match="schema_version 99"):
        lockfile.loads("schema_version: 99\ntargets: {}\n")


def test_garbage_lock_is_a_clear_error() -> None:
    with pytest.raises(LockError, match="not valid YAML"):
        lockfile.loads("targets: [unclosed\n")


@pytest.mark.parametrize(
    ("origin", "changed", "fresh"),
    [
        ("compiled", {}, True),
        ("compiled", {"mapping": "m2"}, False),
        ("compiled", {"catalog": "c2"}, False),
        ("compiled", {"template": "t2"}, True),  # templates only matter to model-written SQL
        ("llm:gpt", {}, True),
        ("llm:gpt", {"template": "t2"}, False),
        ("llm:gpt", {"prompt": "p2"}, False),
        ("manual:maintainers", {"template": "t2", "prompt": "p2"}, True),
        ("override", {"override": "o2"}, False),
    ],
)
def test_freshness(origin: str, changed: dict[str, str], fresh: bool) -> None:
    entry = _entry(origin, template="t1", prompt="p1")
    hashes = Hashes(
        **({"mapping": "m1", "catalog": "c1", "template": "t1", "prompt": "p1"} | changed)
    )
    assert is_fresh(entry, hashes) is fresh


def test_runnable_needs_ok_status_and_sql() -> None:
    assert _entry().runnable
    assert not _entry(sql="").runnable
    failed = _entry()
    failed.status = EntryStatus.FAILED
    assert not failed.runnable
