"""`schema`: JSON Schema 2020-12 of the profile, in sync with the committed copy, and agreeing
with tunewise's own validation on valid and invalid profiles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import EXAMPLES, PASSING_PROJECT, ROOT, run_cli
from tunewise.inputs.yamlio import parse_yaml

COMMITTED = ROOT / "rules" / "profile.schema.json"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(run_cli("schema").out)
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def test_committed_copy_is_current(schema: dict[str, Any]) -> None:
    assert json.loads(COMMITTED.read_text(encoding="utf-8")) == schema, (
        "run: tunewise schema > rules/profile.schema.json"
    )


VALID = [
    {"tunewise": 1, "needs": [{"id": "a", "kind": "general"}]},
    {
        "tunewise": 1,
        "proposal": "fine-tune",
        "needs": [{"id": "t", "kind": "style", "prompting": "failed"}],
        "project": {**PASSING_PROJECT, "model_params_b": 7.5, "gpu_vram_gb": 0},
    },
    {
        "tunewise": 1,
        "needs": [
            {
                "id": "x-1",
                "kind": "facts",
                "fits_in_prompt": False,
                "changes": "never",
                "prompting": "works",
            }
        ],
        "evidence": {"dataset": "d.jsonl"},
        "waiver": {"reason": "r", "approved_by": "a", "expires": "2027-01-01"},
    },
]
INVALID = [
    {"tunewise": 1, "needs": []},
    {"tunewise": 2, "needs": [{"id": "a"}]},
    {"needs": [{"id": "a"}]},
    {"tunewise": 1, "needs": [{"id": "A_B"}]},
    {"tunewise": 1, "needs": [{"kind": "general"}]},
    {"tunewise": 1, "needs": [{"id": "a", "kind": "factz"}]},
    {"tunewise": 1, "needs": [{"id": "a", "kindd": "facts"}]},
    {"tunewise": 1, "needs": [{"id": "a"}], "project": {"examples": -1}},
    {"tunewise": 1, "needs": [{"id": "a"}], "project": {"examples": "12"}},
    {"tunewise": 1, "needs": [{"id": "a"}], "project": {"can_maintain": "yes"}},
    {"tunewise": 1, "needs": [{"id": "a"}], "project": {"model_params_b": 0}},
    {"tunewise": 1, "needs": [{"id": "a"}], "proposal": "finetune"},
    {"tunewise": 1, "needs": [{"id": "a"}], "evidence": {"prompting": {"report": "r.json"}}},
    {"tunewise": 1, "needs": [{"id": "a"}], "extra": True},
]


@pytest.mark.parametrize("profile", VALID)
def test_valid_profiles_pass_both(
    schema: dict[str, Any], profile: dict[str, Any], tmp_path: Path
) -> None:
    jsonschema.validate(profile, schema)
    path = tmp_path / "p.tunewise.yaml"
    path.write_text(yaml.safe_dump(profile), encoding="utf-8")
    assert run_cli("advise", str(path)).code in (0, 4)


@pytest.mark.parametrize("profile", INVALID)
def test_invalid_profiles_fail_both(
    schema: dict[str, Any], profile: dict[str, Any], tmp_path: Path
) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(profile, schema)
    path = tmp_path / "p.tunewise.yaml"
    path.write_text(yaml.safe_dump(profile), encoding="utf-8")
    assert run_cli("advise", str(path)).code == 3


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_examples_validate(schema: dict[str, Any], path: Path) -> None:
    # YAML 1.2, as editors read it: dates stay text (tunewise's own loader does the same).
    jsonschema.validate(parse_yaml(path.read_text(encoding="utf-8"), str(path)).data, schema)


def test_custom_rules_get_their_own_schema(tmp_path: Path) -> None:
    data = yaml.safe_load((ROOT / "rules" / "default.yaml").read_text(encoding="utf-8"))
    data["questions"][0]["choices"].append({"value": "safety", "meaning": "refusals"})
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    custom = json.loads(run_cli("schema", "--rules", str(path)).out)
    kinds = custom["properties"]["needs"]["items"]["properties"]["kind"]["enum"]
    assert "safety" in kinds


@pytest.mark.parametrize("which", ["advice", "check"])
def test_output_schemas_are_published_and_valid(which: str) -> None:
    result = run_cli("schema", "--output", which)
    assert result.code == 0
    schema = json.loads(result.out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["format_version"] == {
        "const": 2,
        "description": "Shape of this document; raised on change.",
    }
    assert "format_version" in schema["required"]
    committed = ROOT / "rules" / f"{which}.schema.json"
    assert committed.read_text(encoding="utf-8") == result.out, (
        f"run: tunewise schema --output {which} > rules/{which}.schema.json"
    )


def _validator(which: str) -> jsonschema.Draft202012Validator:
    schema = json.loads(run_cli("schema", "--output", which).out)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.tunewise.yaml")), ids=lambda p: p.name)
def test_advise_json_matches_its_schema(path: Path) -> None:
    output = json.loads(run_cli("advise", str(path), "--format", "json").out)
    assert output["format_version"] == 2
    _validator("advice").validate(output)


def test_check_json_matches_its_schema(tmp_path: Path) -> None:
    validator = _validator("check")
    every = run_cli("check", str(EXAMPLES), "--format", "json")
    validator.validate(json.loads(every.out))
    broken = tmp_path / "tunewise.yaml"
    broken.write_text("tunewise: 1\nneeds: [{id: a, kind: nonsense}]\n", encoding="utf-8")
    invalid = json.loads(run_cli("check", str(broken), "--format", "json").out)
    validator.validate(invalid)
    assert invalid["files"][0]["findings"][0]["rule"] == "invalid-profile"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**invalid, "format_version": 1})


def test_schema_output_choice_is_checked() -> None:
    assert run_cli("schema", "--output", "nonsense").code == 2
