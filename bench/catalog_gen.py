"""Deterministic synthetic catalogs and targets for benchmarks (random.Random(seed)).

A table is a business noun seen through a facet ("warehouse" x "locations" -> a table
commented "warehouse locations and storage capacity"). Names come in three styles — readable
(`warehouse_locations`), abbreviated (`wh_loc`) and cryptic (`t17_wh_loc`) — so a rule can
only find many tables by their comments. Every non-master table references its noun's master
table, and every table references one or two other masters: a hub-and-spoke FK graph.

Targets know what they need: `needed` holds the (table, column) pairs correct SQL must read.
Rule cases:
  local        a rule over columns of a declared source, quoted by their comment phrase
  description  a table that is neither declared nor joined, never named (cryptic names only)
  neighbour    an attribute of a table one FK hop from a declared source
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from catalog_vocab import DOMAINS, FACETS, FILLER, MASTER_ATTRS, Attr

from mapforge.catalog.model import Catalog, Column, ForeignKey, Table
from mapforge.mapping.spec import ColumnMapping, Join, JoinKind, Rule, RuleKind, Target

WIDE_SHARE = 0.03  # ERP-style tables with a hundred spare columns
MASTER = ("master", "mst", "master data", MASTER_ATTRS)


@dataclass(frozen=True)
class Noun:
    domain: str
    phrase: str
    abbr: str

    @property
    def slug(self) -> str:
        return self.phrase.replace(" ", "_")


@dataclass
class TableInfo:
    """What the generator knows about a table beyond its metadata."""

    table: Table
    noun: Noun
    facet: str
    style: str  # readable | abbreviated | cryptic
    attrs: dict[str, str] = field(default_factory=dict)  # column -> phrase rules may quote


@dataclass
class GeneratedTarget:
    target: Target
    needed: set[tuple[str, str]]
    cases: list[str]


@dataclass
class Generated:
    catalog: Catalog
    targets: list[GeneratedTarget]
    info: dict[str, TableInfo]


def generate(tables: int = 2000, targets: int = 200, seed: int = 7) -> Generated:
    """A catalog of `tables` tables and `targets` targets with their needed columns."""
    rng = random.Random(seed)
    infos = _tables(rng, tables)
    catalog = Catalog.of([i.table for i in infos.values()])
    edges = _all_edges(catalog)
    made = [_target(rng, n, edges, infos) for n in range(targets)]
    return Generated(catalog, made, infos)


# --- tables -------------------------------------------------------------------------------


def _nouns() -> list[Noun]:
    return [
        Noun(domain, *entry.split(":")) for domain, entries in DOMAINS.items() for entry in entries
    ]


def _tables(rng: random.Random, count: int) -> dict[str, TableInfo]:
    nouns = _nouns()
    rng.shuffle(nouns)
    per_noun = len(FACETS) + 1
    nouns = nouns[: max(2, math.ceil(count / per_noun))]
    plan = [(n, MASTER) for n in nouns]
    rest = [(n, f) for n in nouns for f in FACETS]
    rng.shuffle(rest)
    plan += rest[: max(0, count - len(plan))]
    masters = {n.abbr: _name(rng, n, MASTER, "readable") for n in nouns}
    infos = [_table(rng, noun, facet, masters, nouns) for noun, facet in plan]
    return {i.table.name.lower(): i for i in infos}


def _name(rng: random.Random, noun: Noun, facet: tuple, style: str) -> str:
    slug, abbr = facet[0], facet[1]
    if style == "readable":
        return noun.slug + "s" if slug == "master" else f"{noun.slug}_{slug}"
    if style == "abbreviated":
        return f"{noun.abbr}_{abbr}"
    return f"{noun.abbr}_{abbr}_{rng.randint(1, 99):02d}"


def _table(
    rng: random.Random, noun: Noun, facet: tuple, masters: dict, nouns: list[Noun]
) -> TableInfo:
    slug, _, comment, attrs = facet
    style = "readable" if slug == "master" else rng.choice(["readable", "abbreviated", "cryptic"])
    name = masters[noun.abbr] if slug == "master" else _name(rng, noun, facet, style)
    info = TableInfo(Table(name=name, schema_name=noun.domain), noun, slug, style)
    cols = [_pk(noun, slug, style)]
    cols += [_attr_column(info, a, noun, own=True) for a in attrs]
    refs = _references(rng, noun, slug, nouns)
    cols += [_fk_column(ref, style) for ref in refs]
    filler = rng.sample(FILLER, rng.randint(9, 17))
    cols += [_attr_column(info, a, noun, commented=rng.random() < 0.8) for a in filler]
    if rng.random() < WIDE_SHARE:
        cols += [
            Column(name=f"spare_{i:03d}", type="VARCHAR", comment=f"spare attribute {i}")
            for i in range(1, rng.randint(80, 140))
        ]
    info.table = info.table.model_copy(
        update={
            "columns": cols,
            "comment": f"{noun.phrase} {comment}",
            "primary_key": [cols[0].name],
            "foreign_keys": [
                ForeignKey(
                    columns=[c.name],
                    ref_table=masters[r.abbr],
                    ref_columns=[_pk_name(r, "readable")],
                )
                for r, c in zip(refs, cols[1 + len(attrs) :], strict=False)
            ],
        }
    )
    return info


def _pk_name(noun: Noun, style: str, slug: str = "master") -> str:
    base = noun.slug if style == "readable" else noun.abbr
    return f"{base}_id" if slug == "master" else f"{base}_{slug}_id"


def _pk(noun: Noun, slug: str, style: str) -> Column:
    what = noun.phrase if slug == "master" else f"{noun.phrase} {slug.replace('_', ' ')} row"
    return Column(
        name=_pk_name(noun, style, slug), type="BIGINT", nullable=False, comment=f"{what} key"
    )


def _references(rng: random.Random, noun: Noun, slug: str, nouns: list[Noun]) -> list[Noun]:
    """Own master first (facet tables), then one or two other masters, same domain preferred."""
    refs = [] if slug == "master" else [noun]
    others = [n for n in nouns if n != noun]
    local = [n for n in others if n.domain == noun.domain]
    for _ in range(rng.randint(1, 2)):
        pool = local if local and rng.random() < 0.7 else others
        pick = rng.choice(pool)
        if pick not in refs:
            refs.append(pick)
    return refs


def _fk_column(ref: Noun, style: str) -> Column:
    # masters are always readable, so the FK column takes the master's PK name
    return Column(
        name=_pk_name(ref, "readable"), type="BIGINT", comment=f"reference to the {ref.phrase}"
    )


def _attr_column(
    info: TableInfo, attr: Attr, noun: Noun, *, own: bool = False, commented: bool = True
) -> Column:
    full, abbr, type_, phrase, tail = attr
    phrase = phrase.format(n=noun.phrase)
    name = full if info.style == "readable" else abbr
    if own and info.facet == "master":  # customer_name, not name
        name = f"{noun.slug}_{name}"
    if commented:
        info.attrs[name] = phrase
    comment = f"{phrase} {tail}".strip() if commented else None
    return Column(name=name, type=type_, comment=comment)


# --- targets ------------------------------------------------------------------------------

LOCAL_RULES = [
    "concatenate the {a} and the {b} with a dash",
    "take the {a}, or the {b} when it is missing",
    "uppercase the {a} and append the {b}",
]
LOOKUP_RULES = [
    "add the {noun}'s {attr}",
    "the {attr} of the {noun}",
    "bring in the {attr} for the {noun}",
    "show the {noun} {attr}, empty when unknown",
]


Edges = dict[str, list[tuple[str, str, str]]]


def _target(
    rng: random.Random, n: int, edges: Edges, infos: dict[str, TableInfo]
) -> GeneratedTarget:
    keys = sorted(infos)
    source = infos[rng.choice(keys)]
    declared = [source]
    joins = []
    hops = edges[source.table.name.lower()]
    if hops and rng.random() < 0.4:
        col, other, other_col = rng.choice(hops)
        declared.append(infos[other.lower()])
        on = f"{source.table.name}.{col} = {other}.{other_col}"
        joins.append(Join(kind=JoinKind.LEFT, table=other, on=on))
    gen = GeneratedTarget(Target(name=f"tgt_{n:03d}", columns=[], joins=joins), set(), [])
    _structured(rng, gen, source)
    for _ in range(rng.randint(1, 3)):
        case = rng.choices(["local", "description", "neighbour"], weights=[3, 4, 3])[0]
        {"local": _local, "description": _description, "neighbour": _neighbour}[case](
            rng, gen, declared, edges, infos
        )
    noun = source.noun.phrase
    gen.target.description = f"{source.noun.domain} reporting view of each {noun}"
    return gen


def _all_edges(catalog: Catalog) -> Edges:
    """Per table, (column, other table, other column) for FK hops in both directions."""
    out: Edges = {k: [] for k in catalog.tables}
    for key, table in catalog.tables.items():
        for fk in table.foreign_keys:
            out[key].append((fk.columns[0], fk.ref_table, fk.ref_columns[0]))
            out[fk.ref_table.lower()].append((fk.ref_columns[0], table.name, fk.columns[0]))
    return {k: sorted(v) for k, v in out.items()}


def _distinctive(info: TableInfo) -> list[str]:
    """Columns only this noun x facet has: facet attributes, or a master's noun attributes."""
    if info.facet == "master":
        names = {f"{info.noun.slug}_{a[0]}" for a in MASTER_ATTRS}
    else:
        own = next(f[3] for f in FACETS if f[0] == info.facet)
        names = {a[0] for a in own} | {a[1] for a in own}
    return sorted(c for c in info.attrs if c in names)


def _quote(info: TableInfo, column: str) -> str:
    """The phrase a rule uses: "the region's name", not "the region's region name"."""
    phrase = info.attrs[column]
    return phrase.removeprefix(info.noun.phrase + " ")


def _structured(rng: random.Random, gen: GeneratedTarget, source: TableInfo) -> None:
    table = source.table
    pk = table.primary_key[0]
    gen.target.columns.append(
        ColumnMapping(name="id", type="BIGINT", source_table=table.name, source_column=pk, key=True)
    )
    others = [c for c in table.columns if c.name != pk and not c.name.startswith("spare_")]
    for col in rng.sample(others, min(len(others), rng.randint(2, 4))):
        gen.target.columns.append(
            ColumnMapping(
                name=f"src_{col.name}",
                type=col.type,
                source_table=table.name,
                source_column=col.name,
            )
        )
    gen.needed |= {(table.name, c.source_column) for c in gen.target.columns if c.source_column}


def _free(
    gen: GeneratedTarget, phrase: str, text: str, case: str, needed: set[tuple[str, str]]
) -> None:
    # analysts name a target column by its meaning, never by the cryptic source column
    name = "_".join(phrase.lower().split())
    if gen.target.column(name) is not None:
        name = f"{name}_{len(gen.target.columns)}"
    gen.target.columns.append(
        ColumnMapping(name=name, type="VARCHAR", rule=Rule(kind=RuleKind.FREE_TEXT, text=text))
    )
    gen.needed |= needed
    gen.cases.append(case)


def _local(rng: random.Random, gen: GeneratedTarget, declared: list[TableInfo], *_: object) -> None:
    info = rng.choice(declared)
    if len(info.attrs) < 2:
        return
    a, b = rng.sample(sorted(info.attrs), 2)
    text = rng.choice(LOCAL_RULES).format(a=info.attrs[a], b=info.attrs[b])
    _free(
        gen,
        f"combined {info.attrs[a]}",
        text,
        "local",
        {(info.table.name, a), (info.table.name, b)},
    )


def _description(
    rng: random.Random,
    gen: GeneratedTarget,
    declared: list[TableInfo],
    edges: Edges,
    infos: dict[str, TableInfo],
) -> None:
    near = {t.table.name.lower() for t in declared}
    for t in declared:
        near |= {o.lower() for _, o, _ in edges[t.table.name.lower()]}
    pool = sorted(
        k for k, i in infos.items() if i.style == "cryptic" and k not in near and _distinctive(i)
    )
    info = infos[rng.choice(pool)]
    column = rng.choice(_distinctive(info))
    text = rng.choice(LOOKUP_RULES).format(noun=info.noun.phrase, attr=_quote(info, column))
    assert info.table.name.lower() not in text.lower()  # the case is "by description only"
    pk = info.table.primary_key[0]
    _free(
        gen,
        _quote(info, column),
        text,
        "description",
        {(info.table.name, column), (info.table.name, pk)},
    )


def _neighbour(
    rng: random.Random,
    gen: GeneratedTarget,
    declared: list[TableInfo],
    edges: Edges,
    infos: dict[str, TableInfo],
) -> None:
    names = {t.table.name.lower() for t in declared}
    hops = [
        (t, e)
        for t in declared
        for e in edges[t.table.name.lower()]
        if e[1].lower() not in names and _distinctive(infos[e[1].lower()])
    ]
    if not hops:
        return
    source, (col, other, other_col) = rng.choice(hops)
    info = infos[other.lower()]
    column = rng.choice(_distinctive(info))
    text = rng.choice(LOOKUP_RULES).format(noun=info.noun.phrase, attr=_quote(info, column))
    needed = {(info.table.name, column), (info.table.name, other_col), (source.table.name, col)}
    _free(gen, _quote(info, column), text, "neighbour", needed)
