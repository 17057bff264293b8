"""YAML mapping documents: `targets:` with the same fields as a sheet's columns.

    targets:
      - name: dim_customer
        load: table
        joins: ["LEFT JOIN countries ON countries.code = customers.country_code"]
        columns:
          - {name: customer_id, type: INTEGER, key: true, source_column: id}

Each target becomes a table row plus one row per column and goes through `assemble`, so
yaml and sheets share every check. Errors point at the yaml path and its line:
`mappings/crm.yaml, row 12, column targets[0].columns[2].type: ...`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from mapforge.errors import MappingError
from mapforge.mapping.assemble import build_target
from mapforge.mapping.cells import to_text
from mapforge.mapping.rows import Row, Value
from mapforge.mapping.spec import Origin, Target

# libyaml's parser when PyYAML was built with it (about 10x faster), the same safe constructor
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# yaml key → row field; None for keys handled here.
TARGET_KEYS: dict[str, str | None] = {
    "name": "target_table",
    "load": "load",
    "description": "description",
    "joins": "join",
    "filter": "filter",
    "tests": "tests",
    "depends_on": "depends_on",
    "tags": "tags",
    "config": "config",
    "columns": None,
}
COLUMN_KEYS: dict[str, str | None] = {
    "name": "target_column",
    "type": "target_type",
    "key": "key",
    "nullable": "nullable",
    "source_table": "source_table",
    "source_column": "source_column",
    "rule": "rule",
    "tests": "tests",
    "description": "description",
}
LIST_FIELDS = frozenset({"join", "tests", "depends_on", "tags"})


def read_yaml(path: Path, shown: str) -> list[Target]:
    """Targets of one yaml file, in file order."""
    document = _Document(shown, path.read_text(encoding="utf-8-sig"))
    data = document.data
    targets = data.get("targets") if isinstance(data, dict) else None
    if not isinstance(targets, list):
        hint = "start the file with `targets:` and one entry per target table"
        raise document.error("targets", "expected a `targets:` list", hint=hint)
    return [
        build_target(document.rows(target, f"targets[{i}]")) for i, target in enumerate(targets)
    ]


class _Document:
    """The parsed yaml plus the line of every path, for error messages."""

    def __init__(self, shown: str, text: str) -> None:
        self.file = shown
        try:
            node, self.data = _parse(text)
            self.lines = _lines(node, "")
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            problem = getattr(error, "problem", None) or str(error)
            raise MappingError(
                f"not valid YAML: {problem}", file=shown, row=mark.line + 1 if mark else None
            ) from None

    def error(self, path: str, message: str, hint: str | None = None) -> MappingError:
        line = self.lines.get(path)
        return MappingError(message, file=self.file, row=line, column=path, hint=hint)

    def rows(self, target: Any, path: str) -> list[Row]:
        """The table row of one target, then one row per column."""
        entry = self._entry(target, path, TARGET_KEYS)
        name = to_text(entry.get("name"))
        columns = entry.get("columns") or []
        if not name:
            raise self.error(f"{path}.name", "a target needs a name")
        if not isinstance(columns, list) or not columns:
            raise self.error(f"{path}.columns", f"target {name!r} needs a list of columns")
        rows = [self._row(entry, path, TARGET_KEYS, name)]
        for index, column in enumerate(columns):
            item = f"{path}.columns[{index}]"
            rows.append(self._row(self._entry(column, item, COLUMN_KEYS), item, COLUMN_KEYS, name))
        return rows

    def _entry(self, value: Any, path: str, keys: Mapping[str, str | None]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(path, f"expected a mapping with keys {', '.join(keys)}")
        for key in value:
            if key not in keys:
                close = difflib.get_close_matches(str(key), list(keys), n=1)
                hint = f"did you mean {close[0]}?" if close else f"known keys: {', '.join(keys)}"
                raise self.error(f"{path}.{key}", f"unknown key {key!r}", hint=hint)
        if keys is COLUMN_KEYS and "name" not in value:
            raise self.error(path, "a column needs a name")
        return value

    def _row(
        self, entry: dict[str, Any], path: str, keys: Mapping[str, str | None], target: str
    ) -> Row:
        values: dict[str, Value] = {"target_table": target}
        columns, lines = {}, {}
        for key, name in keys.items():
            if name is None or key not in entry:
                continue
            values[name] = self._value(entry[key], f"{path}.{key}", name in LIST_FIELDS)
            columns[name] = f"{path}.{key}"
            lines[name] = self.lines.get(f"{path}.{key}", self.lines.get(path))
        line = self.lines.get(path)
        return Row(
            values=values,
            origin=Origin(file=self.file, row=line),
            columns=columns,
            lines={k: v for k, v in lines.items() if v is not None},
            label=f"{path} (line {line})",
        )

    def _value(self, value: Any, path: str, many: bool) -> Value:
        if path.endswith(".config") and isinstance(value, dict):
            # `config: {watermark: x}` reads like the sheet cell `watermark=x`
            return "; ".join(f"{k}={_option(v)}" for k, v in value.items())
        if many and isinstance(value, list):
            return [self._text(item, f"{path}[{i}]") for i, item in enumerate(value)]
        if many and isinstance(value, dict):
            raise self.error(path, "expected text or a list of texts")
        return self._text(value, path)

    def _text(self, value: Any, path: str) -> str:
        if isinstance(value, dict | list):
            raise self.error(path, "expected text, a number or true/false")
        return to_text(value)


def _option(value: Any) -> str:
    return ", ".join(to_text(v) for v in value) if isinstance(value, list) else to_text(value)


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for lines) and the data built from it: one parse, as yaml.safe_load."""
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def _lines(node: yaml.Node | None, path: str) -> dict[str, int]:
    """yaml path (`targets[0].columns[2].type`) → 1-based line, from the composed node tree."""
    if node is None:
        return {}
    lines = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{path}.{key.value}" if path else str(key.value)
            lines |= _lines(value, child)
            lines[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines |= _lines(item, f"{path}[{index}]")
    return lines
