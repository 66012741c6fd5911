"""The composite GitHub action: its metadata, and its script run under a simulated GitHub
environment (GITHUB_ACTION_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, INPUT_*)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PASSING_PROJECT, ROOT, profile_dict

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
SCRIPT = ROOT / "scripts" / "action.sh"
SPEC_INPUTS = {"paths", "strict", "rules", "params", "exclude", "require-evidence", "sarif"}
# SchemaStore's github-action.json, when a copy is kept beside the tests (see README).
METADATA_SCHEMA = ROOT / "tests" / "data" / "github-action.schema.json"


def tool(name: str) -> str | None:
    """A command installed beside this interpreter (the test extra's), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def test_inputs_outputs_and_steps() -> None:
    assert set(ACTION["inputs"]) == SPEC_INPUTS
    for name, spec in ACTION["inputs"].items():
        assert spec["description"] and spec["required"] is False, name
        assert isinstance(spec["default"], str), name
    steps = ACTION["runs"]["steps"]
    assert ACTION["runs"]["using"] == "composite" and len(steps) == 1
    step = steps[0]
    assert step["shell"] == "bash" and step["run"] == 'bash "$GITHUB_ACTION_PATH/scripts/action.sh"'
    expected = "${{ steps." + step["id"] + ".outputs.passed }}"
    assert ACTION["outputs"]["passed"]["value"] == expected


def test_inputs_reach_the_script_only_through_env() -> None:
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step["run"], "an expression pasted into a script is an injection"
        wired = {
            match[1]: name
            for name, value in step["env"].items()
            if (match := re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", value))
        }
        assert set(wired) == SPEC_INPUTS
        for input_name, variable in wired.items():
            assert variable == "INPUT_" + input_name.upper().replace("-", "_")
    assert "pip install" not in text, "the install lives in the script, from the action's folder"


def test_metadata_schema() -> None:
    if not METADATA_SCHEMA.exists():
        pytest.skip("no copy of SchemaStore's github-action.json in tests/data")
    import jsonschema

    schema = json.loads(METADATA_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(ACTION)


@pytest.mark.skipif(not tool("zizmor"), reason="zizmor is not installed")
def test_zizmor_finds_nothing() -> None:
    done = subprocess.run(
        [tool("zizmor") or "zizmor", "--offline", "--no-progress", str(ROOT / "action.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(not tool("shellcheck"), reason="shellcheck is not installed")
def test_shellcheck_finds_nothing() -> None:
    done = subprocess.run(
        [tool("shellcheck") or "shellcheck", str(SCRIPT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout


# --- The script, run as GitHub runs it ---------------------------------------------------

# A `python3` that records how it is called and makes a virtual environment whose `pip`
# only records its command line (the real install needs the network; what is checked is
# where it installs from) and whose `python -m tunewise` is this test run's tunewise.
SHIM = """#!/usr/bin/env bash
echo "python3 $*" >>"$SHIM_LOG"
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin"
  cat >"$3/bin/python" <<'INNER'
#!/usr/bin/env bash
echo "venv-python $*" >>"$SHIM_LOG"
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then exit 0; fi
exec "$SHIM_REAL_PYTHON" "$@"
INNER
  chmod +x "$3/bin/python"
  exit 0
fi
exec "$SHIM_REAL_PYTHON" "$@"
"""

TOOLS = ("bash", "env", "mkdir", "mktemp", "cat", "paste", "sed", "dirname", "rm", "chmod")


@dataclass
class Run:
    code: int
    stdout: str
    summary: str
    outputs: dict[str, str]
    log: list[str]


@pytest.fixture
def github(tmp_path: Path) -> Any:
    """Run the action's script in a fake runner: a workspace, a temp folder, GitHub's files."""
    workspace, runner_temp, bin_dir = (tmp_path / n for n in ("workspace", "temp", "bin"))
    for folder in (workspace, runner_temp, bin_dir):
        folder.mkdir()
    for tool in TOOLS:  # a PATH with the tools the script uses, and only the python we give
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)

    def run(inputs: dict[str, str], python: bool = True) -> Run:
        if python:
            shim = bin_dir / "python3"
            shim.write_text(SHIM, encoding="utf-8")
            shim.chmod(0o755)
        files = {n: tmp_path / n for n in ("output", "summary", "log")}
        for file in files.values():
            file.write_text("", encoding="utf-8")
        env = {
            "PATH": str(bin_dir),
            "HOME": str(tmp_path),
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION_PATH": str(ROOT),
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(files["output"]),
            "GITHUB_STEP_SUMMARY": str(files["summary"]),
            "RUNNER_TEMP": str(runner_temp),
            "SHIM_LOG": str(files["log"]),
            "SHIM_REAL_PYTHON": sys.executable,
            **{f"INPUT_{k.upper().replace('-', '_')}": v for k, v in inputs.items()},
        }
        done = subprocess.run(
            [shutil.which("bash") or "bash", str(SCRIPT)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        lines = files["output"].read_text(encoding="utf-8").splitlines()
        return Run(
            done.returncode,
            done.stdout,
            files["summary"].read_text(encoding="utf-8"),
            dict(line.split("=", 1) for line in lines),
            files["log"].read_text(encoding="utf-8").splitlines(),
        )

    run.workspace = workspace  # type: ignore[attr-defined]
    return run


def _write(folder: Path, name: str, data: dict[str, Any]) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_installs_from_the_action_folder_into_its_own_venv(github: Any) -> None:
    _write(github.workspace, "tunewise.yaml", profile_dict([{"id": "a", "kind": "general"}]))
    run = github({"paths": ".", "strict": "false"})
    assert run.code == 0, run.stdout
    venv = [line for line in run.log if line.startswith("python3 -m venv ")]
    assert len(venv) == 1 and venv[0].endswith("/temp/tunewise-action-venv")
    pip = [line for line in run.log if " -m pip " in line]
    assert pip == [f"venv-python -m pip install --quiet --disable-pip-version-check {ROOT}"]
    assert run.outputs == {"passed": "true"}
    assert run.summary.startswith("## tunewise check passed")


def test_a_failing_gate_with_every_input(github: Any) -> None:
    style = {"id": "tone", "kind": "style", "prompting": "failed"}
    _write(
        github.workspace,
        "svc/bot.tunewise.yaml",
        profile_dict([style], {**PASSING_PROJECT, "examples": 300}, proposal="fine-tune"),
    )
    _write(github.workspace, "drafts/tunewise.yaml", {"tunewise": 1, "needs": "nonsense"})
    run = github(
        {
            "paths": ".",
            "strict": "true",
            "params": "min_examples=1000\n\n  min_gain_pct=25  \n",
            "exclude": "drafts",
            "require-evidence": "dataset, prompting",
            "sarif": "reports/tunewise.sarif",
        }
    )
    assert run.code == 1, run.stdout
    assert run.outputs == {"passed": "false"}
    called = next(line for line in run.stdout.splitlines() if line.startswith("tunewise check"))
    assert called.startswith("tunewise check --format github . --strict --param min_examples=1000")
    assert "--param min_gain_pct=25 --exclude drafts --require-evidence dataset,prompting" in called
    annotations = [line for line in run.stdout.splitlines() if line.startswith("::error")]
    assert annotations and all("svc/bot.tunewise.yaml" in line for line in annotations)
    sarif = json.loads((github.workspace / "reports" / "tunewise.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert run.summary.startswith("## tunewise check") and "bot.tunewise.yaml" in run.summary


def test_zero_profiles_is_a_clear_failure(github: Any) -> None:
    run = github({"paths": "."})
    assert run.code == 3
    assert run.outputs == {"passed": "false"}
    assert "::error title=tunewise::no tunewise profiles found" in run.stdout
    assert "could not judge the profiles (exit 3)" in run.summary
    assert "no tunewise profiles found" in run.summary


def test_no_python_is_said_plainly(github: Any) -> None:
    run = github({"paths": "."}, python=False)
    assert run.code == 2 and run.outputs == {"passed": "false"}
    assert "needs Python 3.10 or newer" in run.stdout and "actions/setup-python" in run.stdout
    assert "needs Python 3.10 or newer" in run.summary


def test_bad_strict_value(github: Any) -> None:
    run = github({"strict": "yes"})
    assert run.code == 2 and "input 'strict' must be true or false" in run.stdout


def test_inputs_are_never_run_as_code(github: Any) -> None:
    _write(github.workspace, "tunewise.yaml", profile_dict([{"id": "a", "kind": "general"}]))
    hostile = "$(touch PWNED)`touch PWNED`;touch PWNED"
    run = github({"paths": f". {hostile}", "params": f"min_examples=1{hostile}", "rules": hostile})
    assert run.code in (2, 3) and run.outputs == {"passed": "false"}
    assert not list(github.workspace.rglob("PWNED"))
