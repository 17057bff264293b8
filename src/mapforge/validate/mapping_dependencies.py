"""MF305 mapping-unknown-dependency: depends_on names something that will never exist."""

from __future__ import annotations

from mapforge.catalog.model import Catalog
from mapforge.mapping.spec import Target
from mapforge.validate.did_you_mean import hint
from mapforge.validate.findings import Finding
from mapforge.validate.mapping_origin import mapping_finding


def check_dependencies(target: Target, known: Catalog) -> list[Finding]:
    """MF305 for each depends_on entry that is neither a target nor a catalog table."""
    names = [t.name for t in known.tables.values()]
    return [
        mapping_finding(
            "MF305",
            target,
            f"depends on '{name}', which is neither a target nor a catalog table",
            hint=hint(name, names, "tables and targets"),
        )
        for name in target.depends_on
        if not known.has_table(name)
    ]
