"""Batch mode: --batch-out writes what the live plan would send; --batch-in judges and locks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from freetext_project import answer_sql, make
from typer.testing import CliRunner

from mapforge.cli import app
from mapforge.llm import LEDGER_FILE, Ledger, cost_usd
from mapforge.llm.batch import BATCH_DISCOUNT, URL, BatchId, read_results
from mapforge.lock import LOCK_FILE, EntryStatus, Lock, loads
from mapforge.testing import FakeLLMServer

runner = CliRunner()
WRONG_SQL = "SELECT src.id AS id, src.nickname AS label FROM src"  # no such column


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout + result.stderr


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def output_line(request: dict[str, Any], sql: str) -> dict[str, Any]:
    """What the Batch API returns for one request, answered with `sql`."""
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": request["body"]["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": f"```sql\n{sql}\n```"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100},
    }
    response = {"status_code": 200, "request_id": "r", "body": body}
    return {
        "id": "batch_req_1",
        "custom_id": request["custom_id"],
        "response": response,
        "error": None,
    }


def write_output(
    path: Path, requests: list[dict[str, Any]], sql_for: dict[str, str] | None = None
) -> Path:
    lines = []
    for request in requests:
        target = BatchId.parse(request["custom_id"]).target  # type: ignore[union-attr]
        lines.append(output_line(request, (sql_for or {}).get(target, answer_sql(target))))
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def lock_of(project: Path) -> Lock:
    return loads((project / LOCK_FILE).read_text())


@pytest.fixture
def project(fake_llm: FakeLLMServer, tmp_path: Path) -> Path:
    return make(tmp_path / "p", fake_llm, n=3)


def test_batch_out_writes_the_live_requests_and_calls_no_model(
    fake_llm: FakeLLMServer, project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "requests.jsonl"
    code, text = invoke("plan", "-p", str(project), "--batch-out", str(out))
    assert code == 0 and "3 requests" in text and fake_llm.requests == []
    requests = read_jsonl(out)
    assert [r["method"] for r in requests] == ["POST"] * 3 and {r["url"] for r in requests} == {URL}
    ids = [BatchId.parse(r["custom_id"]) for r in requests]
    assert [(i.target, i.round) for i in ids] == [("t_000", 0), ("t_001", 0), ("t_002", 0)]  # type: ignore[union-attr]
    assert not (project / LOCK_FILE).exists()
    # the live plan sends byte-identical bodies: same messages, model, temperature and seed
    assert invoke("plan", "-p", str(project))[0] == 0
    live = {BatchId.parse(r["custom_id"]).target: r["body"] for r in requests}  # type: ignore[union-attr]
    for sent in fake_llm.requests:
        body = {k: sent.json[k] for k in ("model", "messages", "temperature", "seed")}
        target = next(
            t for t in live if f"target table {t}." in sent.json["messages"][-1]["content"]
        )
        assert body == live[target]
    # and the custom_id's hash is the lock's prompt hash
    assert all(lock_of(project).targets[i.target].hashes.prompt == i.prompt_hash for i in ids)  # type: ignore[union-attr]


def test_batch_in_locks_valid_answers_with_batch_pricing(
    fake_llm: FakeLLMServer, project: Path, tmp_path: Path
) -> None:
    invoke("plan", "-p", str(project), "--batch-out", str(tmp_path / "requests.jsonl"))
    results = write_output(tmp_path / "results.jsonl", read_jsonl(tmp_path / "requests.jsonl"))
    code, text = invoke("plan", "-p", str(project), "--batch-in", str(results))
    assert code == 0, text
    lock = lock_of(project)
    assert sorted(lock.targets) == ["t_000", "t_001", "t_002"]
    for entry in lock.targets.values():
        assert (
            entry.origin == "llm:gpt-4o-mini" and entry.runnable and "batch" in (entry.note or "")
        )
    rows = Ledger(project / ".mapforge" / LEDGER_FILE).rows()
    assert [r["purpose"] for r in rows] == ["batch"] * 3
    assert rows[0]["cost_usd"] == pytest.approx(cost_usd("gpt-4o-mini", 1000, 100) * BATCH_DISCOUNT)
    assert not (tmp_path / "results.repair.jsonl").exists() and fake_llm.requests == []
    code, text = invoke("plan", "-p", str(project), "--json")  # the batch's entries are fresh
    assert code == 0 and json.loads(text)["model_calls"] == 0 and fake_llm.requests == []


def test_failed_answer_is_locked_failed_and_its_repair_round_written(
    fake_llm: FakeLLMServer, project: Path, tmp_path: Path
) -> None:
    invoke("plan", "-p", str(project), "--batch-out", str(tmp_path / "requests.jsonl"))
    results = write_output(
        tmp_path / "results.jsonl", read_jsonl(tmp_path / "requests.jsonl"), {"t_001": WRONG_SQL}
    )
    code, text = invoke("plan", "-p", str(project), "--batch-in", str(results))
    repair_path = tmp_path / "results.repair.jsonl"
    assert code == 1 and str(repair_path) in text.replace("\n", "")
    failed = lock_of(project).targets["t_001"]
    assert failed.status is EntryStatus.FAILED and failed.attempts[0].sql and failed.findings
    [repair] = read_jsonl(repair_path)
    rid = BatchId.parse(repair["custom_id"])
    assert rid is not None and (rid.target, rid.round) == ("t_001", 1)
    assert rid.prompt_hash == failed.hashes.prompt
    assert "nickname" in repair["body"]["messages"][-1]["content"]  # the failed SQL goes back
    # the repair round's answer replaces the failure; the history is kept
    fixed = write_output(tmp_path / "fixed.jsonl", [repair])
    code, text = invoke("plan", "-p", str(project), "--batch-in", str(fixed))
    assert code == 0, text
    entry = lock_of(project).targets["t_001"]
    assert entry.runnable and [a.round for a in entry.attempts] == [0, 1]
    assert fake_llm.requests == []


def test_stale_and_unknown_custom_ids_are_reported_not_applied(
    project: Path, tmp_path: Path
) -> None:
    invoke("plan", "-p", str(project), "--batch-out", str(tmp_path / "requests.jsonl"))
    requests = read_jsonl(tmp_path / "requests.jsonl")
    requests[0]["custom_id"] = "t_000::0::0000000000000000"  # written from another prompt
    requests[1]["custom_id"] = "t_999::0::0000000000000000"
    results = write_output(tmp_path / "results.jsonl", requests[:1])
    with results.open("a") as f:  # answers for unknown targets never reach answer_sql
        f.write(json.dumps(output_line(requests[1], "SELECT 1")) + "\n")
    code, text = invoke("plan", "-p", str(project), "--batch-in", str(results), "--json")
    report = json.loads(text)
    assert code == 1 and report["applied"] == []
    reasons = {r["custom_id"]: r["reason"] for r in report["rejected"]}
    assert "stale" in reasons["t_000::0::0000000000000000"]
    assert "no target" in reasons["t_999::0::0000000000000000"]
    assert lock_of(project).targets == {}


def test_an_answer_for_a_fresh_target_is_not_applied_twice(project: Path, tmp_path: Path) -> None:
    invoke("plan", "-p", str(project), "--batch-out", str(tmp_path / "requests.jsonl"))
    results = write_output(tmp_path / "results.jsonl", read_jsonl(tmp_path / "requests.jsonl"))
    assert invoke("plan", "-p", str(project), "--batch-in", str(results))[0] == 0
    code, text = invoke("plan", "-p", str(project), "--batch-in", str(results), "--json")
    assert code == 1 and all("already locked" in r["reason"] for r in json.loads(text)["rejected"])


def test_error_lines_and_garbage_are_read_as_errors(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    failed = {
        "id": "b",
        "custom_id": "t::0::h",
        "response": None,
        "error": {"code": "x", "message": "expired"},
    }
    status = {
        "id": "b",
        "custom_id": "u::0::h",
        "response": {"status_code": 429, "body": {"error": {"message": "slow down"}}},
        "error": None,
    }
    path.write_text(json.dumps(failed) + "\n\nnot json\n" + json.dumps(status) + "\n")
    results = read_results(path)
    assert [(r.line, r.custom_id, r.error) for r in results] == [
        (1, "t::0::h", "expired"),
        (3, "", "not a JSON object"),
        (4, "u::0::h", "HTTP 429: slow down"),
    ]


def test_batch_id_round_trip() -> None:
    bid = BatchId("sales::daily", 2, "abc123")
    assert BatchId.parse(str(bid)) == bid
    assert BatchId.parse("no-separators") is None and BatchId.parse("t::x::h") is None


def test_modes_do_not_combine(project: Path, tmp_path: Path) -> None:
    code, text = invoke(
        "plan", "-p", str(project), "--estimate", "--batch-out", str(tmp_path / "r.jsonl")
    )
    assert code == 2 and "cannot be combined" in text
