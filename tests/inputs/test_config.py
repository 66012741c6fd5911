"""Configuration files: where they are found, what they change, and how bad ones are reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import EXAMPLES, PASSING_PROJECT, ROOT, profile_dict, run_cli
from tunewise.errors import InputError
from tunewise.inputs import config

# A profile whose proposal disagrees with the verdict: a warning, which `strict` makes fail.
DISAGREE = profile_dict([{"id": "a", "kind": "general"}], proposal="rag")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_profile: Any) -> Path:
    """A project folder with one disagreeing profile, as the current folder."""
    write_profile(DISAGREE, "tunewise.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check_code(*args: str) -> int:
    return run_cli("check", *args).code


def test_pyproject_table_changes_the_outcome(project: Path) -> None:
    assert check_code() == 0
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.tunewise]\nstrict = true\n', encoding="utf-8"
    )
    assert check_code() == 1
    assert check_code("--no-strict") == 0, "a flag wins over the configuration"
    assert check_code("--isolated") == 0
    assert run_cli("--isolated", "check").code == 0, "global options go before the command too"


def test_pyproject_without_the_table_is_not_a_configuration(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.ruff]\nline-length = 1\n", encoding="utf-8")
    (project / "sub").mkdir()
    assert config.find(project / "sub") is None


def test_found_upward_and_nearest_wins(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "tunewise.toml").write_text("strict = true\n", encoding="utf-8")
    inner = project / "team"
    inner.mkdir()
    (inner / "tunewise.toml").write_text("strict = false\n", encoding="utf-8")
    (inner / ".tunewise.toml").write_text("quiet = true\n", encoding="utf-8")
    assert config.find(inner) == (inner / ".tunewise.toml").resolve()
    assert config.find(project) == (project / "tunewise.toml").resolve()
    monkeypatch.chdir(inner)
    assert check_code(str(project)) == 0, "team/.tunewise.toml is nearest: no strict"
    monkeypatch.chdir(project)
    assert check_code() == 1


def test_explicit_config_file(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    other = tmp_path_factory.mktemp("elsewhere") / "ci.toml"
    other.write_text("strict = true\n", encoding="utf-8")
    assert check_code("--config", str(other)) == 1
    assert run_cli("--config", str(other), "check").code == 1


def test_rules_and_params_relative_to_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    law = str(EXAMPLES / "law-firm.tunewise.yaml")
    settings_dir = tmp_path / "settings"
    settings_dir.mkdir()
    (settings_dir / "custom.yaml").write_text(
        (ROOT / "rules" / "default.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (settings_dir / "tunewise.toml").write_text(
        'rules = "custom.yaml"\n\n[params]\nmin_examples = 5000\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    plain = json.loads(run_cli("advise", law, "-f", "json").out)
    assert plain["verdict"] == "hybrid"
    configured = run_cli("advise", law, "-f", "json", "--config", "settings/tunewise.toml")
    data = json.loads(configured.out)
    assert data["verdict"] == "rag", "2,400 examples are below the configured 5,000"
    assert data["rules"]["name"] == "default"
    again = run_cli(
        "advise",
        law,
        "-f",
        "json",
        "--config",
        "settings/tunewise.toml",
        "--param",
        "min_examples=100",
    )
    assert json.loads(again.out)["verdict"] == "hybrid", "--param wins over the table"


def test_format_and_exclude_from_the_config(project: Path, write_profile: Any) -> None:
    write_profile("tunewise: 1\nneeds: nonsense\n", "drafts/broken.tunewise.yaml")
    write_profile("tunewise: 1\nneeds: nonsense\n", "old/tunewise.yaml")
    assert check_code() == 3
    (project / "tunewise.toml").write_text(
        'format = "json"\nexclude = ["drafts", "./old/"]\n', encoding="utf-8"
    )
    result = run_cli("check")
    assert result.code == 0
    report = json.loads(result.out)
    assert [f["path"] for f in report["files"]] == ["tunewise.yaml"]
    assert {(s["path"], s["reason"]) for s in report["skipped"]} == {
        ("./drafts", "excluded by drafts"),
        ("./old", "excluded by old"),
    }
    assert check_code("--exclude", "nothing-matches") == 3, "--exclude replaces the list"
    assert check_code("--exclude", "drafts", "--exclude", "old") == 0


def test_require_evidence_reaches_the_gate(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tunewise.gate.batch

    seen: list[list[str]] = []
    real = tunewise.gate.batch.Gate

    def spy(*args: Any, **kwargs: Any) -> Any:
        gate = real(*args, **kwargs)
        seen.append(list(gate.require_evidence))
        return gate

    monkeypatch.setattr(tunewise.gate.batch, "Gate", spy)
    (project / "tunewise.toml").write_text('require_evidence = ["dataset"]\n', encoding="utf-8")
    check_code()
    check_code("--require-evidence", "prompting,eval_set", "--require-evidence", "dataset")
    assert seen == [["dataset"], ["prompting", "eval_set", "dataset"]]
    assert run_cli("check", "--require-evidence", "vibes").code == 2


@pytest.mark.parametrize("table", [False, True], ids=["tunewise.toml", "pyproject.toml"])
def test_required_evidence_names_where_it_was_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_profile: Any, table: bool
) -> None:
    """Regression: `require_evidence` set in the configuration file still said "(required by
    --require-evidence)", a flag nobody gave. The finding names the file, line and key; with
    the flag, the flag."""
    style = {"id": "tone", "kind": "style", "prompting": "failed"}
    write_profile(profile_dict([style], PASSING_PROJECT, proposal="fine-tune"), "tunewise.yaml")
    monkeypatch.chdir(tmp_path)
    name, head = ("pyproject.toml", "[tool.tunewise]\n") if table else ("tunewise.toml", "")
    (tmp_path / name).write_text(
        f'{head}strict = false\nrequire_evidence = ["dataset"]\n', encoding="utf-8"
    )
    key = "tool.tunewise.require_evidence" if table else "require_evidence"
    line = 3 if table else 2
    result = run_cli("check", "--format", "json")
    (finding,) = json.loads(result.out)["files"][0]["findings"]
    assert result.code == 1 and finding["rule"] == "evidence-required"
    assert "--require-evidence" not in finding["message"], finding["message"]
    assert f"(required by {key} in {tmp_path / name}:{line})" in finding["message"]
    flagged = run_cli("check", "--format", "json", "--require-evidence", "dataset")
    (finding,) = json.loads(flagged.out)["files"][0]["findings"]
    assert finding["message"].endswith("(required by --require-evidence)"), finding["message"]


@pytest.mark.parametrize(
    ("text", "where", "said"),
    [
        (
            "[tool.tunewise]\nstrict = true\nstrikt = true\n",
            ":3:1:",
            "tool.tunewise.strikt: unknown key",
        ),
        ("[tool.tunewise]\n\nstrict = 'yes'\n", ":3:1:", "tool.tunewise.strict: input should be"),
        ('[tool.tunewise]\nexclude = "examples"\n', ":2:1:", "tool.tunewise.exclude"),
        ("[tool.tunewise]\nformat = 'xml'\n", ":2:1:", "tool.tunewise.format"),
        ("[tool.tunewise]\nrequire_evidence = ['vibes']\n", ":2:1:", "require_evidence.0"),
        ("[tool.tunewise.params]\nmin_examples = [1]\n", ":2:1:", "params.min_examples"),
        ("[tool.tunewise]\nparams = {a = 1, b = {}}\n", ":2:1:", "params.b"),
        ("[tool.tunewise]\nstrict = \n", ":2:", "not valid TOML"),
    ],
)
def test_bad_configuration_is_exit_3_with_file_line_and_key(
    project: Path, text: str, where: str, said: str
) -> None:
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    result = run_cli("check")
    assert result.code == 3, result.err
    assert f"pyproject.toml{where}" in result.err and said in result.err, result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("text", "where", "said"),
    [
        (
            "[tool.tunewise]\nstrict = true\n\n[tool.tunewise.params]\nmin_exampels = 1000\n",
            ":5:1: tool.tunewise.params.min_exampels: ",
            "unknown parameter (did you mean 'min_examples'?)",
        ),
        (
            "[tool.tunewise]\nparams = {min_gain_pct = -5}\n",
            ":2:1: tool.tunewise.params.min_gain_pct: ",
            "must be ≥ 0, got -5",
        ),
        (
            "[tool.tunewise.params]\n  min_examples = 2.5\n",
            ":2:3: tool.tunewise.params.min_examples: ",
            "expected a whole number, got 2.5",
        ),
    ],
)
def test_a_parameter_the_rule_set_refuses_is_located_in_the_configuration(
    project: Path, text: str, where: str, said: str
) -> None:
    """`params` are checked against the rule set only when it loads; a bad one is still
    reported at its file, line and key, like every other configuration error (exit 3)."""
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    for command in (("check",), ("rules", "lint")):
        result = run_cli(*command)
        assert result.code == 3, result.err
        assert f"pyproject.toml{where}{said}" in result.err, result.err
        assert "--param" not in result.err
    # The same value given on the command line is named as the flag it came in.
    result = run_cli("check", "--isolated", "--param", "min_gain_pct=-5")
    assert result.code == 3 and "--param min_gain_pct=-5: must be ≥ 0" in result.err


def test_a_configured_parameter_error_is_the_located_record(tmp_path: Path) -> None:
    from tunewise.errors import RuleSetError
    from tunewise.ruleset.load import load_rules

    path = tmp_path / "tunewise.toml"
    path.write_text("strict = true\n[params]\nno_such_param = 3\n", encoding="utf-8")
    with pytest.raises(RuleSetError) as caught:
        load_rules(None, config.read(path, table=False).param_args())
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.column) == (str(path), 3, 1)
    assert problem.field == ("params", "no_such_param")
    assert problem.message.startswith("unknown parameter; known: ")


def test_locate_key_in_sub_tables_and_inline_tables() -> None:
    text = (
        "[tool.other]\nstrict = 1\n\n[tool.tunewise]\n  strict = 1\n"
        "params = { x = 1 }\n\n[tool.tunewise.params]\n'y' = 2\n"
    )
    prefix = ("tool", "tunewise")
    assert config.locate_key(text, prefix, ("strict",)) == (5, 3)
    assert config.locate_key(text, prefix, ("params", "x")) == (6, 1)
    assert config.locate_key(text, prefix, ("params", "y")) == (9, 2)
    assert config.locate_key(text, prefix, ("exclude", "0")) == (4, 1), "absent: the header"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_a_configuration_or_a_located_error(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tunewise.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            config.read(path, table=False)
        except InputError as exc:
            assert exc.problems and exc.problems[0].file == str(path)


def test_a_configured_run_stays_light(tmp_path: Path) -> None:
    """The start-up budget holds with a configuration: no pydantic model machinery."""
    import subprocess
    import sys

    (tmp_path / "tunewise.toml").write_text(
        "strict = true\n[params]\nmin_examples = 600\n", encoding="utf-8"
    )
    law = str(EXAMPLES / "law-firm.tunewise.yaml")
    script = (
        "import sys, io, contextlib\n"
        "from tunewise.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main(['advise', {law!r}, '-f', 'json'])\n"
        "print(code, 'pydantic.main' in sys.modules, 'typer._adapters' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["0", "False", "False"], done.stderr
