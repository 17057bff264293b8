"""Load options in mapping documents: `watermark=x; strategy=...` cells and yaml `config:`."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapforge.errors import MappingError
from mapforge.mapping.cells import CellError
from mapforge.mapping.load import load_spec
from mapforge.mapping.load_options import check_load_options, parse_load_options
from mapforge.mapping.spec import Load
from mapforge.pipeline.materialize import Options


def test_cell_text_parses_to_options() -> None:
    text = "watermark = updated_at; Strategy=Delete + Insert\ntrack=a, b"
    assert parse_load_options(text) == {
        "watermark": "updated_at",
        "strategy": "delete+insert",
        "track": "a, b",
    }
    options = Options.from_config(parse_load_options("track=a, b; hard-deletes=close"))
    assert options.track == ("a", "b") and options.hard_deletes == "close"
    assert Options.from_config(parse_load_options("partition-by=region")).partition_by == "region"
    assert Options.from_config({}).partition_by is None


@pytest.mark.parametrize(
    ("config", "load", "message"),
    [
        ({"watermrk": "x"}, Load.INCREMENTAL, "unknown load option 'watermrk'"),
        ({"track": "a"}, Load.INCREMENTAL, "'track' applies to scd2 loads, not incremental"),
        (
            {"strategy": "upsert"},
            Load.INCREMENTAL,
            "strategy='upsert' is not one of merge, delete\\+insert",
        ),
        ({"watermark": "nope"}, Load.MERGE, "watermark: nope is not a column"),
        ({"partition_by": "nope"}, Load.INCREMENTAL, "partition_by: nope is not a column"),
        ({"partition_by": "a, updated_at"}, Load.MERGE, "partition_by of .* takes one column"),
        ({"partition_by": "a"}, Load.SCD2, "'partition_by' applies to incremental or merge"),
    ],
)
def test_bad_options_are_refused(config: dict[str, str], load: Load, message: str) -> None:
    with pytest.raises(CellError, match=message):
        check_load_options(config, load, ["a", "updated_at"])


def test_pair_without_value_is_refused() -> None:
    with pytest.raises(CellError, match="'watermark' is not a key=value option"):
        parse_load_options("watermark")


def test_csv_load_options_column(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(
        "Target Table,Target Column,Target Type,Source Table,Source Column,Key,Load,Load Options\n"
        "t,id,INTEGER,s,id,Y,incremental,watermark=ts; strategy=delete+insert\n"
        "t,ts,TIMESTAMP,s,ts,,,\n"
    )
    target = load_spec([path], base_dir=tmp_path).targets[0]
    assert target.config == {"watermark": "ts", "strategy": "delete+insert"}


def test_yaml_config_and_its_errors(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    body = (
        "targets:\n  - name: t\n    load: scd2\n    config: {{track: [a, b], {option}}}\n"
        "    columns:\n      - {{name: id, type: INTEGER, key: true, source_column: id}}\n"
        "      - {{name: a, type: TEXT, source_column: a}}\n      - {{name: b, type: TEXT, source_column: b}}\n"
    )
    path.write_text(body.format(option="hard_deletes: close"))
    target = load_spec([path], base_dir=tmp_path).targets[0]
    assert target.config == {"track": "a, b", "hard_deletes": "close"}
    path.write_text(body.format(option="watermark: a"))
    with pytest.raises(MappingError, match="'watermark' applies to incremental or merge loads"):
        load_spec([path], base_dir=tmp_path)


def test_options_do_not_change_the_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    text = "targets:\n  - name: t\n    load: incremental\n{config}    columns:\n      - {{name: id, type: INTEGER, key: true, source_column: id}}\n"
    path.write_text(text.format(config=""))
    plain = load_spec([path], base_dir=tmp_path).targets[0].fingerprint()
    path.write_text(text.format(config="    config: {strategy: delete+insert}\n"))
    assert load_spec([path], base_dir=tmp_path).targets[0].fingerprint() == plain


def test_partition_by_of_an_unknown_column_names_the_target(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(
        "Target Table,Target Column,Target Type,Source Table,Source Column,Key,Load,Load Options\n"
        "orders,id,INTEGER,s,id,Y,incremental,partition_by=regoin\n"
        "orders,region,TEXT,s,region,,,\n"
    )
    with pytest.raises(
        MappingError, match="partition_by: regoin is not a column of target 'orders'"
    ):
        load_spec([path], base_dir=tmp_path)
    path.write_text(path.read_text().replace("regoin", "region"))
    assert load_spec([path], base_dir=tmp_path).targets[0].config == {"partition_by": "region"}
