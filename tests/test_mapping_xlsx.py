"""Excel mapping workbooks, built with openpyxl the way analysts lay them out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook

from mapforge.errors import MappingError
from mapforge.mapping.load import load_spec
from mapforge.mapping.spec import JoinKind, Load, RuleKind, Spec

HEADER = [
    "Target Table ",
    "Target_Column",
    "Data Type",
    "Source Table",
    "Source Field",
    "Transformation Logic",
    "Join",
    "Filter",
    "PK",
    "Load Strategy",
    "DQ Checks",
    "Notes",
    "Nullable",
    "Owner",
]
Cells = Sequence[object]


def write_book(
    path: Path, sheets: Mapping[str, Sequence[Cells]], merges: Sequence[str] = ()
) -> Path:
    """A real .xlsx: one sheet per entry, rows from row 1, merges applied to the last sheet."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    for ref in merges:
        sheet.merge_cells(ref)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def mapping_rows(*rows: Cells) -> list[Cells]:
    """A title on row 1, a blank row 2, the header on row 3, then `rows` from row 4."""
    return [["CRM mapping v2"], [], HEADER, *rows]


COVER: list[Cells] = [["CRM data mart"], [], ["Owner", "Data team"], ["Version", 2.0]]
GOOD = mapping_rows(
    [
        "dim_customer",
        "customer_id",
        "integer",
        "customers",
        "id",
        "direct",
        "LEFT JOIN countries c ON c.code = customers.country_code",
        "customers.is_test = false ",
        "Y",
        "Merge",
        "unique",
        "Customer id  ",
        None,
        "Ann",
    ],
    [
        None,
        "full_name  ",
        "varchar(100) ",
        "customers",
        None,
        "concat(first_name, ' ', last_name)",
        None,
        None,
        None,
        None,
        "not_null; accepted_values('a', 'b')",
        None,
        None,
    ],
    [None, "country", "VARCHAR", "countries", "name", "lookup(countries.name on code)"],
    [],
    ["fct_orders", "order_id", "BIGINT", "orders", "order_id", None, None, None, "x"],
    [
        None,
        "amount",
        "DECIMAL(12,2)",
        "orders",
        "amount",
        "sql: orders.amount * 1.0",
        None,
        None,
        None,
        None,
        None,
        None,
        0.0,
    ],
    [None, "status_label", "VARCHAR", "orders", "status", "label the status in plain words"],
)


def read(path: Path, sheet: str | None = None) -> Spec:
    return load_spec([path], sheet=sheet, base_dir=path.parent.parent)


def test_reads_a_realistic_workbook(tmp_path: Path) -> None:
    path = write_book(
        tmp_path / "mappings" / "crm.xlsx",
        {"Cover": COVER, "Customers": GOOD},
        merges=["A1:F1", "A4:A6"],
    )
    spec = read(path)
    assert spec.names == ["dim_customer", "fct_orders"]
    customer, orders = spec.targets
    assert str(customer.origin) == "mappings/crm.xlsx, sheet Customers, row 4"
    assert [str(c.origin) for c in orders.columns] == [
        f"mappings/crm.xlsx, sheet Customers, row {n}" for n in (8, 9, 10)
    ]
    assert customer.load is Load.MERGE and orders.load is Load.TABLE
    assert customer.key == ["customer_id"] and orders.key == ["order_id"]
    assert customer.filter == "customers.is_test = false"
    assert [(j.kind, j.table, j.alias) for j in customer.joins] == [
        (JoinKind.LEFT, "countries", "c")
    ]
    assert orders.joins == [] and orders.filter is None
    assert [c.name for c in customer.columns] == ["customer_id", "full_name", "country"]


def test_cells_are_typed_and_trimmed(tmp_path: Path) -> None:
    path = write_book(
        tmp_path / "mappings" / "crm.xlsx", {"Cover": COVER, "Customers": GOOD}, merges=["A4:A6"]
    )
    customer, orders = read(path).targets
    key, full_name, country = customer.columns
    assert (key.description, key.nullable, key.tests) == ("Customer id", False, ["unique"])
    assert (full_name.name, full_name.type, full_name.nullable) == (
        "full_name",
        "VARCHAR(100)",
        True,
    )
    assert full_name.tests == ["not_null", "accepted_values('a', 'b')"]
    assert full_name.rule.kind is RuleKind.CONCAT
    assert (country.rule.lookup_table, country.rule.lookup_on) == ("countries", "code")
    amount, status = orders.columns[1:]
    assert (amount.type, amount.nullable, amount.rule.args) == (
        "DECIMAL(12, 2)",
        False,
        ("orders.amount * 1.0",),
    )
    assert status.rule.kind is RuleKind.FREE_TEXT


def test_merged_table_level_cells_apply_once(tmp_path: Path) -> None:
    rows = mapping_rows(
        [
            "dim_a",
            "id",
            "INTEGER",
            "a",
            "id",
            None,
            "JOIN b ON b.id = a.id",
            "a.ok",
            "Y",
            "incremental",
        ],
        [None, "name", "VARCHAR", "a", "name"],
        [None, "code", "VARCHAR", "b", "code", None, "LEFT JOIN c ON c.id = a.c_id"],
    )
    path = write_book(
        tmp_path / "m" / "a.xlsx", {"Mapping": rows}, merges=["G4:G5", "H4:H6", "J4:J6"]
    )
    (target,) = read(path).targets
    assert [j.table for j in target.joins] == ["b", "c"]
    assert (target.filter, target.load) == ("a.ok", Load.INCREMENTAL)


def test_sheet_option_picks_a_sheet(tmp_path: Path) -> None:
    other = mapping_rows(["dim_other", "id", "INTEGER", "o", "id"])
    path = write_book(tmp_path / "m" / "a.xlsx", {"Customers": GOOD, "Other": other})
    assert read(path).names == ["dim_customer", "fct_orders"]
    assert read(path, sheet="other").names == ["dim_other"]


def error_for(tmp_path: Path, *rows: Cells, sheet: str | None = None) -> str:
    path = write_book(tmp_path / "mappings" / "crm.xlsx", {"Cover": COVER, "Customers": rows})
    with pytest.raises(MappingError) as caught:
        read(path, sheet=sheet)
    return str(caught.value)


def filler(count: int) -> list[Cells]:
    """Good rows of one target, to push an error row down the sheet."""
    return [["dim_x" if n == 0 else None, f"c{n}", "INTEGER", "s", f"c{n}"] for n in range(count)]


def test_unknown_type_error_names_the_cell(tmp_path: Path) -> None:
    rows = mapping_rows(*filler(10), [None, "email", "VARCHR", "s", "email"])
    assert error_for(tmp_path, *rows) == (
        "mappings/crm.xlsx, sheet Customers, row 14, column target_type: "
        "'VARCHR' is not a known type (hint: did you mean VARCHAR?)"
    )


PREFIX = "mappings/crm.xlsx, sheet Customers"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            [None, "c9", "VARCHAR", "s", "c9"],
            f"{PREFIX}, row 5, column target_column: "
            "column 'c9' appears twice in target 'dim_x', also on row 4",
        ),
        (
            [None, None, "VARCHAR", "s", "c9"],
            f"{PREFIX}, row 5, column target_column: target_column is empty",
        ),
        (
            [None, "c9", None, "s", "c9"],
            f"{PREFIX}, row 5, column target_type: target_type is empty",
        ),
        (
            [None, "n", "INT", "s", "n", "concat(a, b"],
            f"{PREFIX}, row 5, column rule: concat(...) is missing",
        ),
        (
            [None, "n", "INT", "s", "n", "sql: a +"],
            f"{PREFIX}, row 5, column rule: sql expression 'a +' is not",
        ),
        (
            [None, "n", "INT", "s", "n", None, "LEFT JION t ON a = b"],
            f"{PREFIX}, row 5, column join: join 'LEFT",
        ),
        (
            [None, "n", "INT", "s", "n", None, None, "a >"],
            f"{PREFIX}, row 5, column filter: filter 'a >'",
        ),
        (
            [None, "n", "INT", "s", "n", None, None, "x = 1"],
            f"{PREFIX}, row 5, column filter: filter 'x = 1' differs",
        ),
        (
            [None, "n", "INT", "s", "n", None, None, None, "maybe"],
            f"{PREFIX}, row 5, column key: 'maybe' is not",
        ),
        (
            [None, "n", "INT", "s", "n", None, None, None, None, "increment"],
            f"{PREFIX}, row 5, column load: "
            "'increment' is not a load strategy (hint: did you mean incremental?",
        ),
    ],
)
def test_row_errors_name_row_and_column(tmp_path: Path, row: Cells, expected: str) -> None:
    first = ["dim_x", "c9", "INTEGER", "s", "c9", None, None, "y = 2", "Y"]
    message = error_for(tmp_path, *mapping_rows(first, row))
    assert message.startswith(expected), message


def test_join_error_hint_has_an_example(tmp_path: Path) -> None:
    message = error_for(tmp_path, *mapping_rows(["t", "c", "INT", "s", "c", None, "orders"]))
    assert message.endswith("(hint: add ON <condition>, or write CROSS JOIN)")


def test_sql_error_hint_carries_sqlglot_reason(tmp_path: Path) -> None:
    message = error_for(
        tmp_path, *mapping_rows(["t", "c", "INT", "s", "c", "sql: CASE WHEN x THEN 1"])
    )
    assert "(hint: Expected END after CASE at column" in message


def test_keyed_load_without_key(tmp_path: Path) -> None:
    rows = mapping_rows(
        *filler(2),
        [],
        ["fct_y", "a", "INT", "s", "a", None, None, None, None, "scd2"],
        [None, "b", "INT", "s", "b"],
    )
    assert error_for(tmp_path, *rows).startswith(
        f"{PREFIX}, row 7, column key: target 'fct_y' has load scd2 but no key column (hint: mark"
    )


def test_first_row_without_target_table(tmp_path: Path) -> None:
    message = error_for(tmp_path, *mapping_rows([None, "a", "INT", "s", "a"]))
    assert message.startswith(f"{PREFIX}, row 4, column target_table: target_table is empty")


def test_missing_required_header_lists_headers_found(tmp_path: Path) -> None:
    rows = [
        ["Title"],
        ["Target Table", "Target Column", "Source Table", "Rule"],
        ["t", "c", "s", ""],
    ]
    assert error_for(tmp_path, *rows) == (
        f"{PREFIX}, row 2: missing required header target_type "
        "(headers found: Target Table, Target Column, Source Table, Rule) "
        "(hint: add a column named 'Target Type' or 'Data Type' or 'Target Data Type' or 'Type')"
    )


def test_no_sheet_with_a_header(tmp_path: Path) -> None:
    rows = [["Target Tabel", "Target Column", "Type"], ["t", "c", "INT"]]
    message = error_for(tmp_path, *rows)
    assert message.startswith(
        f"{PREFIX}: no header row naming target_table and target_column in the first rows; "
        "row 1 has: Target Tabel, Target Column, Type"
    )
    assert message.endswith("sheets searched: Cover, Customers)")


def test_unknown_sheet_lists_sheets(tmp_path: Path) -> None:
    assert error_for(tmp_path, *GOOD, sheet="Customer") == (
        "mappings/crm.xlsx: sheet 'Customer' not found (sheets: Cover, Customers) "
        "(hint: did you mean Customers?)"
    )


def test_blank_rows_and_a_repeated_header_are_skipped(tmp_path: Path) -> None:
    rows = mapping_rows(["a", "x", "INT", "s", "x"], [], [], HEADER, ["b", "y", "INT", "s", "y"])
    path = write_book(tmp_path / "m" / "a.xlsx", {"Mapping": rows})
    spec = read(path)
    assert spec.names == ["a", "b"]
    assert spec.targets[1].origin is not None and spec.targets[1].origin.row == 8
