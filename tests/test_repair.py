"""The repair loop against a real local model server: fixed, never fixed, or a question back."""

from __future__ import annotations

import json
from pathlib import Path

from mapforge import lock as lockfile
from mapforge.lock import EntryStatus
from mapforge.testing import FakeLLMServer
from tests.example_project import ByTarget, fenced, mapforge, reference_sql, retail_copy

MAX_REPAIRS = 2  # LLMConfig.max_repairs default


def _swapped(sql: str) -> str:
    """dim_customer's reference SQL with two output columns in the wrong order."""
    return sql.replace(
        "customers.email AS email,\n    countries.country_name AS country_name,",
        "countries.country_name AS country_name,\n    customers.email AS email,",
    )


def test_a_wrong_answer_is_repaired_in_the_next_round(tmp_path: Path) -> None:
    project = retail_copy(tmp_path)
    wrong = _swapped(reference_sql("dim_customer"))
    assert wrong != reference_sql("dim_customer")
    responder = ByTarget({"dim_customer": [fenced(wrong)]})
    with FakeLLMServer(default=responder) as server:
        code, out = mapforge("plan", "-p", str(project), base_url=server.base_url)
    assert code == 0, out
    assert responder.calls["dim_customer"] == 2
    entry = lockfile.read(project).targets["dim_customer"]
    assert entry.status is EntryStatus.OK and entry.runnable
    assert (
        len(entry.attempts) == 2 and entry.attempts[0].findings and not entry.attempts[1].findings
    )
    assert "MF203" in {f["code"] for f in entry.attempts[0].findings}
    assert entry.sql and "email AS email,\n    countries.country_name" in entry.sql


def test_a_target_never_fixed_fails_alone_and_plan_exits_1(tmp_path: Path) -> None:
    project = retail_copy(tmp_path)
    # three different wrong answers, so no round is answered from the cache
    wrong = [
        fenced(_swapped(reference_sql("dim_customer")) + f"\n-- try {i}")
        for i in range(MAX_REPAIRS + 1)
    ]
    responder = ByTarget({"dim_customer": wrong})
    with FakeLLMServer(default=responder) as server:
        code, out = mapforge("plan", "-p", str(project), base_url=server.base_url)
    assert code == 1
    assert "dim_customer" in out and "MF203" in out
    assert responder.calls["dim_customer"] == MAX_REPAIRS + 1
    lock = lockfile.read(project)
    failed = lock.targets["dim_customer"]
    assert failed.status is EntryStatus.FAILED and not failed.runnable
    assert len(failed.attempts) == MAX_REPAIRS + 1 and failed.findings
    others = {name: e.status for name, e in lock.targets.items() if name != "dim_customer"}
    assert len(others) == 5 and set(others.values()) == {EntryStatus.OK}


def test_a_clarification_is_shown_never_run_and_never_asked_again(tmp_path: Path) -> None:
    project = retail_copy(tmp_path)
    question = "Should returned order lines count towards lifetime value?"
    responder = ByTarget({"fct_customer_ltv": [f"CLARIFY: {question}"]})
    with FakeLLMServer(default=responder) as server:
        code, out = mapforge("plan", "-p", str(project), base_url=server.base_url)
        assert code == 1 and question in " ".join(out.split())
        entry = lockfile.read(project).targets["fct_customer_ltv"]
        assert (
            entry.status is EntryStatus.NEEDS_CLARIFICATION
            and entry.question == question
            and entry.sql is None
        )
        assert responder.calls["fct_customer_ltv"] == 1

        code, out = mapforge("check", "-p", str(project), base_url=server.base_url)
        assert code == 1 and question in " ".join(out.split())

        code, out = mapforge("run", "-p", str(project), "--json", base_url=server.base_url)
        assert code == 1
        statuses = _statuses(out)
        assert statuses["fct_customer_ltv"] == "error"
        assert statuses["rpt_revenue_by_country"] != "success"  # downstream of the open question
        assert statuses["fct_order_line"] == "success" and statuses["dim_customer"] == "success"

        calls = len(server.requests)
        code, _ = mapforge("plan", "-p", str(project), base_url=server.base_url)
        assert code == 1 and len(server.requests) == calls  # reused: no blind retry


def _statuses(out: str) -> dict[str, str]:
    return {r["name"]: r["status"] for r in json.loads(out)["results"]}
