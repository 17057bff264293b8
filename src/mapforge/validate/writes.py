"""Statements that write, change schema or run commands: none may hide in generated SQL."""

from __future__ import annotations

from sqlglot import exp

# exp.DDL/exp.DML cover CREATE, INSERT, UPDATE, DELETE, MERGE, COPY; the rest are statements
# sqlglot models on their own. Command is the parser's fallback for syntax it does not know
# (CALL, EXPLAIN, ...): unknown is not safe. Into is `SELECT ... INTO new_table`.
WRITES: tuple[type[exp.Expr], ...] = (
    exp.DDL,
    exp.DML,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Command,
    exp.Into,
    exp.Pragma,
    exp.Set,
    exp.Use,
    exp.Attach,
    exp.Detach,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Grant,
)


def first_write(tree: exp.Expr) -> exp.Expr | None:
    """The first writing node anywhere in the tree, CTE bodies and subqueries included."""
    return next((node for node in tree.walk() if isinstance(node, WRITES)), None)


def describe(node: exp.Expr) -> str:
    """`INSERT`, `CREATE`, or a command's own keyword, for messages."""
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    if isinstance(node, exp.Into):
        return "SELECT ... INTO"
    return node.key.upper()
