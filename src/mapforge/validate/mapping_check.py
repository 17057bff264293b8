"""The mapping against the catalog, before any model is called (`mapforge check`).

Each check reads one target and the known tables (the catalog plus every target's contract:
targets read targets) and returns findings that name the mapping cell to edit.
"""

from __future__ import annotations

from typing import Protocol

from mapforge.catalog.compose import planning_catalog
from mapforge.catalog.model import Catalog
from mapforge.mapping.spec import Spec, Target
from mapforge.validate.findings import Finding
from mapforge.validate.mapping_dependencies import check_dependencies
from mapforge.validate.mapping_lookups import check_lookups
from mapforge.validate.mapping_sources import check_source_columns, check_source_tables
from mapforge.validate.mapping_types import check_source_types


class MappingCheck(Protocol):
    """One mapping check: a target and the known tables in, findings out."""

    def __call__(self, target: Target, known: Catalog) -> list[Finding]: ...


MAPPING_CHECKS: tuple[MappingCheck, ...] = (
    check_source_tables,
    check_source_columns,
    check_source_types,
    check_lookups,
    check_dependencies,
)


def check_mapping(spec: Spec, catalog: Catalog) -> list[Finding]:
    """Every MF3xx finding for the spec, target by target, in check order."""
    known = planning_catalog(catalog, spec)
    return [
        found
        for target in spec.targets
        for check in MAPPING_CHECKS
        for found in check(target, known)
    ]
