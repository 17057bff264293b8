"""Load options: how an incremental or scd2 target is materialized, as `key=value` pairs.

A sheet writes them in one cell ("Load Options" / "config"), pairs separated by `;` or new
lines; yaml writes a mapping:

    watermark=updated_at; strategy=delete+insert        # sheet cell
    config: {watermark: updated_at, strategy: delete+insert}   # yaml

| key          | loads              | value                                                   |
|--------------|--------------------|---------------------------------------------------------|
| watermark    | incremental, merge | a target column; only rows with watermark >= the        |
|              |                    | target's max(watermark) are read (default: compare all) |
| strategy     | incremental, merge | `merge` (default) or `delete+insert`                    |
| partition_by | incremental, merge | one target column: on Spark the table is partitioned by |
|              |                    | it and an apply rewrites only the partitions it touches |
| track        | scd2               | columns whose change opens a new version, comma-        |
|              |                    | separated (default: every non-key column)               |
| hard_deletes | scd2               | `ignore` (default) or `close`: a key gone from the      |
|              |                    | source gets its current version closed                  |
| valid_from   | scd2               | a target column giving a new version's valid_from       |
|              |                    | (default: the run's as-of time, `--as-of`)              |

Options never change the locked SELECT, only the statements around it, so they are not
part of a target's fingerprint: editing one does not make mapforge.lock stale.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from mapforge.mapping.cells import CellError
from mapforge.mapping.spec import Load

INCREMENTAL = frozenset({Load.INCREMENTAL, Load.MERGE})
OPTIONS: dict[str, frozenset[Load]] = {
    "watermark": INCREMENTAL,
    "strategy": INCREMENTAL,
    "partition_by": INCREMENTAL,
    "track": frozenset({Load.SCD2}),
    "hard_deletes": frozenset({Load.SCD2}),
    "valid_from": frozenset({Load.SCD2}),
}
CHOICES = {"strategy": ("merge", "delete+insert"), "hard_deletes": ("ignore", "close")}
COLUMN_OPTIONS = ("watermark", "partition_by", "track", "valid_from")


def parse_load_options(text: str) -> dict[str, str]:
    """`watermark=updated_at; strategy=merge` → {"watermark": "updated_at", "strategy": "merge"}."""
    options: dict[str, str] = {}
    for pair in text.replace("\n", ";").split(";"):
        if not pair.strip():
            continue
        key, sep, value = pair.partition("=")
        key = key.strip().lower().replace("-", "_")
        if not sep or not value.strip():
            raise CellError(f"{pair.strip()!r} is not a key=value option", hint=_KNOWN)
        options[key] = _normalize(key, value.strip())
    return options


def check_load_options(
    options: dict[str, str], load: Load, columns: Iterable[str], target: str | None = None
) -> None:
    """Raise CellError for an unknown key, a key of another load, a bad choice or column."""
    names = {c.lower() for c in columns}
    of = f"target {target!r}" if target else "this target"
    for key, value in options.items():
        if key not in OPTIONS:
            close = difflib.get_close_matches(key, list(OPTIONS), n=1)
            raise CellError(
                f"unknown load option {key!r}",
                hint=f"did you mean {close[0]}?" if close else _KNOWN,
            )
        if load not in OPTIONS[key]:
            loads = " or ".join(sorted(OPTIONS[key]))
            raise CellError(f"load option {key!r} applies to {loads} loads, not {load.value}")
        if key in CHOICES and value not in CHOICES[key]:
            raise CellError(f"{key}={value!r} is not one of {', '.join(CHOICES[key])}")
        if key in COLUMN_OPTIONS:
            unknown = [c for c in split_columns(value) if c.lower() not in names]
            if unknown:
                raise CellError(f"load option {key}: {', '.join(unknown)} is not a column of {of}")
            if key == "partition_by" and len(split_columns(value)) > 1:
                raise CellError(f"load option {key} of {of} takes one column, not {value!r}")


def split_columns(value: str) -> list[str]:
    """`a, b c` → ["a", "b", "c"]: a column list in one option value."""
    return value.replace(",", " ").split()


def _normalize(key: str, value: str) -> str:
    return value.lower().replace(" ", "") if key in CHOICES else value


_KNOWN = f"write key=value pairs separated by ';'; keys: {', '.join(OPTIONS)}"
