import pytest

from mapforge.errors import PipelineError
from mapforge.lock import Hashes, Lock, LockEntry
from mapforge.pipeline.dag import DAG
from mapforge.pipeline.select import select


def _lock(edges: dict[str, list[str]]) -> Lock:
    hashes = Hashes(mapping="m", catalog="c")
    return Lock(
        targets={
            n: LockEntry(origin="compiled", hashes=hashes, depends_on=d, sql="SELECT 1")
            for n, d in edges.items()
        }
    )


GRAPH = {"fct": ["dim_a", "dim_b"], "dim_a": [], "dim_b": ["stg"], "stg": [], "rpt": ["fct"]}


def test_order_respects_dependencies_and_is_stable() -> None:
    order = DAG.from_lock(_lock(GRAPH)).order()
    assert order == ["dim_a", "stg", "dim_b", "fct", "rpt"]
    for name, deps in GRAPH.items():
        assert all(order.index(d) < order.index(name) for d in deps)


def test_cycle_is_named() -> None:
    dag = DAG.from_lock(_lock({"a": ["b"], "b": ["c"], "c": ["a"]}))
    with pytest.raises(PipelineError, match="cycle: .*a.*b.*c|cycle: .*c.*b.*a"):
        dag.order()


@pytest.mark.parametrize(
    ("selectors", "expected"),
    [
        (["fct"], {"fct"}),
        (["+fct"], {"fct", "dim_a", "dim_b", "stg"}),
        (["dim_b+"], {"dim_b", "fct", "rpt"}),
        (["+dim_b+"], {"stg", "dim_b", "fct", "rpt"}),
        (["dim_a stg"], {"dim_a", "stg"}),
        (None, set(GRAPH)),
    ],
)
def test_select(selectors: list[str] | None, expected: set[str]) -> None:
    assert select(DAG.from_lock(_lock(GRAPH)), selectors) == expected


def test_exclude() -> None:
    assert select(DAG.from_lock(_lock(GRAPH)), ["+fct"], ["stg"]) == {"fct", "dim_a", "dim_b"}


def test_unknown_selector_suggests_a_name() -> None:
    with pytest.raises(PipelineError, match="no target named 'fctt'") as info:
        select(DAG.from_lock(_lock(GRAPH)), ["fctt"])
    assert info.value.hint == "did you mean fct?"
