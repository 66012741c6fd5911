"""The engine's records mirror the pydantic models field for field, and compile faithfully."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from tunewise.ruleset import records as compiled
from tunewise.ruleset import schema as models
from tunewise.ruleset.load import LoadedRules, compile_rules, default_rules_path, validate_rules
from tunewise.ruleset.records import RECORDS, Record


def _pydantic_models() -> dict[str, type[BaseModel]]:
    return {
        name: cls
        for name, cls in vars(models).items()
        if isinstance(cls, type)
        and issubclass(cls, BaseModel)
        and cls.__module__ == models.__name__
        and cls is not models.Strict
    }


def test_every_model_has_a_record_with_the_same_fields_and_yaml_keys() -> None:
    found = _pydantic_models()
    assert set(found) == set(RECORDS)
    for name, model in found.items():
        record = RECORDS[name]
        assert tuple(model.model_fields) == record.FIELDS, name
        aliases = {f: info.alias for f, info in model.model_fields.items() if info.alias}
        assert aliases == record.ALIASES, name


def _same(valid: Any, record: Any, where: str) -> None:
    if isinstance(valid, BaseModel):
        assert type(record).__name__ == type(valid).__name__, where
        for name in type(valid).model_fields:
            _same(getattr(valid, name), getattr(record, name), f"{where}.{name}")
    elif isinstance(valid, list):
        assert isinstance(record, list) and len(record) == len(valid), where
        for index, (a, b) in enumerate(zip(valid, record, strict=True)):
            _same(a, b, f"{where}[{index}]")
    elif isinstance(valid, dict):
        assert isinstance(record, dict) and list(record) == list(valid), where
        for key in valid:
            _same(valid[key], record[key], f"{where}.{key}")
    else:
        assert type(record) is type(valid) and record == valid, where


def test_the_default_rule_set_compiles_value_for_value() -> None:
    import yaml

    data = yaml.safe_load(default_rules_path().read_text(encoding="utf-8"))
    valid = models.RuleSet.model_validate(data)
    _same(valid, compile_rules(valid), "rules")


def test_records_pickle_back_with_their_lookups(rules: LoadedRules) -> None:
    import pickle

    again = pickle.loads(pickle.dumps(rules.model))
    assert again.question("examples").id == "examples"
    assert again.node(again.tree.start).id == rules.model.tree.start
    compare = next(
        c.require
        for n in again.tree.nodes
        if isinstance(n, compiled.ChecksNode)
        for c in n.checks
        if isinstance(c.require, compiled.Compare)
    )
    assert compare.operator in compiled.OPERATORS and compare.operand is not None
    assert "_index" not in again.__getstate__()  # lookups are rebuilt, never stored


def test_record_repr_names_its_fields() -> None:
    text = default_rules_path().read_text(encoding="utf-8")
    model, _ = validate_rules(text, "default.yaml")
    assert repr(model.sources[0]).startswith("Source(id=")
    assert isinstance(model.sources[0], Record)
