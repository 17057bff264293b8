"""The CLI as a user meets it: exit codes, messages without tracebacks, a scaffold that works."""

import json
from pathlib import Path

from typer.testing import CliRunner

from mapforge.cli import app

runner = CliRunner()


def _invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_init_then_check_plan_run_work_without_a_model(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    code, out, _ = _invoke("init", str(project))
    assert code == 0 and "mapforge.yml" in out
    assert _invoke("check", "-p", str(project))[0] == 0
    code, out, _ = _invoke("plan", "-p", str(project), "--json")
    plan = json.loads(out)
    assert code == 0 and plan["model_calls"] == 0
    assert [t["entry"]["origin"] for t in plan["targets"]] == ["compiled"]
    code, out, _ = _invoke("run", "-p", str(project), "--json")
    results = json.loads(out)["results"]
    assert (
        code == 0
        and results[0]["status"] == "success"
        and results[0]["adapter_response"]["rows_affected"] == 2
    )
    assert (project / ".mapforge" / "run_results.json").exists()


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    assert _invoke("init", str(tmp_path))[0] == 0
    code, _, err = _invoke("init", str(tmp_path))
    assert code == 2 and "already exists" in err and "Traceback" not in err


def test_bad_mapping_is_exit_2_with_the_cell_named(tmp_path: Path) -> None:
    _invoke("init", str(tmp_path))
    mapping = tmp_path / "mappings" / "customers.csv"
    mapping.write_text(
        mapping.read_text().replace("DATE,customers,signup_date", "DAET,customers,signup_date")
    )
    code, _, err = _invoke("check", "-p", str(tmp_path))
    assert code == 2
    assert "mappings/customers.csv, row 5, column target_type: 'DAET' is not a known type" in err
    assert "did you mean DATE?" in err and "Traceback" not in err


def test_unknown_source_column_fails_check_with_a_suggestion(tmp_path: Path) -> None:
    _invoke("init", str(tmp_path))
    mapping = tmp_path / "mappings" / "customers.csv"
    mapping.write_text(mapping.read_text().replace("customers,email,", "customers,emial,"))
    code, out, _ = _invoke("check", "-p", str(tmp_path), "--json")
    findings = json.loads(out)["findings"]
    assert code == 1
    assert [f["code"] for f in findings] == ["MF302"] and "email" in findings[0]["hint"]


def test_run_refuses_a_stale_lock(tmp_path: Path) -> None:
    _invoke("init", str(tmp_path))
    assert _invoke("plan", "-p", str(tmp_path))[0] == 0
    mapping = tmp_path / "mappings" / "customers.csv"
    mapping.write_text(
        mapping.read_text()
        .replace("Signup day", "Signup day")
        .replace("cast(DATE)", "cast(TIMESTAMP)")
    )
    code, _, err = _invoke("run", "-p", str(tmp_path))
    assert code == 2 and "out of date for: dim_customer (mapping changed)" in err


def test_free_text_without_a_model_is_reported_not_crashed(tmp_path: Path) -> None:
    _invoke("init", str(tmp_path))
    mapping = tmp_path / "mappings" / "customers.csv"
    mapping.write_text(
        mapping.read_text().replace(
            '"sql: lower(trim(customers.email))"', "lower-cased and trimmed e-mail"
        )
    )
    # a local port nobody listens on: the provider error is reported per target, lock kept
    env = {"MAPFORGE_LLM_BASE_URL": "http://127.0.0.1:9/v1", "MAPFORGE_LLM_MAX_RETRIES": "0"}
    code, out, _ = _invoke("plan", "-p", str(tmp_path), "--json", env=env)
    plan = json.loads(out)
    assert code == 1 and "127.0.0.1:9" in plan["targets"][0]["error"]
    assert plan["targets"][0]["entry"] is None


def test_unknown_select_is_a_user_error(tmp_path: Path) -> None:
    _invoke("init", str(tmp_path))
    _invoke("plan", "-p", str(tmp_path))
    code, _, err = _invoke("run", "-p", str(tmp_path), "--select", "dim_custmer")
    assert code == 2 and "did you mean dim_customer?" in err
