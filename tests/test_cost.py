"""The ledger through `mapforge plan`, `mapforge cost`, prices, and `plan --estimate`."""

from __future__ import annotations

import json
import re
import sys
from io import StringIO
from pathlib import Path

import pytest
from freetext_project import make
from rich.console import Console
from typer.testing import CliRunner

from mapforge.cli import app
from mapforge.cli.cost_command import cost_tables
from mapforge.config import LLMConfig
from mapforge.cost import COMPLETION_BASE, COMPLETION_PER_COLUMN, cost_report
from mapforge.llm import LEDGER_FILE, PRICES, LazyGateway, Ledger, LedgerRow, price_for
from mapforge.llm.prices import genai_price
from mapforge.testing import FakeLLMServer

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout + result.stderr


def ledger_rows(project: Path) -> list[dict]:
    ledger = Ledger(project / ".mapforge" / LEDGER_FILE)
    try:
        return ledger.rows()
    finally:
        ledger.close()


def test_plan_writes_one_ledger_row_per_call(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    project = make(tmp_path, fake_llm, n=2)
    code, out = invoke("plan", "-p", str(project), "--json")
    assert code == 0, out
    rows = sorted(ledger_rows(project), key=lambda r: r["target"])
    assert [r["target"] for r in rows] == ["t_000", "t_001"]
    for row in rows:
        assert row["command"] == "plan" and row["purpose"] == "generate"
        assert (row["provider"], row["model"], row["outcome"]) == ("openai", "gpt-4o-mini", "ok")
        assert row["prompt_tokens"] > 100 and row["completion_tokens"] > 10
        assert row["estimated"] is False and row["cache_hit"] is False and row["retries"] == 0
        assert row["cost_usd"] > 0 and row["latency_s"] > 0 and row["ts"]


def test_cost_json_has_every_grouping_and_a_grand_total(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    project = make(tmp_path, fake_llm, n=2)
    assert invoke("plan", "-p", str(project))[0] == 0
    assert invoke("plan", "-p", str(project), "--refresh")[0] == 0  # both answers from the cache
    code, out = invoke("cost", "-p", str(project), "--json")
    report = json.loads(out)
    assert code == 0 and set(report["by"]) == {"model", "target", "command", "day"}
    total = report["total"]
    assert total["calls"] == 4 and total["cache_hits"] == 2 and total["failures"] == 0
    assert total["semantic_hits"] == 0  # plan never asks the semantic cache
    assert total["cost_usd"] == pytest.approx(sum(r["cost_usd"] for r in ledger_rows(project)))
    [model] = report["by"]["model"]
    assert model["model"] == "gpt-4o-mini" and model["calls"] == 4
    assert {t["target"]: t["calls"] for t in report["by"]["target"]} == {"t_000": 2, "t_001": 2}


def test_cost_table_shows_all_groupings_or_the_one_asked(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    project = make(tmp_path, fake_llm, n=1)
    invoke("plan", "-p", str(project))
    code, out = invoke("cost", "-p", str(project))
    assert code == 0
    assert all(f"cost by {g}" in out for g in ("model", "target", "command", "day"))
    code, out = invoke("cost", "-p", str(project), "--by", "target")
    assert code == 0 and "cost by target" in out and "cost by model" not in out and "t_000" in out


def test_cost_shows_semantic_hits_apart(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / ".mapforge" / LEDGER_FILE)
    try:
        for model, cache in [
            ("m-a", None),
            ("m-a", "exact"),
            ("m-a", "semantic"),
            ("m-a", "semantic"),
            ("m-b", None),
            ("m-b", "exact"),
        ]:
            ledger.record(LedgerRow(command="ask", provider="openai", model=model, cache=cache))
    finally:
        ledger.close()
    code, out = invoke("cost", "-p", str(tmp_path), "--json")
    report = json.loads(out)
    assert code == 0 and (report["total"]["cache_hits"], report["total"]["semantic_hits"]) == (4, 2)
    by_model = {r["model"]: (r["cache_hits"], r["semantic_hits"]) for r in report["by"]["model"]}
    assert by_model == {"m-a": (3, 2), "m-b": (1, 0)}

    code, out = invoke("cost", "-p", str(tmp_path), "--by", "model")
    lines = out.splitlines()
    head = [re.split("[┃|]", line)[1:-1] for line in lines if line.startswith(("┃", "|"))]
    titles = [" ".join(part.strip() for part in parts).strip() for parts in zip(*head, strict=True)]
    assert code == 0 and titles[:4] == ["model", "calls", "cache hits", "semantic hits"]
    assert titles[5:] == ["input tokens", "output tokens", "USD"]  # whole, not cut with "…"
    cells = [[c.strip() for c in re.split("[│|]", line)[1:5]] for line in lines if "m-" in line]
    assert cells == [["m-a", "4", "3", "2"], ["m-b", "2", "1", "0"]]
    assert "cache_hits=4  semantic_hits=2" in out


def test_cost_without_a_ledger_is_empty(tmp_path: Path) -> None:
    code, out = invoke("cost", "-p", str(tmp_path), "--json")
    assert code == 0 and json.loads(out)["total"]["calls"] == 0
    assert not (tmp_path / ".mapforge" / LEDGER_FILE).exists()


def test_price_override_in_mapforge_yml_reaches_the_ledger(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    project = make(tmp_path, fake_llm, n=1, prices={"gpt-4o-mini": [1000.0, 0.0]})
    assert invoke("plan", "-p", str(project))[0] == 0
    [row] = ledger_rows(project)
    assert row["cost_usd"] == pytest.approx(row["prompt_tokens"] * 1000.0 / 1_000_000)


def test_lazy_gateway_gets_prices_and_daily_budget(tmp_path: Path) -> None:
    cfg = LLMConfig(
        base_url="http://127.0.0.1:9/v1", prices={"m": (1.0, 2.0)}, budget_usd_per_day=3.0
    )
    with LazyGateway(cfg, tmp_path) as lazy:
        assert lazy.gateway.prices == {"m": (1.0, 2.0)} and lazy.gateway.budget_usd_per_day == 3.0


def test_builtin_table_wins_and_local_models_stay_unpriced() -> None:
    assert price_for("gpt-4o-2024-08-06") == PRICES["gpt-4o"]
    assert price_for("llama3.1:8b") is None  # served by Ollama: free, even with genai-prices
    assert price_for("gpt-4o", {"gpt-4o": (9.0, 9.0)}) == (9.0, 9.0)


def test_genai_prices_fills_models_the_table_lacks() -> None:
    # `make test` installs the `prices` extra, so genai-prices is there
    price = price_for("gpt-5")
    assert "gpt-5" not in PRICES and price is not None and price[1] > price[0] > 0


def test_without_genai_prices_unknown_models_are_unpriced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "genai_prices", None)  # import fails as if not installed
    genai_price.cache_clear()
    try:
        assert genai_price("gpt-5") is None and price_for("gpt-5") is None
    finally:
        genai_price.cache_clear()


def test_estimate_calls_no_model(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    project = make(tmp_path, fake_llm, n=3)
    (project / "overrides").mkdir()
    (project / "overrides" / "t_002.sql").write_text("SELECT 1 AS id, 'x' AS label")
    code, out = invoke("plan", "-p", str(project), "--estimate", "--json")
    estimate = json.loads(out)
    assert code == 0 and fake_llm.requests == []
    assert [t["target"] for t in estimate["targets"]] == ["t_000", "t_001"]  # not the override
    for item in estimate["targets"]:
        assert item["prompt_tokens"] > 100
        assert item["completion_tokens"] == COMPLETION_BASE + 2 * COMPLETION_PER_COLUMN
        assert item["cost_usd"] > 0
    assert estimate["total"]["cost_usd"] == pytest.approx(
        sum(t["cost_usd"] for t in estimate["targets"])
    )
    assert not (project / "mapforge.lock").exists()


def test_estimate_prompt_tokens_match_what_the_server_counts(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    project = make(tmp_path, fake_llm, n=1)
    _, out = invoke("plan", "-p", str(project), "--estimate", "--json")
    [item] = json.loads(out)["targets"]
    invoke("plan", "-p", str(project))
    [row] = ledger_rows(project)
    assert item["prompt_tokens"] == pytest.approx(row["prompt_tokens"], rel=0.02)


def test_estimate_after_a_plan_is_empty_and_says_no_call(
    fake_llm: FakeLLMServer, tmp_path: Path
) -> None:
    project = make(tmp_path, fake_llm, n=2)
    invoke("plan", "-p", str(project))
    requests = len(fake_llm.requests)
    code, out = invoke("plan", "-p", str(project), "--estimate")
    assert code == 0 and "no model was called" in out and "t_000" not in out
    assert len(fake_llm.requests) == requests


def test_cost_tables_fit_80_columns_without_cutting_a_header(tmp_path: Path) -> None:
    screen = StringIO()
    cost_tables(Console(file=screen, width=80), cost_report(tmp_path / LEDGER_FILE, ["day"]))
    table = [line for line in screen.getvalue().splitlines() if line.startswith("┃")]
    assert table and "…" not in "".join(table) and "output" in "".join(table)
