"""What a target's mapping declares, as catalog columns: per row, and for the whole target.

Names follow the compiler's reading of the cells: a bare column in a rule operand belongs to
the row's source table (else the driving table); a qualifier may be a table name or a join's
alias; a blank source column of a direct/cast row means the target column's own name.
A cell that does not parse declares nothing here: the MF3xx checks and the compiler report it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from mapforge.catalog.model import Catalog
from mapforge.mapping.spec import ColumnMapping, JoinKind, RuleKind, Target
from mapforge.validate.lineage import Col, bare
from mapforge.validate.predicates import conjuncts


@dataclass(frozen=True)
class Row:
    """One mapping row: the columns its output may read and those it must read.

    `open` rows (free text without a source column, or no source at all) name nothing
    specific: they may read any column of the target's declared tables.
    """

    allowed: frozenset[Col]
    required: frozenset[Col]
    open: bool = False


@dataclass(frozen=True)
class Declared:
    """Everything one target declares."""

    target: Target
    dialect: str
    aliases: dict[str, str]  # lower-cased qualifier -> bare table name

    @classmethod
    def of(cls, target: Target, dialect: str) -> Declared:
        aliases = {bare(t): bare(t) for t in target.source_tables}
        aliases |= {j.alias.lower(): bare(j.table) for j in target.joins if j.alias}
        return cls(target, dialect, aliases)

    @property
    def tables(self) -> frozenset[str]:
        """Bare names of every table the mapping names for this target."""
        return frozenset(bare(t) for t in self.target.source_tables)

    def table_of(self, qualifier: str) -> str:
        return self.aliases.get(qualifier.lower(), bare(qualifier))

    def row_table(self, col: ColumnMapping) -> str | None:
        table = col.source_table or self.target.driving_table
        return bare(table) if table else None

    def parse(self, text: str | None) -> exp.Expr | None:
        """A mapping cell as one SQL expression, None when blank or unparsable."""
        if not text or not text.strip():
            return None
        try:
            return sqlglot.parse_one(text, read=self.dialect)
        except SqlglotError:
            return None

    def columns_in(self, node: exp.Expr | None, default: str | None) -> frozenset[Col]:
        """The columns an expression names; bare ones belong to `default`."""
        if node is None:
            return frozenset()
        found = set()
        for column in node.find_all(exp.Column):
            if isinstance(column.this, exp.Star):
                continue
            if column.find_ancestor(exp.Select) is not None:
                # inside a subquery of the cell: its FROM decides, so accept any table
                found.add(Col(None, column.name.lower()))
            else:
                table = self.table_of(column.table) if column.table else default
                found.add(Col(table, column.name.lower()))
        return frozenset(found)

    def row(self, col: ColumnMapping, catalog: Catalog) -> Row:
        """What one row declares (see `Row`)."""
        return _ROW_BUILDERS.get(col.rule.kind, _expression_row)(self, col, catalog)

    def plumbing(self) -> frozenset[Col]:
        """Columns any output may read: join and lookup keys, filter columns, key columns."""
        found = set(self.join_columns()) | self.columns_in(self.parse(self.target.filter), None)
        for col in self.target.columns:
            found |= self.lookup_keys(col)
        for col in self.target.columns:
            if col.key:
                row = self.row(col, Catalog())
                found |= row.allowed | row.required
        return frozenset(found)

    def join_columns(self) -> frozenset[Col]:
        found: set[Col] = set()
        for join in self.target.joins:
            found |= self.columns_in(self.parse(join.on), bare(join.table))
        return frozenset(found)

    def inner_join_pairs(self) -> frozenset[frozenset[Col]]:
        """`a.x = b.y` pairs of declared inner joins: columns equal on every output row."""
        found = set()
        for join in self.target.joins:
            if join.kind is JoinKind.INNER:
                for conjunct in conjuncts(self.parse(join.on)):
                    cols = self.columns_in(conjunct, bare(join.table))
                    if isinstance(conjunct, exp.EQ) and len(cols) == 2:
                        found.add(frozenset(cols))
        return frozenset(found)

    def lookup_keys(self, col: ColumnMapping) -> frozenset[Col]:
        """The key columns on both sides of a lookup row's join."""
        rule = col.rule
        if rule.kind is not RuleKind.LOOKUP or not rule.lookup_table:
            return frozenset()
        on = self.parse(rule.lookup_on)
        lookup = bare(rule.lookup_table)
        if isinstance(on, exp.Column) and not on.table:
            # a shared key is read from the row's table, unless that is the lookup table
            own = bare(col.source_table) if col.source_table else None
            if own is None or own == lookup:
                own = bare(self.target.driving_table) if self.target.driving_table else None
            return frozenset({Col(own, on.name.lower()), Col(lookup, on.name.lower())})
        return self.columns_in(on, lookup)


def _source_column(declared: Declared, col: ColumnMapping) -> frozenset[Col]:
    table = declared.row_table(col)
    return frozenset(_named_column(declared, name, table) for name in col.source_columns)


def _named_column(declared: Declared, name: str, table: str | None) -> Col:
    """`arrived_at` belongs to the row's table; `trip_stops.arrived_at` names its own."""
    qualifier, _, column = name.rpartition(".")
    owner = declared.table_of(qualifier) if qualifier else table
    return Col(owner, column.strip().lower())


def _direct_row(declared: Declared, col: ColumnMapping, catalog: Catalog) -> Row:
    table = declared.row_table(col)
    if table is None and not col.source_column:
        return Row(frozenset(), frozenset(), open=True)
    required = _source_column(declared, col)
    # a blank source column means the target column's own name (the compiler's reading)
    allowed = required or frozenset({Col(table, col.name.lower())})
    return Row(allowed, required)


def _lookup_row(declared: Declared, col: ColumnMapping, catalog: Catalog) -> Row:
    rule = col.rule
    if not rule.lookup_table:
        return Row(frozenset(), frozenset(), open=True)
    looked_up = Col(bare(rule.lookup_table), (rule.lookup_column or col.name).lower())
    # the row's source column is the lookup key: read in the join, not in the output
    allowed = {looked_up} | _source_column(declared, col) | declared.lookup_keys(col)
    return Row(frozenset(allowed), frozenset({looked_up}))


def _default_row(declared: Declared, col: ColumnMapping, catalog: Catalog) -> Row:
    operands = _operand_columns(declared, col)
    required = _source_column(declared, col)  # default(x) with a source column is coalesce
    return Row(required | operands, required | operands)


def _expression_row(declared: Declared, col: ColumnMapping, catalog: Catalog) -> Row:
    # concat/coalesce/sql: the operands are the truth; the compiler never reads the source
    # column cell for them, so it is allowed but not required
    operands = _operand_columns(declared, col)
    return Row(operands | _source_column(declared, col), operands)


def _free_text_row(declared: Declared, col: ColumnMapping, catalog: Catalog) -> Row:
    required = _source_column(declared, col)
    if not required:
        return Row(frozenset(), frozenset(), open=True)
    return Row(required | _mentioned(declared, col, catalog), required)


def _operand_columns(declared: Declared, col: ColumnMapping) -> frozenset[Col]:
    table = declared.row_table(col)
    found: frozenset[Col] = frozenset()
    for text in col.rule.args:
        found |= declared.columns_in(declared.parse(text), table)
    return found


def _mentioned(declared: Declared, col: ColumnMapping, catalog: Catalog) -> frozenset[Col]:
    """Columns a free-text rule names in prose: `net_amount` or `net amount`.

    Names of other target columns count too ("at least the lifetime value"): the row may
    read whatever those rows declare.
    """
    text = words(col.rule.text)
    found: set[Col] = set()
    for table in declared.tables:
        known = catalog.table(table)
        names = known.column_names if known is not None else []
        found |= {Col(table, n.lower()) for n in names if words(n) in text}
    for other in declared.target.columns:
        if other is not col and words(other.name) in text:
            row = declared.row(other, catalog) if other.rule.structured else None
            found |= (row.allowed if row else frozenset()) | _source_column(declared, other)
    return frozenset(found)


def words(text: str) -> str:
    """Lower-cased, underscores as spaces, padded: `" net amount "` for word-bounded `in`."""
    joined = " ".join(w for w in _NON_WORD.split(text.lower()) if w)
    return f" {joined} "


_NON_WORD = re.compile(r"[\W_]+")

_ROW_BUILDERS = {
    RuleKind.DIRECT: _direct_row,
    RuleKind.CAST: _direct_row,
    RuleKind.LOOKUP: _lookup_row,
    RuleKind.DEFAULT: _default_row,
    RuleKind.FREE_TEXT: _free_text_row,
}
