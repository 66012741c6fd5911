"""Fuzzing: any input gives a clear error or a decision, never a crash.

Runs a few thousand generated inputs in the normal test run; set TUNEWISE_FUZZ=long for a
longer search (ten times as many)."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, run_cli
from tunewise.authoring.lint import lint
from tunewise.commands.advise import decide_profile
from tunewise.errors import TunewiseError
from tunewise.evidence.dataset import measure
from tunewise.gate.judge import Gate
from tunewise.inputs.profile import load_profile
from tunewise.reporters import ADVICE_FORMATS, render
from tunewise.ruleset.load import load_rules

LONG = os.environ.get("TUNEWISE_FUZZ") == "long"
SCALE = 10 if LONG else 1


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        derandomize=not LONG,
        suppress_health_check=list(HealthCheck),
    )


DOCUMENTED = {0, 1, 2, 3, 4}
RULES = load_rules()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["yes", "no", "on", ".nan", "facts", "failed", "1e309"]),
)
yaml_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "tunewise",
                    "needs",
                    "project",
                    "id",
                    "kind",
                    "examples",
                    "x",
                    "proposal",
                    "waiver",
                    "evidence",
                    "prompting",
                    "name",
                ]
            )
            | st.text(max_size=8),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


def clean_failure(result: Any, path: Path, in_report: bool = False) -> None:
    assert result.code in DOCUMENTED, (result.code, result.err)
    assert "Traceback" not in result.err
    if result.code == 3 and in_report:  # `check` reports an invalid profile as status "error"
        files = json.loads(result.out)["files"]
        assert files[0]["status"] == "error" and files[0]["findings"]
    elif result.code == 3:
        lines = result.err.strip().splitlines()
        assert lines and all(line.startswith("tunewise: ") for line in lines), result.err


WORKDIR = Path(tempfile.mkdtemp(prefix="tunewise-fuzz-"))


def judge_file(content: bytes, name: str = "p.tunewise.yaml") -> tuple[int, str]:
    """What `advise` does with a file, minus the argument parser: (exit code, output)."""
    path = WORKDIR / name
    path.write_bytes(content)
    try:
        profile = load_profile(path, RULES.model)
    except TunewiseError as exc:
        assert exc.exit_code == 3
        assert all("\n" not in line and line.startswith(str(path)) for line in exc.lines), exc.lines
        return 3, "\n".join(exc.lines)
    decision = decide_profile(RULES, profile)
    output = render(ADVICE_FORMATS, "json", decision)
    return (4 if decision.verdict == "undecided" else 0), output


@fuzz(600)
@given(st.binary(max_size=300))
def test_random_bytes_as_profile(data: bytes) -> None:
    judge_file(data)


@fuzz(800)
@given(yaml_values)
def test_random_yaml_as_profile(value: Any) -> None:
    code, output = judge_file(yaml.safe_dump(value, allow_unicode=True).encode("utf-8"))
    assert judge_file(yaml.safe_dump(value, allow_unicode=True).encode("utf-8")) == (code, output)


# Plain tokens that YAML 1.1 may read as numbers, times or nulls (`0b_` once crashed the reader).
number_like = st.builds(
    "{}{}".format,
    st.sampled_from(["", "0", "0b", "0x", "0o", "+", "-", "1:", ".", "~"]),
    st.text(alphabet="_019afAF.:eE+-", max_size=5),
).filter(bool)


@fuzz(400)
@given(number_like, st.sampled_from(["examples", "budget_usd", "expected_gain_pct", "id"]))
def test_number_like_tokens_as_answers(token: str, key: str) -> None:
    place = "  - " if key == "id" else "  "
    section = "needs:\n" if key == "id" else "needs:\n  - id: a\n    kind: style\nproject:\n"
    text = f"tunewise: 1\n{section}{place}{key}: {token}\n"
    if key == "id":
        text += "    kind: general\n"
    code, output = judge_file(text.encode("utf-8"))
    assert code in DOCUMENTED and output


@fuzz(30)
@given(yaml_values)
def test_random_yaml_through_the_cli(tmp_path_factory: Any, value: Any) -> None:
    text = yaml.safe_dump(value, allow_unicode=True)
    path = _write(tmp_path_factory.mktemp("y"), "p.tunewise.yaml", text.encode("utf-8"))
    clean_failure(run_cli("advise", str(path)), path)
    clean_failure(run_cli("check", str(path), "--format", "json"), path, in_report=True)


def _write(tmp: Path, name: str, content: bytes) -> Path:
    path = tmp / name
    path.write_bytes(content)
    return path


def _load_rules(content: bytes) -> None:
    path = WORKDIR / "rules.yaml"
    path.write_bytes(content)
    try:
        lint(load_rules(path))
    except TunewiseError as exc:
        assert exc.exit_code == 3 and all("\n" not in line for line in exc.lines)


@fuzz(150)
@given(yaml_values)
def test_random_yaml_as_rules(value: Any) -> None:
    _load_rules(yaml.safe_dump(value, allow_unicode=True).encode("utf-8"))


DEFAULT_TEXT = (ROOT / "rules" / "default.yaml").read_text(encoding="utf-8")


@fuzz(100)
@given(st.integers(0, len(DEFAULT_TEXT) - 1), st.text(max_size=6))
def test_mutated_default_rules(at: int, insert: str) -> None:
    text = DEFAULT_TEXT[:at] + insert + DEFAULT_TEXT[at + len(insert) :]
    _load_rules(text.encode("utf-8"))


@fuzz(300)
@given(
    st.lists(
        st.one_of(st.binary(max_size=60), yaml_values.map(json.dumps).map(str.encode)), max_size=8
    )
)
def test_random_datasets(lines: list[bytes]) -> None:
    path = WORKDIR / "d.jsonl"
    path.write_bytes(b"\n".join(lines))
    stats = measure(path)
    assert stats.valid == stats.unique + stats.duplicates
    assert stats.records >= stats.valid + stats.invalid + stats.empty_outputs


def _answer(question: Any) -> st.SearchStrategy[Any]:
    if question.type == "choice":
        return st.sampled_from(question.values)
    if question.type == "bool":
        return st.booleans()
    low = question.min if question.min is not None else 0
    if question.type == "integer":
        return st.integers(int(low) + question.min_exclusive, 20_000)
    floats = st.floats(float(low), 200_000, allow_nan=False, allow_infinity=False)
    return floats.filter(lambda v: v > low) if question.min_exclusive else floats


NEED_QS = [q for q in RULES.model.questions if q.scope == "need"]
PROJECT_QS = [q for q in RULES.model.questions if q.scope == "project"]


@st.composite
def valid_profiles(draw: Any) -> dict[str, Any]:
    needs = []
    for index in range(draw(st.integers(1, 3))):
        need: dict[str, Any] = {"id": f"n{index}"}
        for question in NEED_QS:
            if draw(st.booleans()) or question.id == "kind":
                need[question.id] = draw(_answer(question))
        needs.append(need)
    project = {q.id: draw(_answer(q)) for q in PROJECT_QS if draw(st.integers(0, 4))}
    profile: dict[str, Any] = {"tunewise": 1, "needs": needs, "project": project}
    proposal = draw(st.sampled_from([None, "prompt", "rag", "fine-tune", "hybrid"]))
    if proposal:
        profile["proposal"] = proposal
    return profile


@fuzz(500)
@given(valid_profiles())
def test_valid_profiles_decide_deterministically(profile: dict[str, Any]) -> None:
    content = yaml.safe_dump(profile, sort_keys=False).encode("utf-8")
    code, output = judge_file(content)
    assert code in (0, 4)
    assert judge_file(content) == (code, output)
    assert (code == 4) == (json.loads(output)["verdict"] == "undecided")
    result = GATE.judge(WORKDIR / "p.tunewise.yaml")
    assert result.status in ("pass", "fail")


GATE = Gate(RULES)


@fuzz(25)
@given(valid_profiles())
def test_valid_profiles_through_the_cli(tmp_path_factory: Any, profile: dict[str, Any]) -> None:
    path = _write(
        tmp_path_factory.mktemp("v"),
        "p.tunewise.yaml",
        yaml.safe_dump(profile, sort_keys=False).encode("utf-8"),
    )
    first = run_cli("advise", str(path), "--format", "json")
    assert first.code in (0, 4), first.err
    assert run_cli("advise", str(path), "--format", "json").out == first.out
    assert run_cli("check", str(path), "--format", "json").code in (0, 1)


@fuzz(25)
@given(valid_profiles())
def test_ask_from_a_complete_profile_saves_the_same_answers(
    tmp_path_factory: Any, profile: dict[str, Any]
) -> None:
    folder = tmp_path_factory.mktemp("a")
    source = _write(folder, "in.yaml", yaml.safe_dump(profile, sort_keys=False).encode("utf-8"))
    advised = run_cli("advise", str(source), "--format", "json")
    checks = [c for n in json.loads(advised.out or "{}").get("needs", []) for c in n["checks"]]
    if advised.code != 0 or any(c["status"] == "unknown" for c in checks):
        return  # `ask` would ask for the missing answers (every check's): the ask tests
    saved = folder / "out.yaml"
    # Optional questions the walk reaches are offered once; Enter skips them.
    result = run_cli("ask", "--profile", str(source), "--save", str(saved), stdin="\n" * 8)
    assert result.code == 0, result.err
    again = json.loads(run_cli("advise", str(saved), "--format", "json").out)
    assert again["verdict"] == json.loads(advised.out)["verdict"]
    loaded = yaml.safe_load(saved.read_text(encoding="utf-8"))
    for need_in, need_out in zip(profile["needs"], loaded["needs"], strict=True):
        assert {k: v for k, v in need_out.items() if k in need_in} == {
            k: v for k, v in need_in.items() if k in need_out
        }


# --- hostile profile text: aliases, YAML 1.1 numbers, tags, control characters, huge scalars --

HOSTILE_NUMBERS = [
    "0700",
    "-0700",
    "+0700",
    "00",
    "0_7",
    "1:30:00",
    "-1:30",
    "190:20:30.15",
    "0x1F",
    "0b101",
    "0o17",
    "1_000",
    "1e309",
    "-1e309",
    ".inf",
    "-.Inf",
    ".NaN",
    "0.",
    "1e3",
    "9" * 400,
    "0b_",
    "0x_",
    "~",
    "null",
    "yes",
    "No",
    "ON",
    "2027-02-30",
    "2027-03-01",
    "2001-12-14t21:59:43.10-05:00",
]
HOSTILE_TAGS = [
    "!!python/object/apply:os.system ['true']",
    "!!python/name:os.system",
    "!!binary aGVsbG8=",
    "!!set {a: null}",
    "!!omap [a: 1]",
    "!!pairs [a: 1]",
    "!!timestamp 2001-12-14",
    "!custom x",
    "!!str 0700",
    "!!int 0700",
    "!!int 1:30",
    "!!float 1:30:00.5",
    "!!int 1e3",
    "!!bool yes",
    "!!null ''",
    "!<tag:yaml.org,2002:int> 12",
    "!!merge <<",
    "!!value =",
    "!!int",
    "!!map {}",
]
# Double-quoted YAML escapes: control characters, line and paragraph separators, bidi controls,
# terminal sequences, a lone surrogate, NUL.
HOSTILE_ESCAPES = [
    "\\0",
    "\\a",
    "\\e[31mRED",
    "\\e]8;;http://x\\a",
    "\\x85",
    "\\u2028",
    "\\u2029",
    "\\u202e",
    "\\u200b",
    "\\ud800",
    "\\uffff",
    "\\ufeff",
    "\\r\\n##vso[task.setvariable]x",
    "\\N",
    "\\_",
]
CONTROL_CHARACTERS = "".join(map(chr, [*range(32), 127, 0x85, 0x2028, 0x202E, 0xFEFF]))


@st.composite
def hostile_scalars(draw: Any) -> str:
    """One YAML value as text: ordinary, number-like, tagged, escaped, raw control, huge."""
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return draw(st.sampled_from(["facts", "style", "failed", "true", "12", "text with spaces"]))
    if kind == 1:
        return draw(st.sampled_from(HOSTILE_NUMBERS))
    if kind == 2:
        return draw(st.sampled_from(HOSTILE_TAGS))
    if kind == 3:
        return '"' + "".join(draw(st.lists(st.sampled_from(HOSTILE_ESCAPES), max_size=4))) + '"'
    if kind == 4:
        return draw(st.text(alphabet=CONTROL_CHARACTERS + "ab :#-", min_size=1, max_size=8))
    if kind == 5:
        return "x" * draw(st.sampled_from([1, 1000, 100_000, 400_000]))
    return draw(st.sampled_from(["*big", "*project", "*nothing", "[*big, *big]"]))


@st.composite
def hostile_profiles(draw: Any) -> bytes:
    """A profile shaped like a real one, each value slot usually ordinary and sometimes
    hostile (so runs reach the decision and the reports too), with anchors to alias (a big
    scalar, a need, the project) and aliases repeated many times."""

    def v(ordinary: str) -> str:
        return ordinary if draw(st.integers(0, 12)) < 12 else draw(hostile_scalars())

    # Many needs: the what-if search costs ~10 ms a need (more on a loaded machine), so the
    # count stays well inside the time limit; aliases still repeat a scalar 120 times.
    copies = draw(st.sampled_from([0, 2, 50, 120]))
    copy = f"kind: {v('general')}, description: {v('*big')}"
    extra_needs = "".join(f"  - {{id: n{i}, {copy}}}\n" for i in range(copies))
    text = (
        f"tunewise: {v('1')}\n"
        f"name: &big {v('Law firm')}\n"
        f"proposal: {v('fine-tune')}\n"
        "needs:\n"
        f"  - id: {v('a')}\n"
        f"    kind: {v('style')}\n"
        f"    prompting: {v('failed')}\n"
        f"    description: {v('Summaries in our house style')}\n"
        f"{extra_needs}"
        "project: &project\n"
        f"  stage: {v('production')}\n"
        f"  examples: {v('2400')}\n"
        f"  data_quality: {v('high')}\n"
        f"  expected_gain_pct: {v('30')}\n"
        f"  budget_usd: {v('15000')}\n"
        f"  ml_expertise: {v('some')}\n"
        f"  can_maintain: {v('true')}\n"
        f"  eval_plan: {v('true')}\n"
        f"  data_may_leave: {v('true')}\n"
        "waiver:\n"
        f"  reason: {v('Approved in the architecture review; contract requires it.')}\n"
        f"  approved_by: {v('jane.doe')}\n"
        f"  expires: {v((dt.date.today() + dt.timedelta(days=30)).isoformat())}\n"
        f"  needs: {v('[a]')}\n"
    )
    return text.encode("utf-8", "surrogatepass")


@fuzz(80)
@given(hostile_profiles())
def test_hostile_profiles_through_advise_and_check(content: bytes) -> None:
    """Never exit 70, never a hang: a clear exit-3 line or a decision, quickly."""
    import time

    path = WORKDIR / "hostile.tunewise.yaml"
    path.write_bytes(content)
    for args in (["advise", str(path), "--format", "json"], ["check", str(path)]):
        started = time.monotonic()
        result = run_cli(*args)
        assert time.monotonic() - started < 10, args
        assert result.code in DOCUMENTED, (args, result.code, result.err[-2000:])
        assert "Traceback" not in result.err


@fuzz(100)
@given(
    st.integers(1, 400_000),
    st.lists(st.integers(1, 60), min_size=1, max_size=6),
)
def test_alias_chains_are_bounded_by_expanded_size(size: int, fanouts: list[int]) -> None:
    """An anchor aliased `fanout` times, that list aliased again, and so on: parsing either
    builds a document of bounded expanded size or stops with a located error, quickly."""
    import time

    from tunewise.inputs import yamlio

    lines = [f"a0: &a0 {'x' * size}"]
    for level, fanout in enumerate(fanouts, 1):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * fanout)}]")
    text = "\n".join(lines) + "\n"
    expanded = size
    for fanout in fanouts:
        expanded *= fanout
    started = time.monotonic()
    try:
        yamlio.parse_yaml(text, "aliases.yaml")
    except TunewiseError as exc:
        assert "aliases expand" in exc.lines[0] and ":" in exc.lines[0]
    else:
        assert expanded <= yamlio.MAX_EXPANDED_BYTES
    assert time.monotonic() - started < 5
