"""Budgets: per run (llm.budget_usd, --budget) and per UTC day (llm.budget_usd_per_day)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from freetext_project import make
from typer.testing import CliRunner

from mapforge import api
from mapforge.cli import app
from mapforge.errors import BudgetExceeded
from mapforge.llm import LEDGER_FILE, Gateway, Ledger, LedgerRow
from mapforge.llm.openai_provider import OpenAIProvider
from mapforge.llm.provider import CompletionRequest, Message
from mapforge.lock import LOCK_FILE, loads
from mapforge.project import open_project
from mapforge.testing import FakeLLMServer

runner = CliRunner()
# input only, so the pre-flight estimate (chars / 4 of the prompt) is what a call really costs
PRICES = {"gpt-4o-mini": [100.0, 0.0]}


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout + result.stderr


def largest_estimate(project: Path) -> float:
    with open_project(project) as opened:
        return max(t.cost_usd for t in api.plan_estimate(opened).targets)


def seed_ledger(project: Path, usd: float) -> None:
    ledger = Ledger(project / ".mapforge" / LEDGER_FILE)
    ledger.record(LedgerRow(command="plan", provider="openai", model="gpt-4o-mini", cost_usd=usd))
    ledger.close()


def test_run_budget_locks_what_finished_and_reports_the_rest(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    project = make(tmp_path, fake_llm, n=3, prices=PRICES)
    budget = 1.5 * largest_estimate(project)  # one call fits, two do not
    code, out = invoke("plan", "-p", str(project), "--budget", f"{budget:.6f}", "--json")
    plan = json.loads(out)
    assert code == 1 and len(fake_llm.requests) == 1
    lock = loads((project / LOCK_FILE).read_text())
    assert len(lock.targets) == 1 and next(iter(lock.targets.values())).runnable
    errors = [t["error"] for t in plan["targets"] if t["error"]]
    assert len(errors) == 2 and all("budget" in e for e in errors)
    assert any("llm.budget_usd" in e and "--budget" in e for e in errors)  # what to change


def test_run_budget_message_in_the_table(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    project = make(tmp_path, fake_llm, n=2, prices=PRICES)
    code, out = invoke("plan", "-p", str(project), "--budget", "0")
    assert code == 1 and fake_llm.requests == []
    assert "budget:" in out and "of this run's $0.0000" in out


def test_cli_budget_overrides_the_config(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    project = make(tmp_path, fake_llm, n=2, prices=PRICES, budget_usd=0.0)
    assert invoke("plan", "-p", str(project))[0] == 1  # the config's budget refuses
    code, out = invoke("plan", "-p", str(project), "--budget", "1000")
    assert code == 0, out


def test_daily_budget_counts_what_the_ledger_spent_today(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    project = make(tmp_path, fake_llm, n=2, prices=PRICES)
    estimate = largest_estimate(project)
    seed_ledger(project, 5.0)  # spent earlier today, by another run
    with open(project / "mapforge.yml") as f:
        config = json.load(f)
    config["llm"]["budget_usd_per_day"] = 5.0 + 1.5 * estimate
    (project / "mapforge.yml").write_text(json.dumps(config))
    code, out = invoke("plan", "-p", str(project))
    assert code == 1 and len(fake_llm.requests) == 1
    assert "daily budget" in out and "llm.budget_usd_per_day" in out
    outcomes = [r["outcome"] for r in Ledger(project / ".mapforge" / LEDGER_FILE).rows()]
    assert outcomes.count("ok") == 2 and outcomes.count("budget") == 1  # seed + 1 call + refusal


def test_gateway_daily_budget_refuses_before_calling(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    ledger = Ledger(tmp_path / LEDGER_FILE)
    ledger.record(LedgerRow(command="ask", provider="openai", model="gpt-4o", cost_usd=0.99))
    provider = OpenAIProvider(model="gpt-4o", base_url=fake_llm.base_url, api_key="k")
    request = CompletionRequest(messages=[Message(role="user", content="x" * 4000)], model="gpt-4o")
    gateway = Gateway(provider, ledger=ledger, budget_usd_per_day=1.0)
    with (
        gateway,
        pytest.raises(BudgetExceeded, match=r"daily budget.*\$0\.9900 of today's") as caught,
    ):
        gateway.complete(request)
    assert "budget_usd_per_day" in (caught.value.hint or "") and fake_llm.requests == []


def test_gateway_daily_budget_allows_within(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    fake_llm.answer("SELECT 1")
    provider = OpenAIProvider(model="gpt-4o", base_url=fake_llm.base_url, api_key="k")
    request = CompletionRequest(messages=[Message(role="user", content="hi")], model="gpt-4o")
    with Gateway(
        provider, ledger=Ledger(tmp_path / LEDGER_FILE), budget_usd_per_day=1.0
    ) as gateway:
        assert gateway.complete(request).text == "SELECT 1"
