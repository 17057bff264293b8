"""The join cell: kinds, aliases, several joins, and joins that cannot be read."""

from __future__ import annotations

import pytest

from mapforge.mapping.cells import CellError
from mapforge.mapping.joins import parse_join, parse_joins
from mapforge.mapping.spec import Join, JoinKind


@pytest.mark.parametrize(
    ("text", "join"),
    [
        (
            "LEFT JOIN orders o ON o.customer_id = customers.customer_id",
            Join(
                kind=JoinKind.LEFT,
                table="orders",
                alias="o",
                on="o.customer_id = customers.customer_id",
                text="LEFT JOIN orders o ON o.customer_id = customers.customer_id",
            ),
        ),
        (
            "orders ON orders.customer_id = customers.customer_id",
            Join(
                kind=JoinKind.INNER,
                table="orders",
                on="orders.customer_id = customers.customer_id",
                text="orders ON orders.customer_id = customers.customer_id",
            ),
        ),
        (
            "cross join calendar",
            Join(kind=JoinKind.CROSS, table="calendar", text="cross join calendar"),
        ),
        (
            "full outer join ref.countries AS c on c.code = x.code",
            Join(
                kind=JoinKind.FULL,
                table="ref.countries",
                alias="c",
                on="c.code = x.code",
                text="full outer join ref.countries AS c on c.code = x.code",
            ),
        ),
        (
            "RIGHT JOIN  t\n  ON t.id = s.id",
            Join(
                kind=JoinKind.RIGHT, table="t", on="t.id = s.id", text="RIGHT JOIN t ON t.id = s.id"
            ),
        ),
        (
            "INNER JOIN t ON lower(t.a) = 'x'",
            Join(
                kind=JoinKind.INNER,
                table="t",
                on="lower(t.a) = 'x'",
                text="INNER JOIN t ON lower(t.a) = 'x'",
            ),
        ),
    ],
)
def test_parse_join(text: str, join: Join) -> None:
    assert parse_join(text) == join


def test_several_joins_split_on_semicolons_and_lines() -> None:
    text = (
        "LEFT JOIN a ON a.id = s.a_id; b ON b.id = s.b_id\n"
        "LEFT JOIN c\n  ON c.id = s.c_id\n  AND c.ok"
    )
    joins = parse_joins(text)
    assert [(j.kind, j.table, j.on) for j in joins] == [
        (JoinKind.LEFT, "a", "a.id = s.a_id"),
        (JoinKind.INNER, "b", "b.id = s.b_id"),
        (JoinKind.LEFT, "c", "c.id = s.c_id AND c.ok"),
    ]
    assert parse_joins("  ") == []


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("LEFT JION orders ON a = b", "cannot be read", "LEFT JOIN orders o ON"),
        ("orders", "has no ON condition", "CROSS JOIN"),
        ("JOIN orders USING (id)", "uses USING or NATURAL", "ON"),
        ("JOIN (select 1) x ON true", "joins a subquery", "LEFT JOIN orders o ON"),
        ("LEFT JOIN t ON a = b WHERE x = 1", "is not a single join", "separate joins"),
        ("LEFT JOIN t ON a =", "cannot be read", "Required keyword"),
    ],
)
def test_bad_join(text: str, message: str, hint: str) -> None:
    with pytest.raises(CellError) as caught:
        parse_join(text)
    assert message in caught.value.message
    assert hint in (caught.value.hint or "")
