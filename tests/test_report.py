"""`mapforge report`: one self-contained HTML page built from the retail example's files."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mapforge.cli import app
from mapforge.llm.ledger import Ledger, LedgerRow
from mapforge.pipeline.dag import DAG
from mapforge.report.dag_layout import layout, levels

RETAIL = Path(__file__).resolve().parent.parent / "examples" / "retail"
TARGETS = [
    "dim_country",
    "dim_customer",
    "dim_product",
    "fct_order_line",
    "fct_customer_ltv",
    "rpt_revenue_by_country",
]


@pytest.fixture(scope="module")
def retail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The retail example, built and run once in a temporary copy."""
    project = tmp_path_factory.mktemp("retail")
    for name in ("mapforge.yml", "mapforge.lock", "mappings"):
        source = RETAIL / name
        shutil.copytree(source, project / name) if source.is_dir() else shutil.copy(
            source, project / name
        )
    spec = importlib.util.spec_from_file_location(
        "retail_generate_data", RETAIL / "generate_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_sources(project / "warehouse.duckdb")
    result = CliRunner().invoke(app, ["run", "-p", str(project)])
    assert result.exit_code == 0, result.output
    return project


def _report(project: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["report", "-p", str(project), *args])
    assert result.exit_code == 0, result.output
    return (
        (project / ".mapforge" / "report.html").read_text()
        if not args
        else Path(args[-1]).read_text()
    )


def test_report_shows_targets_lineage_and_tests(retail: Path) -> None:
    html = _report(retail)
    for name in TARGETS:
        assert f'id="t-{name}"' in html and f">{name}</text>" in html  # section + DAG node
    # lineage: an output column of the locked SQL, back to its mapping row and the sources it reads
    row = re.search(r"<td><code>full_name</code></td><td>([^<]*)</td>.*?</tr>", html, re.DOTALL)
    assert row is not None and row[1] == "mappings/retail.xlsx, sheet Mapping, row 9"
    assert "customers.first_name, customers.last_name" in row[0]
    # test results from the run, by name and status
    assert "unique_dim_customer_customer_id" in html
    assert "accepted_values_dim_customer_loyalty_tier" in html
    assert 'class="st st-success">success' in html
    assert "no model calls recorded" in html


def test_report_is_self_contained(retail: Path) -> None:
    html = _report(retail)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "http://" not in html and "https://" not in html
    assert "<link" not in html and "<script" not in html
    assert html.count("<svg") == 1 and "<style>" in html


def test_report_escapes_mapping_text(retail: Path) -> None:
    # the rule text holds quotes: shown escaped, never as markup
    html = _report(retail)
    assert "full name = first name + &#39; &#39; + last name, each trimmed" in html


def test_report_shows_the_latest_test_run_and_cost(retail: Path, tmp_path: Path) -> None:
    assert CliRunner().invoke(app, ["test", "-p", str(retail), "-s", "dim_country"]).exit_code == 0
    ledger = Ledger(retail / ".mapforge" / "ledger.sqlite")
    ledger.record(
        LedgerRow(
            command="plan",
            provider="openai",
            model="gpt-4o-mini",
            target="dim_customer",
            prompt_tokens=1000,
            completion_tokens=200,
            cost_usd=0.00027,
        )
    )
    semantic = LedgerRow(command="ask", provider="openai", model="gpt-4o-mini", cache="semantic")
    ledger.record(semantic)
    ledger.close()
    try:
        html = _report(retail, "--out", str(tmp_path / "out" / "r.html"))
    finally:  # the module's other tests expect neither file
        (retail / ".mapforge" / "ledger.sqlite").unlink()
        (retail / ".mapforge" / "test_results.json").unlink()
    assert "tests (from <code>mapforge test</code>)" in html  # dim_country's, newer than the run's
    assert "tests (from <code>mapforge run</code>)" in html
    assert "<code>gpt-4o-mini</code>" in html and "$0.0003" in html
    calls_hits_semantic = '<td class="num">2</td><td class="num">1</td><td class="num">1</td>'
    assert calls_hits_semantic in html


def test_report_without_a_run(tmp_path: Path) -> None:
    shutil.copytree(RETAIL / "mappings", tmp_path / "mappings")
    shutil.copy(RETAIL / "mapforge.yml", tmp_path / "mapforge.yml")
    html = _report(tmp_path)
    assert "no run yet" in html and "not planned" in html
    for name in TARGETS:
        assert f'id="t-{name}"' in html


def test_dag_layout_by_level() -> None:
    dag = DAG({"a": set(), "b": {"a"}, "c": {"a", "b"}, "d": set()})
    assert levels(dag) == {"a": 0, "d": 0, "b": 1, "c": 2}
    drawn = layout(dag, {"a": "success"})
    boxes = {n.name: n for n in drawn.nodes}
    assert boxes["a"].x < boxes["b"].x < boxes["c"].x and boxes["a"].x == boxes["d"].x
    assert boxes["a"].y < boxes["d"].y  # same level: ordered by name
    assert (boxes["a"].status, boxes["d"].status) == ("success", "none")
    assert len(drawn.edges) == 3
    assert all(n.x + n.w <= drawn.width and n.y + n.h <= drawn.height for n in drawn.nodes)
