"""The target graph: edges from the lock (targets reading targets) and declared depends_on."""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

from mapforge.errors import PipelineError
from mapforge.lock import Lock


class DAG:
    def __init__(self, edges: dict[str, set[str]]) -> None:
        self.upstream = {name: set(deps) for name, deps in edges.items()}
        self.downstream: dict[str, set[str]] = {name: set() for name in edges}
        for name, deps in edges.items():
            for dep in deps:
                self.downstream.setdefault(dep, set()).add(name)

    @classmethod
    def from_lock(cls, lock: Lock) -> DAG:
        by_lower = {name.lower(): name for name in lock.targets}
        edges = {
            name: {by_lower[d.lower()] for d in entry.depends_on if d.lower() in by_lower}
            for name, entry in lock.targets.items()
        }
        return cls(edges)

    def order(self) -> list[str]:
        """Targets in dependency order; ties broken by name so runs are reproducible."""
        sorter = TopologicalSorter({n: sorted(d) for n, d in sorted(self.upstream.items())})
        try:
            sorter.prepare()
        except CycleError as exc:
            cycle = " -> ".join(exc.args[1])
            raise PipelineError(
                f"the targets form a cycle: {cycle}", hint="remove one of these dependencies"
            ) from None
        ordered: list[str] = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready())
            ordered += ready
            sorter.done(*ready)
        return ordered

    def ancestors(self, name: str) -> set[str]:
        return _walk(name, self.upstream)

    def descendants(self, name: str) -> set[str]:
        return _walk(name, self.downstream)


def _walk(start: str, graph: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(graph.get(start, ()))
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack += graph.get(node, ())
    return seen
