"""The retail example end to end against a real local model server: plan, run, re-plan."""

from __future__ import annotations

from pathlib import Path

import duckdb

from mapforge import lock as lockfile
from mapforge.testing import FakeLLMServer
from tests.example_project import ByTarget, fenced, mapforge, reference_sql, retail_copy

# fct_order_line without the mapping's filter: static checks may pass it, the sample run must not
WRONG_ORDER_LINE = reference_sql("fct_order_line").replace("WHERE orders.status <> 'cancelled'", "")


def test_plan_repairs_then_run_builds_the_warehouse_and_replanning_is_free(tmp_path: Path) -> None:
    project = retail_copy(tmp_path)
    responder = ByTarget({"fct_order_line": [fenced(WRONG_ORDER_LINE)]})
    with FakeLLMServer(default=responder) as server:
        code, out = mapforge("plan", "-p", str(project), base_url=server.base_url)
        assert code == 0, out
        assert responder.calls == {"dim_customer": 1, "fct_customer_ltv": 1, "fct_order_line": 2}
        lock = lockfile.read(project)
        entry = lock.targets["fct_order_line"]
        assert entry.origin == "llm:fake-model" and entry.status == "ok"
        assert [a.round for a in entry.attempts] == [0, 1]
        assert any(f["severity"] == "error" for f in entry.attempts[0].findings)
        assert "cancelled" in (entry.sql or "")
        assert {lock.targets[n].origin for n in ("dim_customer", "fct_customer_ltv")} == {
            "llm:fake-model"
        }

        code, out = mapforge("run", "-p", str(project), base_url=server.base_url)
        assert code == 0, out
        _check_warehouse(project / "warehouse.duckdb")

        before, calls = (project / "mapforge.lock").read_bytes(), len(server.requests)
        code, out = mapforge("plan", "-p", str(project), base_url=server.base_url)
        assert code == 0, out
        assert (project / "mapforge.lock").read_bytes() == before
        assert len(server.requests) == calls


def _check_warehouse(path: Path) -> None:
    con = duckdb.connect(str(path), read_only=True)
    try:
        one = lambda sql: con.execute(sql).fetchone()  # noqa: E731
        assert one("select count(*) from dim_customer") == one(
            "select count(*) from customers where not is_test"
        )
        assert one(
            "select count(*) from dim_customer d join customers c using (customer_id) where c.is_test"
        ) == (0,)
        assert one("select count(*) from fct_order_line where status = 'cancelled'") == (0,)
        assert one("select count(*) from fct_order_line") == one(
            "select count(*) from order_items join orders using (order_id) where orders.status <> 'cancelled'"
        )
        ltv = one("select sum(lifetime_value) from fct_customer_ltv")
        lines = one("select sum(net_amount) from fct_order_line where status <> 'returned'")
        assert ltv == lines and ltv[0] > 0
        assert one("select sum(revenue) from rpt_revenue_by_country")[0] > 0
        assert one("select count(*) from dim_country") == (20,)
    finally:
        con.close()
