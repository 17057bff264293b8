"""load_spec: dispatch by suffix, merging documents, duplicate targets, shown paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from mapforge.errors import MappingError
from mapforge.mapping.load import load_spec

CSV = "target_table,target_column,target_type,source_column\n{name},id,INTEGER,id\n"
YAML = (
    "targets:\n  - name: {name}\n    columns:\n"
    "      - {{name: id, type: INTEGER, source_column: id}}\n"
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def write_xlsx(path: Path, name: str) -> Path:
    book = Workbook()
    book.active.title = "Mapping"
    book.active.append(["Target Table", "Target Column", "Target Type", "Source Column"])
    book.active.append([name, "id", "INTEGER", "id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def test_documents_merge_into_one_spec(tmp_path: Path) -> None:
    paths = [
        write_xlsx(tmp_path / "m" / "a.xlsx", "dim_a"),
        write(tmp_path / "m" / "b.csv", CSV.format(name="dim_b")),
        write(tmp_path / "m" / "c.yml", YAML.format(name="dim_c")),
    ]
    spec = load_spec(paths, base_dir=tmp_path)
    assert spec.names == ["dim_a", "dim_b", "dim_c"]
    assert [str(t.origin) for t in spec.targets] == [
        "m/a.xlsx, sheet Mapping, row 2",
        "m/b.csv, row 2",
        "m/c.yml, row 2",
    ]


def test_a_directory_means_its_documents(tmp_path: Path) -> None:
    write(tmp_path / "m" / "b.csv", CSV.format(name="dim_b"))
    write(tmp_path / "m" / "a.yaml", YAML.format(name="dim_a"))
    write(tmp_path / "m" / "notes.txt", "not a mapping")
    write(tmp_path / "m" / "~$a.xlsx", "Excel lock file")
    assert load_spec([tmp_path / "m"]).names == ["dim_a", "dim_b"]


def test_target_in_two_documents_names_both(tmp_path: Path) -> None:
    first = write_xlsx(tmp_path / "m" / "a.xlsx", "Dim_A")
    second = write(tmp_path / "m" / "b.csv", CSV.format(name="dim_a"))
    with pytest.raises(MappingError) as caught:
        load_spec([first, second], base_dir=tmp_path)
    assert str(caught.value) == (
        "m/b.csv, row 2: target 'dim_a' is also defined in m/a.xlsx, sheet Mapping, row 2 "
        "(hint: define each target in one document only)"
    )


def test_paths_outside_base_dir_stay_as_given(tmp_path: Path) -> None:
    path = write(tmp_path / "m" / "b.csv", CSV.format(name="t").replace("INTEGER", "INTEGR"))
    with pytest.raises(MappingError, match=r"^.*/m/b\.csv, row 2, column target_type"):
        load_spec([path], base_dir=tmp_path / "elsewhere")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "a.xls",
            "",
            "m/a.xls: unknown mapping file type '.xls' "
            "(hint: use one of .xlsx, .xlsm, .csv, .yaml, "
            ".yml; save .xls workbooks as .xlsx)",
        ),
        ("a.xlsx", "not a zip", "m/a.xlsx: cannot read workbook"),
        ("a.csv", "target_table,target_column,target_type\n\n", "no targets found in m/a.csv"),
    ],
)
def test_unreadable_documents(tmp_path: Path, name: str, text: str, expected: str) -> None:
    path = write(tmp_path / "m" / name, text)
    with pytest.raises(MappingError) as caught:
        load_spec([path], base_dir=tmp_path)
    assert str(caught.value).startswith(expected)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="^m/gone.csv: file not found$"):
        load_spec([tmp_path / "m" / "gone.csv"], base_dir=tmp_path)
