"""Schema retrieval: the slice of a catalog a target's prompt needs, within a token budget."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

import mapforge.catalog.lexical as lexical
from mapforge.catalog.embeddings import HashingEmbedder
from mapforge.catalog.index import SchemaIndex
from mapforge.catalog.lexical import LexicalIndex, tokenize
from mapforge.catalog.model import Catalog, Column, ForeignKey, Table
from mapforge.catalog.retrieval import select_slice
from mapforge.catalog.schema_text import render_schema, table_tokens
from mapforge.errors import CatalogError
from mapforge.mapping.spec import ColumnMapping, Rule, RuleKind, Target

BENCH = Path(__file__).resolve().parents[1] / "bench"


def col(name: str, comment: str | None = None, type_: str = "VARCHAR") -> Column:
    return Column(name=name, type=type_, comment=comment)


def shop() -> Catalog:
    """A small shop: customers -> regions, orders -> customers, plus unrelated tables."""
    return Catalog.of(
        [
            Table(
                name="customers",
                comment="customers of the web shop",
                columns=[
                    col("customer_id", "surrogate key", "BIGINT"),
                    col("region_id", None, "BIGINT"),
                    col("first_nm", "first name"),
                    col("last_nm", "last name"),
                    col("email_adr", "email address"),
                ],
                primary_key=["customer_id"],
                foreign_keys=[
                    ForeignKey(
                        columns=["region_id"], ref_table="regions", ref_columns=["region_id"]
                    )
                ],
            ),
            Table(
                name="regions",
                comment="sales regions",
                columns=[
                    col("region_id", None, "BIGINT"),
                    col("region_name", "display name of the region"),
                    col("created_at", "load time", "TIMESTAMP"),
                ],
                primary_key=["region_id"],
            ),
            Table(
                name="orders",
                comment="web shop orders",
                columns=[
                    col("order_id", None, "BIGINT"),
                    col("customer_id", None, "BIGINT"),
                    col("order_total", "order amount with tax", "DECIMAL(18,2)"),
                ],
                primary_key=["order_id"],
                foreign_keys=[
                    ForeignKey(
                        columns=["customer_id"], ref_table="customers", ref_columns=["customer_id"]
                    )
                ],
            ),
            Table(
                name="wh_loc_01",
                comment="warehouse locations and storage capacity",
                columns=[
                    col("loc_id", None, "BIGINT"),
                    col("stor_cap", "storage capacity in cubic meters", "DECIMAL"),
                    col("lat", "latitude"),
                    col("lon", "longitude"),
                ],
                primary_key=["loc_id"],
            ),
            Table(
                name="payroll_runs",
                comment="monthly payroll runs",
                columns=[col("run_id"), col("gross_pay", "gross salary paid")],
            ),
            Table(
                name="audit_log",
                comment="user actions",
                columns=[col("event_id"), col("actor", "user who acted")],
            ),
        ]
    )


def target(
    *rules: str, source: str = "customers", columns: tuple[str, ...] = ("customer_id",)
) -> Target:
    mapped = [
        ColumnMapping(name=c, type="VARCHAR", source_table=source, source_column=c) for c in columns
    ]
    free = [
        ColumnMapping(
            name=f"derived_{i}", type="VARCHAR", rule=Rule(kind=RuleKind.FREE_TEXT, text=text)
        )
        for i, text in enumerate(rules)
    ]
    return Target(name="dim_customer", columns=mapped + free)


def names(slice_catalog: Catalog) -> set[str]:
    return set(slice_catalog.tables)


def test_tokenize_splits_identifiers_drops_stopwords_and_stems() -> None:
    assert tokenize("the customer's regionName") == ("customer", "region", "name")
    assert tokenize("wh_loc_01 Categories HTTPServer") == (
        "wh",
        "loc",
        "category",
        "http",
        "server",
    )
    assert tokenize("certificate") == tokenize("certifications")
    assert tokenize(None) == ()


def test_lexical_scores_equal_rank_bm25() -> None:
    docs = [
        list(tokenize(t))
        for t in ["sales region name", "region code", "warehouse capacity", "name name"]
    ]
    query = ["region", "name", "unknown"]
    expected = BM25Okapi(docs).get_scores(query)
    assert np.allclose(LexicalIndex(docs).scores(query), expected)


def test_declared_sources_are_always_present() -> None:
    t = target("storage capacity", columns=("customer_id", "first_nm"))
    t.columns.append(
        ColumnMapping(
            name="total", type="DECIMAL", source_table="orders", source_column="order_total"
        )
    )
    slice_ = select_slice(t, shop(), max_tokens=20)
    assert {"customers", "orders"} <= names(slice_.catalog)
    assert slice_.reasons["customers"] == "declared source"


def test_description_only_rule_finds_the_table_by_its_comment() -> None:
    slice_ = select_slice(target("add the warehouse's storage capacity"), shop(), max_tokens=4000)
    found = slice_.catalog.table("wh_loc_01")
    assert found is not None
    assert {"loc_id", "stor_cap"} <= {c.name for c in found.columns}
    assert found.column("lat") is None  # not asked for: pruned


def test_fk_neighbour_is_found_with_its_join_keys() -> None:
    slice_ = select_slice(target("the customer's region name"), shop(), max_tokens=4000)
    regions = slice_.catalog.table("regions")
    assert regions is not None
    assert {"region_id", "region_name"} <= {c.name for c in regions.columns}
    assert regions.column("created_at") is None
    assert slice_.reasons["regions"] == "FK neighbour of customers"


def test_fk_neighbour_wins_over_tables_that_match_the_words_better() -> None:
    distractors = [
        Table(
            name=f"region_{kind}",
            comment=f"region {kind} by region name",
            columns=[col("region_name", "region name"), col("region_code", "region code")],
        )
        for kind in ("targets", "budgets", "forecasts", "history")
    ]
    catalog = Catalog.of([*shop().tables.values(), *distractors])
    index = SchemaIndex.build(catalog)
    plain = index.lexical.scores(tokenize("the customer's region name"))
    ranked = sorted(index.keys, key=lambda k: -plain[index.position[k]])
    assert ranked.index("regions") >= 3  # on words alone it would not make the top 3
    slice_ = select_slice(target("the customer's region name"), catalog, 4000, index=index)
    assert "regions" in names(slice_.catalog)


def test_irrelevant_tables_are_excluded() -> None:
    slice_ = select_slice(target("the customer's region name"), shop(), max_tokens=4000)
    assert not {"payroll_runs", "audit_log", "wh_loc_01"} & names(slice_.catalog)


def test_structured_target_gets_only_its_declared_sources() -> None:
    assert names(select_slice(target(), shop(), max_tokens=4000).catalog) == {"customers"}


def wide() -> Catalog:
    spare = [col(f"spare_{i:03d}", f"spare attribute number {i}") for i in range(120)]
    table = Table(
        name="accounts",
        comment="ledger accounts",
        columns=[
            col("account_id"),
            col("acct_nm", "account name"),
            col("bal_amt", "closing balance"),
            *spare,
        ],
        primary_key=["account_id"],
    )
    return Catalog.of([table, *shop().tables.values()])


def test_budget_respected_and_declared_source_summarized_with_notes() -> None:
    t = target("take the closing balance", source="accounts", columns=("acct_nm",))
    full = table_tokens(wide().tables["accounts"])
    slice_ = select_slice(t, wide(), max_tokens=full // 4)
    assert slice_.tokens <= full // 4
    kept = {c.name for c in slice_.catalog.tables["accounts"].columns}
    assert {"account_id", "acct_nm", "bal_amt"} <= kept  # key, mapped, matched by the rule
    assert len(kept) < 10
    assert any("summarized declared source accounts" in n for n in slice_.notes)


def test_tokens_are_the_estimate_of_the_rendered_slice() -> None:
    slice_ = select_slice(target("the customer's region name"), shop(), max_tokens=4000)
    rendered = sum(table_tokens(t) for t in slice_.catalog.tables.values())
    assert slice_.tokens == rendered
    assert "region_name VARCHAR -- display name of the region" in render_schema(slice_.catalog)


def test_no_notes_when_everything_fits() -> None:
    assert select_slice(target("the customer's region name"), shop(), max_tokens=4000).notes == []


def test_same_inputs_give_the_same_slice() -> None:
    t = target("the customer's region name", "add the warehouse's storage capacity")
    first = select_slice(t, shop(), max_tokens=4000)
    reordered = Catalog.of(list(reversed(list(shop().tables.values()))))
    second = select_slice(t, reordered, max_tokens=4000, index=SchemaIndex.build(reordered))
    assert first == second
    assert render_schema(first.catalog) == render_schema(second.catalog)


def test_index_is_built_once_for_many_selects(monkeypatch: pytest.MonkeyPatch) -> None:
    builds: list[int] = []

    class Counting(BM25Okapi):
        def __init__(self, corpus: list[list[str]]) -> None:
            builds.append(len(corpus))
            super().__init__(corpus)

    monkeypatch.setattr(lexical, "BM25Okapi", Counting)
    catalog = shop()
    index = SchemaIndex.build(catalog)
    after_build = len(builds)
    for text in ["the customer's region name", "storage capacity", "gross salary"] * 10:
        select_slice(target(text), catalog, max_tokens=4000, index=index)
    assert len(builds) == after_build
    select_slice(target("storage capacity"), catalog, max_tokens=4000)  # no index: builds one
    assert len(builds) > after_build


def test_index_of_another_catalog_is_refused() -> None:
    with pytest.raises(CatalogError, match="another catalog"):
        select_slice(target("x"), shop(), max_tokens=4000, index=SchemaIndex.build(wide()))


def test_hashing_embedder_is_deterministic_and_fuses_with_bm25() -> None:
    embedder = HashingEmbedder(dimensions=64)
    vectors = embedder.embed(["storage capacity", "storage capacity", ""])
    assert np.array_equal(vectors[0], vectors[1])
    assert np.isclose(np.linalg.norm(vectors[0]), 1.0) and not vectors[2].any()
    catalog = shop()
    index = SchemaIndex.build(catalog, embedder=embedder)
    slice_ = select_slice(
        target("add the warehouse's storage capacity"), catalog, 4000, index=index
    )
    assert "wh_loc_01" in names(slice_.catalog)
    assert slice_ == select_slice(
        target("add the warehouse's storage capacity"), catalog, 4000, index=index
    )


def test_generated_catalog_recall_at_small_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    from catalog_gen import generate

    gen = generate(tables=100, targets=20, seed=3)
    assert len(gen.catalog.tables) == 100
    index = SchemaIndex.build(gen.catalog)
    needed = found = 0
    for g in gen.targets:
        slice_ = select_slice(g.target, gen.catalog, 4000, index=index)
        needed += len(g.needed)
        found += sum(
            (t := slice_.catalog.table(table)) is not None and t.column(column) is not None
            for table, column in g.needed
        )
    assert found / needed >= 0.95
    sys.modules.pop("catalog_gen", None)
    sys.modules.pop("catalog_vocab", None)
