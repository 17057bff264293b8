"""The foreign-key graph of a catalog, walked in both directions."""

from __future__ import annotations

from dataclasses import dataclass

from mapforge.catalog.model import Catalog


@dataclass(frozen=True)
class Edge:
    """One FK hop seen from `source`: which columns on each side join the two tables."""

    source: str  # catalog key of the table the hop starts from
    target: str  # catalog key of the neighbour
    source_columns: tuple[str, ...]
    target_columns: tuple[str, ...]


class ForeignKeyGraph:
    """Tables one FK hop apart, whichever side declares the key."""

    def __init__(self, edges: dict[str, list[Edge]]) -> None:
        self._edges = edges

    @classmethod
    def build(cls, catalog: Catalog) -> ForeignKeyGraph:
        """Index every FK whose referenced table exists; the reverse hop is added too."""
        edges: dict[str, list[Edge]] = {}
        for key, table in catalog.tables.items():
            for fk in table.foreign_keys:
                ref = catalog.table(fk.ref_table)
                if ref is None:  # FKs into other databases: nothing to show the model
                    continue
                ref_key = ref.name.lower()
                cols, ref_cols = tuple(fk.columns), tuple(fk.ref_columns)
                edges.setdefault(key, []).append(Edge(key, ref_key, cols, ref_cols))
                edges.setdefault(ref_key, []).append(Edge(ref_key, key, ref_cols, cols))
        for hops in edges.values():
            hops.sort(key=lambda e: (e.target, e.source_columns, e.target_columns))
        return cls(edges)

    def edges(self, key: str) -> list[Edge]:
        """Every hop out of a table, sorted by neighbour name."""
        return self._edges.get(key, [])

    def neighbours(self, keys: set[str]) -> dict[str, str]:
        """{neighbour: the table it hangs off} for tables one hop from `keys`, excluding them."""
        found: dict[str, str] = {}
        for key in sorted(keys):
            for edge in self.edges(key):
                if edge.target not in keys:
                    found.setdefault(edge.target, key)
        return found

    def join_columns(self, keys: set[str]) -> dict[str, set[str]]:
        """Per table, the columns of FKs that link it to another table in `keys`."""
        found: dict[str, set[str]] = {k: set() for k in keys}
        for key in keys:
            for edge in self.edges(key):
                if edge.target in keys and edge.target != key:
                    found[key].update(c.lower() for c in edge.source_columns)
        return found
