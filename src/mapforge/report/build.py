"""Render the report's data into one self-contained HTML file (inline CSS and SVG, no assets)."""

from __future__ import annotations

from pathlib import Path

import jinja2

from mapforge.project import Project
from mapforge.report.data import ReportData, gather

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_NAME = "report.html"


def write_report(project: Project, out: Path | None = None) -> Path:
    """Write the report (default `.mapforge/report.html`) and return its path."""
    path = out if out is not None else project.state_dir / DEFAULT_NAME
    html = render(gather(project))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path


def render(data: ReportData) -> str:
    """The HTML page; every value is escaped by Jinja's autoescape."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # names, rules and failing rows are user data
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["seconds"] = lambda value: f"{float(value or 0):.2f}s"
    env.filters["usd"] = lambda value: f"${float(value or 0):.4f}"
    return env.get_template("report.html.j2").render(data=data)
