"""Target types: known names, canonical spelling, suggestions for typos."""

from __future__ import annotations

import pytest

from mapforge.mapping.cells import CellError
from mapforge.mapping.types import is_known_type, normalize_type, suggest_type


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("varchar", "VARCHAR"),
        (" Varchar( 20 ) ", "VARCHAR(20)"),
        ("decimal(10,2)", "DECIMAL(10, 2)"),
        ("numeric( 18 , 4 )", "NUMERIC(18, 4)"),
        ("int", "INT"),
        ("hugeint", "HUGEINT"),
        ("timestamp  with time   zone", "TIMESTAMP WITH TIME ZONE"),
        ("timestamptz", "TIMESTAMPTZ"),
        ("double precision", "DOUBLE PRECISION"),
        ("uuid", "UUID"),
        ("integer[]", "INTEGER[]"),
    ],
)
def test_normalize_known_types(text: str, canonical: str) -> None:
    assert normalize_type(text) == canonical
    assert is_known_type(text)


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("VARCHR", "'VARCHR' is not a known type", "did you mean VARCHAR?"),
        ("varchr(30)", "'varchr(30)' is not a known type", "did you mean VARCHAR(30)?"),
        ("INTEGR", "'INTEGR' is not a known type", "did you mean INTEGER?"),
        ("widget", "'widget' is not a known type", "such as VARCHAR"),
        ("INT(4)", "wrong number of parameters", "INT takes no parameters"),
        ("DECIMAL(4, 6)", "scale is larger than precision", "s <= p"),
        ("DECIMAL(60)", "precision must be 1 to 38", ""),
        ("VARCHAR(0)", "length must be at least 1", ""),
        ("VARCHAR(1, 2)", "wrong number of parameters", "at most 1"),
    ],
)
def test_unknown_or_malformed_types(text: str, message: str, hint: str) -> None:
    with pytest.raises(CellError) as caught:
        normalize_type(text)
    assert message in caught.value.message
    assert hint in (caught.value.hint or "")
    assert not is_known_type(text)


def test_suggest_type_returns_none_when_nothing_is_close() -> None:
    assert suggest_type("TIMESTAMPP") == "TIMESTAMP"
    assert suggest_type("zzz") is None
