"""The catalog a plan sees: the database's tables plus every target's contract."""

from __future__ import annotations

from mapforge.catalog.model import Catalog, Column, Table
from mapforge.mapping.spec import Spec, Target


def target_table(target: Target) -> Table:
    """A target as the table its mapping promises (name, columns, types, key)."""
    columns = [
        Column(name=c.name, type=c.type, nullable=c.nullable, comment=c.description or None)
        for c in target.columns
    ]
    return Table(
        name=target.name,
        kind="target",
        columns=columns,
        primary_key=target.key,
        comment=target.description or None,
    )


def planning_catalog(database: Catalog, spec: Spec) -> Catalog:
    """Database tables, with each target replaced by its mapping contract.

    Targets already built in the database would otherwise change the catalog hash after
    every run; the contract is what downstream SQL may rely on anyway.
    """
    names = {t.name.lower() for t in spec.targets}
    tables = [t for key, t in database.tables.items() if key not in names]
    tables += [target_table(t) for t in spec.targets]
    return Catalog.of(tables, database.dialect)


def declared_slice(target: Target, catalog: Catalog) -> Catalog:
    """The tables the mapping declares for a target (sources, joins, lookups)."""
    return catalog.slice(target.source_tables)
