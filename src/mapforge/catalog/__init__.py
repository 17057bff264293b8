"""Catalog model and retrieval of the slice a prompt needs."""

from mapforge.catalog.model import Catalog, Column, ForeignKey, Table

__all__ = ["Catalog", "Column", "ForeignKey", "Table"]
