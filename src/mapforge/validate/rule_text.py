"""MF410-MF414: the SQL of a free-text column honours what its rule text states.

A free-text rule (`'high' when lifetime value is at least 1000`) is prose for the model, but
some of it is checkable: quoted literals and numbers must appear in the column's SQL (MF410),
a named aggregate must be the one used (MF411), `at least 1000` must be a `>=` test (MF412),
`non-returned` must be a negated test on 'returned' (MF413), `rounded to 2 decimals` must
not round or cast to another precision (MF414). The column's SQL is its reach
(rule_reach.py): its expression, the CTEs it reads, and the filters that shape them.

Tolerance, because a false alarm costs a repair round: only free-text rows are read; only
unambiguous phrasings become terms (rule_terms.py); a column whose lineage sqlglot cannot
build is not checked. A rule that names another target column (`lifetime value`) also
carries that column's aggregates and negations: the SQL recomputes or reads it.
"""

from __future__ import annotations

from sqlglot import exp

from mapforge.mapping.spec import RuleKind
from mapforge.validate.findings import Finding
from mapforge.validate.lineage import Lineage
from mapforge.validate.query import Query, unique
from mapforge.validate.rule_aggregates import check_aggregates
from mapforge.validate.rule_negation import check_negations
from mapforge.validate.rule_reach import Reach, comparison, complement, in_case, in_type, number
from mapforge.validate.rule_subject import Subject, subjects
from mapforge.validate.rule_terms import Number


def check_rule_text(query: Query) -> list[Finding]:
    """MF410-MF414 for every free-text output column."""
    free = any(c.rule.kind is RuleKind.FREE_TEXT for c in query.target.columns)
    lineage = Lineage.of(query) if free else None
    if lineage is None:
        return []
    checks = (check_values, check_comparisons, check_precision, check_aggregates, check_negations)
    findings: list[Finding] = []
    for subject in subjects(query, lineage):
        for check in checks:
            findings += check(subject)
    return unique(findings)


# -- MF410 rule-literal-missing -------------------------------------------------------------


def check_values(subject: Subject) -> list[Finding]:
    """Each quoted literal and each number of the rule appears in the column's SQL."""
    strings = {str(n.this).lower() for n in subject.reach.nodes() if _is_string(n)}
    findings = []
    for literal in sorted(subject.terms.literals - strings):
        message = f"the rule of '{subject.col.name}' names '{literal}'; its SQL never uses it"
        findings.append(subject.finding("MF410", message, f"use the literal '{literal}'"))
    for stated in subject.terms.numbers:
        if not _has_number(subject.reach, stated):
            message = f"the rule of '{subject.col.name}' says {stated.text}; its SQL does not"
            hint = f"use {stated.text} as the rule states (not a neighbouring value)"
            findings.append(subject.finding("MF410", message, hint))
    return findings


def _is_string(node: exp.Expr) -> bool:
    return isinstance(node, exp.Literal) and node.is_string


def numbers_in(reach: Reach) -> set[object]:
    """The numeric literals of a reach, leaving out type parameters."""
    return {v for n in reach.nodes() if (v := number(n)) is not None and not in_type(n)}


def _has_number(reach: Reach, stated: Number) -> bool:
    found = numbers_in(reach)
    if found & stated.accepted():
        return True
    if stated.percent and stated.value in found and 100 in found:
        return True  # x * 10 / 100
    # `0 when there are none` is what count() returns without a literal
    return stated.value == 0 and any(isinstance(n, exp.Count | exp.CountIf) for n in reach.nodes())


# -- MF412 rule-comparison-mismatch ---------------------------------------------------------


def check_comparisons(subject: Subject) -> list[Finding]:
    """`at least 1000` is a `>=` test on 1000 (or, in a CASE, its complement)."""
    findings = []
    for stated in subject.terms.numbers:
        if stated.comparison is None:
            continue
        tests = _tests_on(subject.reach, stated)
        want = stated.comparison
        if tests and not any(op == want or (case and op == complement(want)) for op, case in tests):
            used = ", ".join(sorted({op for op, _ in tests}))
            message = (
                f"the rule of '{subject.col.name}' tests {want} {stated.text}; its SQL tests "
                f"{used} {stated.text}"
            )
            findings.append(subject.finding("MF412", message, f"compare with {want} {stated.text}"))
    return findings


def _tests_on(reach: Reach, stated: Number) -> list[tuple[str, bool]]:
    tests = []
    for node in reach.nodes():
        found = comparison(node)
        if found is not None and number(found[1]) in stated.accepted():
            tests.append((found[0], in_case(node)))
    return tests


# -- MF414 rule-precision-mismatch ----------------------------------------------------------


def check_precision(subject: Subject) -> list[Finding]:
    """`rounded to 2 decimals`/`to cents`: no round() or final cast to another precision."""
    wanted = subject.terms.decimals
    if wanted is None:
        return []
    digits = {_round_digits(n) for n in subject.reach.value_nodes() if isinstance(n, exp.Round)}
    scale = _final_scale(subject.reach.values[0])
    if (digits and wanted not in digits) or (scale is not None and scale < wanted):
        got = sorted(d for d in digits | {scale} if d is not None)
        message = (
            f"the rule of '{subject.col.name}' asks for {wanted} decimals; its SQL keeps "
            f"{', '.join(map(str, got))}"
        )
        hint = f"round to {wanted} decimals and keep a type with {wanted} decimals"
        return [subject.finding("MF414", message, hint)]
    return []


def _round_digits(node: exp.Round) -> int | None:
    places = node.args.get("decimals")
    value = number(places) if places is not None else 0
    return int(value) if value is not None else None


def _final_scale(projection: exp.Expr) -> int | None:
    """The decimals the outermost cast keeps: 0 for integers, the scale of a DECIMAL."""
    node = projection.unalias().unnest()
    if not isinstance(node, exp.Cast) or not isinstance(node.to, exp.DataType):
        return None
    if node.to.is_type(*exp.DataType.INTEGER_TYPES):
        return 0
    params = node.to.expressions
    if node.to.is_type(exp.DataType.Type.DECIMAL) and len(params) == 2:
        value = number(params[1].this) if isinstance(params[1], exp.DataTypeParam) else None
        return int(value) if value is not None else None
    return None
