"""CSV mapping documents: same columns and row rules as a sheet; rows are records."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapforge.errors import MappingError
from mapforge.mapping.csv_reader import guess_delimiter
from mapforge.mapping.load import load_spec
from mapforge.mapping.spec import JoinKind, Load, RuleKind

GOOD = (
    "Exported from the CRM mapping,,,,,,,,\n"
    "target_table,target_column,target_type,source_table,source_column,rule,join,key,load\n"
    'dim_customer,customer_id,INTEGER,customers,id,direct,"LEFT JOIN countries c\n'
    '  ON c.code = customers.country_code\nJOIN regions r ON r.id = c.region_id",Y,merge\n'
    ",full_name ,varchar,customers,,\"concat(first_name, ' ', last_name)\",,,\n"
    ",,,,,,,,\n"
    "fct_orders,order_id,BIGINT,orders,order_id,,,yes,\n"
)


def write(tmp_path: Path, text: str, name: str = "crm.csv", encoding: str = "utf-8-sig") -> Path:
    path = tmp_path / "mappings" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding=encoding)
    return path


def test_reads_csv_with_bom_title_row_and_multiline_cells(tmp_path: Path) -> None:
    spec = load_spec([write(tmp_path, GOOD)], base_dir=tmp_path)
    customer, orders = spec.targets
    assert [j.kind for j in customer.joins] == [JoinKind.LEFT, JoinKind.INNER]
    assert customer.joins[0].on == "c.code = customers.country_code"
    assert (customer.load, customer.key) == (Load.MERGE, ["customer_id"])
    assert customer.columns[1].name == "full_name"
    assert customer.columns[1].rule.kind is RuleKind.CONCAT
    # Rows count records, as a spreadsheet shows them, not physical lines.
    assert [c.origin.row for c in customer.columns if c.origin] == [3, 4]
    assert str(orders.origin) == "mappings/crm.csv, row 6"


def test_semicolon_delimited_export(tmp_path: Path) -> None:
    text = (
        "Target Table;Target Column;Type;Source Column;Tests\n"
        "t;a;INT;a;not_null, unique\nt;b;DATE;b;\n"
    )
    spec = load_spec([write(tmp_path, text, encoding="utf-8")], base_dir=tmp_path)
    assert [(c.name, c.type) for c in spec.targets[0].columns] == [("a", "INT"), ("b", "DATE")]
    assert spec.targets[0].columns[0].tests == ["not_null", "unique"]
    assert guess_delimiter("a,b;c;d") == ";"
    assert guess_delimiter("a,b") == ","


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(MappingError) as caught:
        load_spec([write(tmp_path, text)], base_dir=tmp_path)
    return str(caught.value)


def test_error_rows_count_records(tmp_path: Path) -> None:
    text = GOOD + 'fct_orders,amount,"DECIML(12,2)",orders,amount,,,,\n'
    assert error(tmp_path, text) == (
        "mappings/crm.csv, row 7, column target_type: 'DECIML(12,2)' is not a known type "
        "(hint: did you mean DECIMAL(12,2)?)"
    )


def test_missing_required_header(tmp_path: Path) -> None:
    text = "target_table,target_column,source_column\nt,a,x\n"
    assert error(tmp_path, text).startswith(
        "mappings/crm.csv, row 1: missing required header target_type "
        "(headers found: target_table, target_column, source_column)"
    )


def test_keyed_load_without_key(tmp_path: Path) -> None:
    text = (
        "target_table,target_column,target_type,source_column,load\n"
        "t,a,INT,a,incremental\nt,b,INT,b,\n"
    )
    assert error(tmp_path, text).startswith(
        "mappings/crm.csv, row 2, column key: target 't' has load incremental but no key column"
    )


def test_not_utf8(tmp_path: Path) -> None:
    text = "target_table,target_column,target_type\nt,caf\u00e9,INT\n"
    path = write(tmp_path, text, encoding="latin-1")
    with pytest.raises(
        MappingError, match=r"^mappings/crm.csv: not UTF-8 text .*save the file as CSV UTF-8"
    ):
        load_spec([path], base_dir=tmp_path)
