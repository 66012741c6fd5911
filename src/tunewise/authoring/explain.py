"""`tunewise explain ID`: what a question, node, leaf, check, parameter, source or advice means."""

from __future__ import annotations

import difflib
import textwrap
from typing import Any

from tunewise.authoring.labels import edges
from tunewise.engine.evaluator import outcomes_for
from tunewise.engine.texts import format_value
from tunewise.errors import UsageProblem
from tunewise.escaping import visible
from tunewise.gate.rule_ids import all_gate_rules, gate_rule
from tunewise.ruleset.answers import bound_texts
from tunewise.ruleset.load import walk_records
from tunewise.ruleset.records import (
    AnswerRef,
    AskNode,
    Check,
    ChecksNode,
    Compare,
    FormulaRef,
    Leaf,
    ParamRef,
    RuleSet,
    Scaled,
)


def _owner(loc: tuple[Any, ...], rules: RuleSet) -> str:
    """A readable name for where `loc` sits: a node, a check of a node, or advice."""
    if loc[:2] == ("tree", "nodes"):
        node = rules.tree.nodes[loc[2]]
        if isinstance(node, ChecksNode) and len(loc) > 4 and loc[3] == "checks":
            return f"check {node.checks[loc[4]].id}"
        return f"node {node.id}"
    if loc[:1] == ("advice",):
        return f"advice {rules.advice[loc[1]].id}"
    if loc[:1] == ("tables",):
        return f"table {rules.tables[loc[1]].id}"
    if loc[:1] == ("formulas",):
        return f"formula {rules.formulas[loc[1]].id}"
    if loc[:1] == ("parameters",):
        return f"parameter {rules.parameters[loc[1]].id}"
    if loc[:1] == ("questions",):
        return f"question {rules.questions[loc[1]].id}"
    return str(loc[0])


def _uses(rules: RuleSet, match: Any) -> list[str]:
    found: list[str] = []
    for loc, obj in walk_records(rules):
        if match(obj):
            owner = _owner(loc, rules)
            if owner not in found:
                found.append(owner)
    return found


def _sources(rules: RuleSet, ids: list[str]) -> list[str]:
    return [f"  - {rules.source(s).title}" for s in dict.fromkeys(ids)]


def _shown(lines: list[str]) -> str:
    """The lines as text, each escaped: every line opens with our own words and a custom rule
    set's texts (titles, prompts, help, meanings, reasons, locations) may hold anything, so no
    newline, ESC or bidi control of theirs reaches the terminal."""
    return "".join(visible(line) + "\n" for line in lines)


def explain(rules: RuleSet, ident: str, params: dict[str, Any]) -> str:
    lines: list[str] = []
    report_rule = gate_rule(ident, rules)
    if report_rule is not None:
        # A finding's rule id: what it means, then the rule-set item it is about, if any.
        lines += [f"report rule {report_rule.id} ({report_rule.level}): {report_rule.title}"]
        lines += textwrap.wrap(report_rule.help, 96, initial_indent="  ", subsequent_indent="  ")
        if report_rule.subject is None:
            return _shown(lines)
        return _shown(lines) + "\n" + explain(rules, report_rule.subject, params)
    if rules.has("question", ident):
        q = rules.question(ident)
        lines += [f"question {q.id} ({q.scope}, {q.type})", f"  {q.prompt}"]
        if q.help:
            lines.append(f"  {q.help}")
        if q.choices:
            lines.append("  values:")
            lines += [f"    {c.value:<12} {c.meaning}" for c in q.choices]
        if bound_texts(q):
            lines.append(f"  range: {' and '.join(bound_texts(q))}")
        if q.optional:
            lines.append("  optional")
        used = _uses(
            rules,
            lambda o: (
                (isinstance(o, AskNode) and o.ask == ident)
                or (isinstance(o, (Compare, AnswerRef)) and o.answer == ident)
                or (isinstance(o, Scaled) and o.scaled == ident)
            ),
        )
        lines.append(f"  used by: {', '.join(used) or 'nothing'}")
        if q.sources:
            lines += ["  sources:", *_sources(rules, q.sources)]
    elif rules.has("node", ident):
        node = rules.node(ident)
        kind = {AskNode: "ask node", ChecksNode: "checks node", Leaf: "leaf"}[type(node)]
        lines.append(f"{kind} {node.id}: {node.title}")
        if isinstance(node, AskNode):
            lines.append(f"  asks: {node.ask}")
        if isinstance(node, ChecksNode):
            lines += [f"  check {c.id}: {c.title}" for c in node.checks]
        if isinstance(node, Leaf):
            lines.append(f"  approach: {node.approach}")
            lines += [f"  reason: {r.text}" for r in node.reasons]
            if node.advice:
                lines.append(f"  advice: {', '.join(node.advice)}")
        lines += [f"  [{label}] → {target}" for label, target in edges(node)]
        parents = [n.id for n in rules.tree.nodes if ident in [t for _, t in edges(n)]]
        lines.append(f"  reached from: {', '.join(parents) or '(start)'}")
        cited = [s for _, o in walk_records(node) for s in getattr(o, "sources", None) or []]
        if cited:
            lines += ["  sources:", *_sources(rules, cited)]
    elif (check := _find_check(rules, ident)) is not None:
        lines += [f"check {check.id}: {check.title}", "  fails with:"]
        lines += [f"    - {m.text}" for m in check.fail]
        questions = sorted(outcomes_for(rules, params).reads_of(check))
        lines.append(f"  reads: {', '.join(questions)}")
        cited = [s for _, o in walk_records(check) for s in getattr(o, "sources", None) or []]
        lines += ["  sources:", *_sources(rules, cited)]
    elif rules.has("parameter", ident):
        p = next(x for x in rules.parameters if x.id == ident)
        lines += [
            f"parameter {p.id} ({p.type}) = {format_value(params[p.id])} "
            f"(default {format_value(p.default)})",
            f"  {p.help}",
        ]
        used = _uses(rules, lambda o: isinstance(o, ParamRef) and o.param == ident)
        lines.append(f"  used by: {', '.join(used) or 'texts only'}")
        lines.append(f"  change it with: --param {p.id}=VALUE")
        if p.sources:
            lines += ["  sources:", *_sources(rules, p.sources)]
    elif rules.has("source", ident):
        s = rules.source(ident)
        lines += [f"source {s.id} ({s.kind}): {s.title}"]
        if s.location:
            lines.append(f"  location: {s.location}")
        used = _uses(rules, lambda o: ident in (getattr(o, "sources", None) or []))
        lines.append(f"  cited by: {', '.join(used)}")
    elif rules.has("advice", ident):
        a = rules.advice_list(ident)
        lines.append(f"advice {a.id}: {a.title}")
        lines += [f"  {o.value}: {o.text}" for o in a.options]
    elif rules.has("formula", ident) or rules.has("table", ident):
        lines += _explain_computed(rules, ident)
    else:
        values = [(q.id, c) for q in rules.questions for c in q.choices or [] if c.value == ident]
        if values:
            return _shown([f"value {ident} of question {qid}: {c.meaning}" for qid, c in values])
        raise UsageProblem(_unknown(rules, ident))
    return _shown(lines)


def _explain_computed(rules: RuleSet, ident: str) -> list[str]:
    """A formula (what it computes, what it reads) or a dated table (its rows)."""
    if rules.has("formula", ident):
        f = rules.formula(ident)
        unit = f" ({f.unit})" if f.unit else ""
        lines = [f"formula {f.id}{unit}: {f.help or 'a value the rule set computes'}"]
        reads = outcomes_for(rules, {p.id: p.default for p in rules.parameters}).reads_of(f.value)
        lines.append(f"  reads: {', '.join(reads) or 'parameters only'}")
        used = _uses(rules, lambda o: isinstance(o, FormulaRef) and o.formula == ident)
        lines.append(f"  used by: {', '.join(used) or 'texts only'}")
        return lines + (["  sources:", *_sources(rules, f.sources)] if f.sources else [])
    t = rules.table(ident)
    dated = f", prices as of {t.as_of}" if t.as_of else ""
    lines = [f"table {t.id}{dated}: {t.title or 'rows keyed by ' + t.key}", f"  key: {t.key}"]
    for row in t.rows:
        cells = ", ".join(f"{c} {format_value(row[c])}" for c in t.columns)
        lines.append(f"  from {format_value(row['from'])}: {cells}")
    return lines + (["  sources:", *_sources(rules, t.sources)] if t.sources else [])


def _find_check(rules: RuleSet, ident: str) -> Check | None:
    for node in rules.tree.nodes:
        if isinstance(node, ChecksNode):
            for check in node.checks:
                if check.id == ident:
                    return check
    return None


def all_ids(rules: RuleSet) -> list[str]:
    ids = [q.id for q in rules.questions] + [n.id for n in rules.tree.nodes]
    ids += [c.id for n in rules.tree.nodes if isinstance(n, ChecksNode) for c in n.checks]
    ids += [p.id for p in rules.parameters] + [s.id for s in rules.sources]
    ids += [a.id for a in rules.advice]
    ids += [f.id for f in rules.formulas] + [t.id for t in rules.tables]
    ids += [c.value for q in rules.questions for c in q.choices or []]
    return ids


def _unknown(rules: RuleSet, ident: str) -> str:
    known = all_ids(rules) + [r.id for r in all_gate_rules(rules)]
    close = difflib.get_close_matches(ident, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"explain: no question, node, check, parameter, source or advice called {ident!r}{hint}"
