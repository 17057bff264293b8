"""`mapforge report`: one self-contained HTML page about the project's targets and last run."""

from mapforge.report.build import write_report

__all__ = ["write_report"]
