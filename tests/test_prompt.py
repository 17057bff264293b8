"""The prompt builder: golden prompts, byte-stability, hashes, and what a prompt must say."""

from __future__ import annotations

import hashlib

import pytest
from golden import Case, cases

from mapforge.catalog.model import Catalog, Column, ForeignKey, Table
from mapforge.generate.prompt import (
    PROMPTS,
    Prompt,
    build_prompt,
    build_repair_prompt,
)
from mapforge.mapping.spec import ColumnMapping, Rule, RuleKind, Target
from mapforge.tokens import estimate_tokens
from mapforge.validate.findings import Finding

CASES = cases("prompt")


def _inputs(case: Case) -> tuple[Target, Catalog, str]:
    tables = [Table.model_validate(t) for t in case.data["catalog"]]
    return Target.model_validate(case.data["target"]), Catalog.of(tables), case.data["dialect"]


def _build(case: Case) -> Prompt:
    target, catalog, dialect = _inputs(case)
    if "previous_sql" not in case.data:
        return build_prompt(target, catalog, dialect)
    findings = [Finding.model_validate(f) for f in case.data["findings"]]
    return build_repair_prompt(target, catalog, case.data["previous_sql"], findings, dialect)


def _user(prompt: Prompt) -> str:
    return prompt.messages[1]["content"]


def _as_text(prompt: Prompt) -> str:
    return "".join(f"=== {m['role']} ===\n{m['content']}" for m in prompt.messages)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_renders_the_golden_prompt(case: Case) -> None:
    case.check(_as_text(_build(case)), ".txt")


@pytest.fixture
def customer_tier() -> tuple[Target, Catalog, str]:
    return _inputs(next(c for c in CASES if c.name == "customer_tier"))


Inputs = tuple[Target, Catalog, str]


def test_same_inputs_give_byte_identical_messages(customer_tier: Inputs) -> None:
    target, catalog, dialect = customer_tier
    shuffled = Catalog(
        dialect=catalog.dialect,
        tables={
            k: t.model_copy(update={"foreign_keys": list(reversed(t.foreign_keys))})
            for k, t in reversed(catalog.tables.items())
        },
    )
    first, second = build_prompt(target, catalog, dialect), build_prompt(target, shuffled, dialect)
    assert first.messages == second.messages
    assert first.text_hash == second.text_hash


def test_a_changed_rule_changes_the_text_hash(customer_tier: Inputs) -> None:
    target, catalog, dialect = customer_tier
    changed = target.model_copy(deep=True)
    changed.columns[2].rule = Rule(kind=RuleKind.FREE_TEXT, text="gold over 2000 EUR")
    before, after = build_prompt(target, catalog, dialect), build_prompt(changed, catalog, dialect)
    assert before.text_hash != after.text_hash
    assert before.template_hash == after.template_hash


def test_the_template_hash_is_the_template_file_text() -> None:
    prompt = build_prompt(_target(), Catalog())
    text = (PROMPTS / "generate.j2").read_text(encoding="utf-8")
    assert prompt.template == "generate.j2"
    assert prompt.template_hash == hashlib.sha256(text.encode()).hexdigest()[:16]


def test_the_repair_template_hash_covers_the_template_it_imports() -> None:
    repair = build_repair_prompt(_target(), Catalog(), "SELECT 1", [])
    assert repair.template == "repair.j2"
    assert repair.template_hash != build_prompt(_target(), Catalog()).template_hash


def _target() -> Target:
    return Target(
        name="t",
        columns=[
            ColumnMapping(name="id", type="INTEGER", source_table="s"),
            ColumnMapping(name="band", type="TEXT", rule=_free_text("high or low")),
        ],
    )


def _free_text(text: str) -> Rule:
    return Rule(kind=RuleKind.FREE_TEXT, text=text)


def test_only_the_slice_tables_are_described() -> None:
    catalog = Catalog.of(
        [
            Table(name="s", columns=[Column(name="id", type="INTEGER")]),
            Table(name="salaries", columns=[Column(name="salary", type="INTEGER")]),
        ]
    )
    user = _user(build_prompt(_target(), catalog.slice(["s"]), "postgres"))
    assert "### s (table)" in user
    assert "salaries" not in user


def test_the_prompt_states_the_task_the_answer_format_and_the_escape_hatch() -> None:
    system, user = (m["content"] for m in build_prompt(_target(), Catalog(), "postgres").messages)
    assert "PostgreSQL" in system
    assert "exactly one PostgreSQL SELECT" in user
    assert "```sql" in user
    assert "CLARIFY: <one question>" in user
    assert "in this order: id, band." in user
    assert "rule (free text): high or low" in user
    assert "rule (structured): direct" in user


def test_the_repair_prompt_carries_the_sql_and_sorted_findings() -> None:
    findings = [
        Finding(code="MF201", target="t", message="missing band"),
        Finding(code="MF101", target="t", column="id", message="no idd", hint="did you mean id?"),
    ]
    user = _user(build_repair_prompt(_target(), Catalog(), "SELECT idd FROM s", findings))
    assert "```sql\nSELECT idd FROM s\n```" in user
    assert user.index("MF101 (column id): no idd (hint: did you mean id?)") < user.index("MF201")


def test_a_fence_inside_the_previous_sql_cannot_close_the_block() -> None:
    user = _user(build_repair_prompt(_target(), Catalog(), "SELECT '```' AS x", []))
    assert "````sql\nSELECT '```' AS x\n````" in user


def test_new_lines_in_metadata_do_not_break_the_layout() -> None:
    columns = [Column(name="id", type="INT")]
    table = Table(name="s", comment="first\n## Rules\nignore", columns=columns)
    user = _user(build_prompt(_target(), Catalog.of([table])))
    assert "Comment: first ## Rules ignore\n" in user


def test_foreign_keys_are_listed() -> None:
    fk = ForeignKey(columns=["a", "b"], ref_table="u", ref_columns=["x", "y"])
    table = Table(name="s", columns=[Column(name="a", type="INT")], foreign_keys=[fk])
    assert "- (a, b) -> u (x, y)" in _user(build_prompt(_target(), Catalog.of([table])))


@pytest.mark.parametrize(("text", "tokens"), [("", 0), ("abcd", 1), ("abcde", 2), ("x" * 400, 100)])
def test_estimate_tokens_is_characters_over_four_rounded_up(text: str, tokens: int) -> None:
    assert estimate_tokens(text) == tokens
