"""mapforge: mapping documents + live metadata -> validated, locked SQL -> tested pipelines."""

__version__ = "0.1.0"
