"""Where a partitioned Spark table's partitions live: read for SparkEngine's swap safety.

A rename moves a managed table's directory but may leave the catalog's partition locations
at the previous path (see engines/spark.py). These functions list a table's directory and
each partition's (values, location), from the session catalog of a classic session in two
py4j calls, or over Spark Connect (no JVM) with SHOW PARTITIONS and a DESCRIBE per
partition, and tell which partitions lie outside the table's directory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import unquote

from mapforge.engines.spark_catalog import quote
from mapforge.errors import EngineError

Located = tuple[str, list[tuple[str, str]]]  # (table directory, [(values, location), ...])
Stray = tuple[str, str, str]  # (table directory, partition values, location)


def strays(located: Located) -> list[Stray]:
    """The partitions of `located` whose location is not under the table's directory."""
    directory, partitions = located
    root = _norm(directory).rstrip("/") + "/"
    return [
        (directory, values, location)
        for values, location in partitions
        if not _norm(location).startswith(root)
    ]


def jvm_catalog(spark: Any) -> Any | None:
    """The session catalog of a classic session (None over Spark Connect)."""
    # a Connect session raises an AttributeError for JVM attributes
    jsession = getattr(spark, "_jsparkSession", None)
    return None if jsession is None else jsession.sessionState().catalog()


def jvm_ident(spark: Any, schema: str, name: str) -> Any:
    jvm: Any = spark._jvm
    return jvm.org.apache.spark.sql.catalyst.TableIdentifier(name, jvm.scala.Option.apply(schema))


def sql_locations(ref: str, rows: Callable[[str], Sequence[Any]]) -> Located:
    """The same as jvm_locations, through SQL (`rows` runs a statement and collects it).

    Values read `[col=value, ...]` (null is `__HIVE_DEFAULT_PARTITION__`, as in the
    catalog), locations as DESCRIBE shows them.
    """
    partitions = []
    for (text,) in rows(f"show partitions {ref}"):
        # "col=value/col=value", each piece escaped as a directory name (%XX)
        spec = [
            (unquote(k), unquote(v))
            for k, v in (piece.split("=", 1) for piece in str(text).split("/"))
        ]
        clause = ", ".join(f"{quote(k)} = '{_string(v)}'" for k, v in spec)
        described = rows(f"describe table extended {ref} partition ({clause})")
        values = "[" + ", ".join(f"{k}={v}" for k, v in spec) + "]"
        partitions.append((values, _described_location(described)))
    return _described_location(rows(f"describe table extended {ref}")), partitions


_SEPARATOR = "\x00\x1f"  # between partitions in jvm_locations' one string


def jvm_locations(spark: Any, jcatalog: Any, ident: Any) -> Located:
    """The table's directory and its partitions' (values, location), from the session catalog.

    Every py4j call is a round trip (about 1 ms), so the partitions come back as one string,
    each as CatalogTablePartition.toString prints it: a `Partition Values: [...]` line, then
    `Location: ...`. When that cannot be cut apart exactly (a value holding the separator or
    such a line), each partition is asked for its own.
    """
    jvm: Any = spark._jvm
    to_string = jvm.org.apache.spark.sql.catalyst.catalog.CatalogUtils.URIToString
    directory = str(to_string(jcatalog.getTableMetadata(ident).location()))
    partitions = jcatalog.listPartitions(ident, jvm.scala.Option.empty())
    count = partitions.size()
    if not count:
        return directory, []
    found = [
        _printed_partition(text) for text in str(partitions.mkString(_SEPARATOR)).split(_SEPARATOR)
    ]
    if len(found) == count and all(found):
        return directory, [f for f in found if f is not None]
    listed = []
    for partition in jvm.scala.jdk.javaapi.CollectionConverters.asJava(partitions):
        values = str(partition.toLinkedHashMap().apply("Partition Values"))
        listed.append((values, str(to_string(partition.location()))))
    return directory, listed


def _printed_partition(text: str) -> tuple[str, str] | None:
    """(values, location) of one printed CatalogTablePartition, None when ambiguous."""
    lines = text.split("\n\t")
    values = [
        line.removeprefix("Partition Values: ")
        for line in lines
        if line.startswith("Partition Values: ")
    ]
    locations = [line.removeprefix("Location: ") for line in lines if line.startswith("Location: ")]
    if len(values) != 1 or len(locations) != 1:
        return None
    return values[0], locations[0]


def _described_location(rows: Sequence[Any]) -> str:
    """The first `Location` row of DESCRIBE ... EXTENDED (a partition's comes before its table's)."""
    for row in rows:
        if str(row[0]).strip() == "Location":
            return str(row[1])
    raise EngineError("DESCRIBE TABLE EXTENDED showed no Location")


def _string(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _norm(location: str) -> str:
    """`file:///x` and `file:/x` name the same place: compare without the empty authority."""
    return re.sub(r"^([A-Za-z][\w+.-]*):///", r"\1:/", location)
