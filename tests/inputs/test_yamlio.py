"""Safe YAML reading: where each key and value starts, as people count lines and columns."""

from __future__ import annotations

import pytest

from tunewise.errors import InputError
from tunewise.inputs.yamlio import parse_yaml

TEXT = """\
tunewise: 1
needs:
  - id: support
    kind: facts
project: {stage: pilot, examples: 300}
"""


def test_values_and_keys_are_found_where_they_start() -> None:
    doc = parse_yaml(TEXT, "p.yaml")
    assert doc.data["project"] == {"stage": "pilot", "examples": 300}
    assert doc.where(("tunewise",)) == (1, 11)
    assert doc.where(("tunewise",), key=True) == (1, 1)
    assert doc.where(("needs", 0, "kind")) == (4, 11)
    assert doc.where(("needs", 0, "kind"), key=True) == (4, 5)
    assert doc.where(("needs", 0)) == (3, 5)
    assert doc.where(("project", "examples")) == (5, 35)
    assert doc.where(("project", "examples"), key=True) == (5, 25)


def test_an_unknown_place_is_its_nearest_known_parent() -> None:
    doc = parse_yaml(TEXT, "p.yaml")
    assert doc.where(("needs", 0, "prompting")) == doc.where(("needs", 0))
    assert doc.where(("project", "budget_usd"), key=True) == doc.where(("project",), key=True)
    assert doc.where(("nothing", "here")) == (1, 1)  # the document itself


def test_a_duplicate_key_names_the_line_of_the_first() -> None:
    with pytest.raises(InputError) as caught:
        parse_yaml("a: 1\nb: 2\na: 3\n", "p.yaml")
    (problem,) = caught.value.problems
    assert "duplicate key 'a' (first at line 1)" in problem.message
    assert (problem.line, problem.column) == (3, 1)
