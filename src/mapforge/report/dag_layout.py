"""Lay the target graph out for an inline SVG: one column per dependency level, left to right."""

from __future__ import annotations

from dataclasses import dataclass

from mapforge.pipeline.dag import DAG

CHAR_W = 7.2  # average width of a 12px monospace character
NODE_H, GAP_X, GAP_Y, PAD = 28, 56, 14, 12


@dataclass(frozen=True)
class Node:
    name: str
    status: str
    x: float
    y: float
    w: float
    h: float = NODE_H


@dataclass(frozen=True)
class Edge:
    path: str  # an SVG path: a cubic curve from the upstream's right edge to the downstream's left


@dataclass(frozen=True)
class Layout:
    nodes: list[Node]
    edges: list[Edge]
    width: float
    height: float


def levels(dag: DAG) -> dict[str, int]:
    """0 for a target reading only sources, else one more than its deepest upstream."""
    level: dict[str, int] = {}
    for name in dag.order():  # upstream first, so each level is known when needed
        level[name] = 1 + max((level[u] for u in dag.upstream[name] if u in level), default=-1)
    return level


def layout(dag: DAG, status: dict[str, str]) -> Layout:
    """Node boxes by level and name, and a curve per dependency."""
    by_level: dict[int, list[str]] = {}
    for name, lvl in sorted(levels(dag).items(), key=lambda item: (item[1], item[0])):
        by_level.setdefault(lvl, []).append(name)
    width = max((len(n) for n in dag.upstream), default=4) * CHAR_W + 2 * PAD
    nodes = {
        name: Node(
            name,
            status.get(name, "none"),
            PAD + lvl * (width + GAP_X),
            PAD + i * (NODE_H + GAP_Y),
            width,
        )
        for lvl, names in by_level.items()
        for i, name in enumerate(names)
    }
    edges = [
        _edge(nodes[up], nodes[down])
        for down in sorted(nodes)
        for up in sorted(dag.upstream[down])
        if up in nodes
    ]
    tallest = max((len(names) for names in by_level.values()), default=0)
    total_w = PAD * 2 + len(by_level) * (width + GAP_X) - GAP_X if by_level else 0
    return Layout(
        list(nodes.values()), edges, max(total_w, 0), PAD * 2 + tallest * (NODE_H + GAP_Y) - GAP_Y
    )


def _edge(up: Node, down: Node) -> Edge:
    x1, y1 = up.x + up.w, up.y + up.h / 2
    x2, y2 = down.x, down.y + down.h / 2
    mid = (x1 + x2) / 2
    return Edge(f"M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}")
