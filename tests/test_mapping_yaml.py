"""YAML mapping documents: the same fields as a sheet, errors at a yaml path and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapforge.errors import MappingError
from mapforge.mapping.load import load_spec
from mapforge.mapping.spec import JoinKind, Load, RuleKind

GOOD = """\
targets:
  - name: dim_customer
    load: merge
    description: One row per customer.
    joins: ["LEFT JOIN countries ON countries.code = customers.country_code"]
    filter: "customers.is_test = false"
    tests: ["row_count(> 0)"]
    depends_on: [stg_customers]
    tags: [core, pii]
    columns:
      - {name: customer_id, type: integer, key: true, source_table: customers, source_column: id,
         rule: direct, tests: [not_null], description: Account id}
      - name: country
        type: VARCHAR(60)
        source_table: countries
        source_column: name
      - name: tier
        type: VARCHAR
        nullable: false
        rule: "coalesce(tier, 'none')"
        tests: "not_null; accepted_values('none', 'gold')"
  - name: fct_orders
    joins: "CROSS JOIN calendar"
    columns:
      - {name: order_id, type: BIGINT, source_column: order_id, key: "N"}
      - {name: day, type: DATE, source_column: day, key: ""}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mappings" / "crm.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def test_reads_yaml(tmp_path: Path) -> None:
    customer, orders = load_spec([write(tmp_path, GOOD)], base_dir=tmp_path).targets
    assert (customer.load, customer.description, customer.filter) == (
        Load.MERGE,
        "One row per customer.",
        "customers.is_test = false",
    )
    assert [(j.kind, j.table) for j in customer.joins] == [(JoinKind.LEFT, "countries")]
    assert (customer.tests, customer.depends_on, customer.tags) == (
        ["row_count(> 0)"],
        ["stg_customers"],
        ["core", "pii"],
    )
    key, country, tier = customer.columns
    assert (key.type, key.key, key.nullable, key.tests, key.description) == (
        "INTEGER",
        True,
        False,
        ["not_null"],
        "Account id",
    )
    assert (country.type, country.nullable, country.rule.kind) == (
        "VARCHAR(60)",
        True,
        RuleKind.DIRECT,
    )
    assert (tier.nullable, tier.rule.kind) == (False, RuleKind.COALESCE)
    assert tier.tests == ["not_null", "accepted_values('none', 'gold')"]
    assert [str(c.origin) for c in customer.columns] == [
        "mappings/crm.yaml, row 11",
        "mappings/crm.yaml, row 13",
        "mappings/crm.yaml, row 17",
    ]
    assert str(customer.origin) == "mappings/crm.yaml, row 2"
    assert (orders.joins[0].kind, orders.key) == (JoinKind.CROSS, [])


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(MappingError) as caught:
        load_spec([write(tmp_path, text)], base_dir=tmp_path)
    return str(caught.value)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "type: VARCHAR(60)",
            "type: VARCHR(60)",
            "mappings/crm.yaml, row 14, column targets[0].columns[1].type: "
            "'VARCHR(60)' is not a known type "
            "(hint: did you mean VARCHAR(60)?)",
        ),
        (
            "source_column: name",
            "sorce_column: name",
            "mappings/crm.yaml, row 16, column targets[0].columns[1].sorce_column: "
            "unknown key 'sorce_column' "
            "(hint: did you mean source_column?)",
        ),
        (
            "load: merge",
            "load: upsert",
            "mappings/crm.yaml, row 3, column targets[0].load: 'upsert' is not",
        ),
        (
            "rule: \"coalesce(tier, 'none')\"",
            "rule: \"coalesce(tier, 'none'\"",
            "mappings/crm.yaml, row 20, column targets[0].columns[2].rule: "
            "coalesce(...) is missing",
        ),
        (
            "CROSS JOIN calendar",
            "calendar",
            "mappings/crm.yaml, row 23, column targets[1].joins: join 'calendar'",
        ),
        (
            'joins: "CROSS JOIN calendar"',
            "load: SCD2",
            "mappings/crm.yaml, row 25, column "
            "targets[1].columns[0].key: target 'fct_orders' has load scd2 but no key column",
        ),
        (
            "      - name: tier",
            "      - name: country",
            "mappings/crm.yaml, row 17, column targets[0].columns[2].name: "
            "column 'country' appears twice in "
            "target 'dim_customer', also on targets[0].columns[1] (line 13)",
        ),
        (
            "tags: [core, pii]",
            "tags: {core: 1}",
            "mappings/crm.yaml, row 9, column targets[0].tags: expected text",
        ),
        (
            "  - name: fct_orders",
            "  - name: dw.fct_orders",
            "mappings/crm.yaml, row 22, column targets[1].name: target table 'dw.fct_orders'"
            " names a schema; targets are created in the engine's own (hint: write"
            " 'fct_orders', and set the schema as `schema:` under `engine:`",
        ),
    ],
)
def test_errors_point_at_path_and_line(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in GOOD
    assert error(tmp_path, GOOD.replace(old, new, 1)).startswith(expected)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    assert error(tmp_path, "targets:\n  - name: [x\n").startswith(
        "mappings/crm.yaml, row 3: not valid YAML"
    )


def test_document_without_targets(tmp_path: Path) -> None:
    assert error(tmp_path, "tables: []\n").startswith(
        "mappings/crm.yaml, column targets: expected a `targets:` list"
    )


def test_column_without_name(tmp_path: Path) -> None:
    text = "targets:\n  - name: t\n    columns:\n      - {type: INT, source_column: a}\n"
    assert (
        error(tmp_path, text)
        == "mappings/crm.yaml, row 4, column targets[0].columns[0]: a column needs a name"
    )
