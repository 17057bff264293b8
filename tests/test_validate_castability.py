"""The castability matrix shared by MF204 and MF303, checked against DuckDB's binder rules."""

from __future__ import annotations

import pytest

from mapforge.validate.castability import CASTABLE, Family, castable_names


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("DATE", "INTEGER"),
        ("INTEGER", "DATE"),
        ("BOOLEAN", "DATE"),
        ("TIMESTAMP", "BIGINT"),
        ("DECIMAL(10,2)", "TIMESTAMP"),
        ("TIME", "DATE"),
        ("INTERVAL", "INTEGER"),
        ("UUID", "INTEGER"),
        ("INTEGER[]", "INTEGER"),
        ("BLOB", "INTEGER"),
    ],
)
def test_never_castable(source: str, target: str) -> None:
    assert not castable_names(source, target, "duckdb")


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("VARCHAR", "INTEGER"),
        ("VARCHAR", "DATE"),
        ("INTEGER", "VARCHAR"),
        ("DATE", "TIMESTAMP"),
        ("TIMESTAMP", "DATE"),
        ("TIMESTAMP", "TIME"),
        ("BOOLEAN", "INTEGER"),
        ("INTEGER", "BOOLEAN"),
        ("INT", "DECIMAL(12,2)"),
        ("JSON", "INTEGER"),
        ("INTEGER", "JSON"),
        ("my_enum", "INTEGER"),
        ("USER-DEFINED", "DATE"),
    ],
)
def test_castable_or_unknown(source: str, target: str) -> None:
    assert castable_names(source, target, "duckdb")


def test_every_family_casts_to_itself_and_to_text() -> None:
    assert all({family, Family.TEXT} <= CASTABLE[family] for family in Family)
