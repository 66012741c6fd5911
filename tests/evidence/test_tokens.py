"""The token estimate against a real tokenizer: Mistral's Tekken, whose vocabulary ships inside
the mistral-common package (it runs offline), where that package is installed.

mistral-common is not a test dependency (it pins numpy below 2.4 on Python 3.12 and older, and
brings pillow, requests and tiktoken): .ci/run runs this test in a venv of its own with it, and
elsewhere it is skipped. Measured with mistral-common
1.13.1: -7.4 % on this README's prose, +0.9 % on the engine's Python source (and +15.4 % on the
five source guides' plain English, outside this repository)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tunewise.evidence.formats import estimate_tokens

ROOT = Path(__file__).resolve().parents[2]


def _tekken() -> object:
    mistral = pytest.importorskip("mistral_common")
    from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

    vocabulary = os.path.join(os.path.dirname(mistral.__file__), "data", "tekken_240911.json")
    if not os.path.exists(vocabulary):
        pytest.skip("this mistral-common ships no Tekken vocabulary")
    return MistralTokenizer.from_file(vocabulary).instruct_tokenizer.tokenizer


def _error(tokenizer: object, texts: list[str]) -> float:
    estimated = sum(estimate_tokens(text, 0) for text in texts)
    real = sum(len(tokenizer.encode(text, bos=False, eos=False)) for text in texts)  # type: ignore[attr-defined]
    return (estimated - real) / real


def test_the_estimate_is_within_a_fifth_of_a_real_tokenizer() -> None:
    tokenizer = _tekken()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    prose = [
        part
        for part in readme.split("\n\n")
        if part and not part.startswith(("```", "|", "#", "-", "$"))
    ]
    code = [
        path.read_text(encoding="utf-8") for path in sorted(ROOT.glob("src/tunewise/engine/*.py"))
    ]
    for texts in (prose, code):
        assert abs(_error(tokenizer, texts)) < 0.2
