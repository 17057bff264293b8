"""Cell values: text rendering, flags, lists, load strategies, header aliases."""

from __future__ import annotations

import datetime as dt

import pytest

from mapforge.mapping.cells import CellError, parse_flag, parse_load, split_list, to_text
from mapforge.mapping.columns import find_header, map_header, match_header
from mapforge.mapping.spec import Load


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (3.0, "3"),
        (2.5, "2.5"),
        (7, "7"),
        (True, "TRUE"),
        ("  padded \t", "padded"),
        ("a\r\nb", "a\nb"),
        (dt.datetime(2024, 1, 5), "2024-01-05"),
        (dt.datetime(2024, 1, 5, 9, 30), "2024-01-05T09:30:00"),
    ],
)
def test_to_text(value: object, text: str) -> None:
    assert to_text(value) == text


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("Y", True),
        ("yes", True),
        ("x", True),
        ("TRUE", True),
        ("1", True),
        ("n", False),
        ("No", False),
        ("0", False),
        ("", None),
        ("  ", None),
    ],
)
def test_parse_flag(text: str, flag: bool | None) -> None:
    assert parse_flag(text) is flag


def test_parse_flag_rejects_other_words() -> None:
    with pytest.raises(CellError, match="'maybe' is not a Y/N flag"):
        parse_flag("maybe")


def test_split_list_keeps_commas_inside_calls_and_quotes() -> None:
    text = "not_null; accepted_values('a', 'b'),unique\nrelationships(dim.id) ; expr('x;y')"
    assert split_list(text) == [
        "not_null",
        "accepted_values('a', 'b')",
        "unique",
        "relationships(dim.id)",
        "expr('x;y')",
    ]
    assert split_list("  ") == []


@pytest.mark.parametrize(
    ("text", "load"),
    [
        ("", Load.TABLE),
        ("View", Load.VIEW),
        ("INCREMENTAL", Load.INCREMENTAL),
        ("SCD 2", Load.SCD2),
        ("scd_2", Load.SCD2),
        ("merge", Load.MERGE),
    ],
)
def test_parse_load(text: str, load: Load) -> None:
    assert parse_load(text) is load


def test_unknown_load_suggests() -> None:
    with pytest.raises(CellError) as caught:
        parse_load("incremantal")
    assert caught.value.message == "'incremantal' is not a load strategy"
    assert caught.value.hint is not None
    assert caught.value.hint.startswith("did you mean incremental?")


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Target Table", "target_table"),
        ("target_table", "target_table"),
        ("TARGET-ENTITY", "target_table"),
        (" Target Field ", "target_column"),
        ("Data Type", "target_type"),
        ("Transformation Logic", "rule"),
        ("Business_Rule", "rule"),
        ("PK", "key"),
        ("Is Key", "key"),
        ("Load Strategy", "load"),
        ("DQ Checks", "tests"),
        ("Notes", "description"),
        ("Null Allowed", "nullable"),
        ("depends-on", "depends_on"),
        ("Target Table *", "target_table"),
        ("Owner", None),
    ],
)
def test_header_aliases(header: str, field: str | None) -> None:
    assert match_header(header) == field


def test_first_of_two_synonyms_wins() -> None:
    assert map_header(["Description", "Target", "Notes"]) == {"description": 0, "target_table": 1}


def test_find_header_skips_title_rows() -> None:
    grid = [["Mapping v2", ""], ["", ""], ["Target Entity", "Target Attribute", "Type"]]
    assert find_header(grid) == 2
    assert find_header([["Owner", "Data team"]]) is None
