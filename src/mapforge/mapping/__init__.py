"""Mapping documents: the Spec model, the readers and the rule grammar."""

from mapforge.mapping.spec import (
    ColumnMapping,
    Join,
    JoinKind,
    Load,
    Origin,
    Rule,
    RuleKind,
    Spec,
    Target,
)

__all__ = [
    "ColumnMapping",
    "Join",
    "JoinKind",
    "Load",
    "Origin",
    "Rule",
    "RuleKind",
    "Spec",
    "Target",
]
