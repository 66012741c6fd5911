"""Write N varied, valid profiles into a folder tree (seeded, so every run writes the same)."""

from __future__ import annotations

import copy
import random
import sys
from pathlib import Path
from typing import Any

KINDS = ["facts", "domain", "style", "format", "vocabulary", "behavior", "cost", "general"]


def profile_text(rng: random.Random, index: int) -> str:
    lines = [
        "tunewise: 1",
        f"name: Generated project {index}",
        f"proposal: {rng.choice(['prompt', 'rag', 'fine-tune', 'hybrid'])}",
        "needs:",
    ]
    for need in range(rng.randint(1, 3)):
        kind = rng.choice(KINDS)
        lines += [
            f"  - id: need-{need}",
            f"    description: Generated need {need}",
            f"    kind: {kind}",
        ]
        if kind == "facts":
            lines.append(f"    fits_in_prompt: {rng.choice(['true', 'false'])}")
        if kind in ("facts", "domain"):
            lines.append(f"    changes: {rng.choice(['never', 'rarely', 'often', 'realtime'])}")
        if kind not in ("facts", "general"):
            lines.append(f"    prompting: {rng.choice(['untried', 'works', 'failed', 'failed'])}")
    leave = rng.choice(["true", "false"])
    lines += [
        "project:",
        f"  stage: {rng.choice(['prototype', 'pilot', 'production', 'production'])}",
        f"  examples: {rng.choice([50, 300, 600, 1200, 2400, 8000])}",
        f"  data_quality: {rng.choice(['high', 'high', 'mixed', 'low', 'unknown'])}",
        f"  expected_gain_pct: {rng.choice([5, 15, 25, 40])}",
        f"  budget_usd: {rng.choice([300, 3000, 15000, 60000])}",
        f"  ml_expertise: {rng.choice(['none', 'some', 'strong'])}",
        f"  can_maintain: {rng.choice(['true', 'true', 'false'])}",
        f"  eval_plan: {rng.choice(['true', 'true', 'false'])}",
        f"  data_may_leave: {leave}",
        f"  model_params_b: {rng.choice([7, 8, 13, 70])}",
        f"  gpu_vram_gb: {rng.choice([8, 24, 48, 80])}",
    ]
    return "\n".join(lines) + "\n"


def generate(folder: Path, count: int, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    paths = []
    for index in range(count):
        path = folder / f"team-{index % 50:02d}" / f"svc-{index // 50:04d}" / "tunewise.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(profile_text(rng, index), encoding="utf-8")
        paths.append(path)
    return paths


def chained_rules(rules: dict[str, Any], questions: int = 20) -> dict[str, Any]:
    """The rule set `rules` with a chain of independent yes/no questions in front of its tree:
    2^questions times as many answer combinations, for lint's proof to cover."""
    data = copy.deepcopy(rules)
    start = data["tree"]["start"]
    for i in range(questions):
        data["questions"].append(
            {"id": f"q{i}", "scope": "need", "type": "bool", "prompt": f"Q{i}?"}
        )
        target = f"n{i + 1}" if i < questions - 1 else start
        branches = [{"when": [True], "goto": target}, {"when": [False], "goto": target}]
        data["tree"]["nodes"].append(
            {"type": "ask", "id": f"n{i}", "ask": f"q{i}", "branches": branches}
        )
    data["tree"]["start"] = "n0"
    return data


if __name__ == "__main__":
    generate(Path(sys.argv[1]), int(sys.argv[2]))


_VOCABULARY = (
    "the contract clause tenant landlord notice period payment invoice refund policy court "
    "filing summary citation statute section paragraph client matter deadline review draft "
    "agreement party liability damages appeal ruling evidence witness counsel hearing order"
)
WORDS = tuple(_VOCABULARY.split())


def chat_dataset(path: Path, megabytes: int, seed: int = 11, near_every: int = 10) -> int:
    """A chat JSONL of about `megabytes` MB with a shared system prompt, a few tools lines,
    exact duplicates and near-duplicates (one word changed) every `near_every` records."""
    import json

    rng = random.Random(seed)
    goal = megabytes * 1_000_000
    written = count = 0
    previous: list[dict[str, Any]] | None = None
    system = {"role": "system", "content": "You are a careful legal assistant. " * 4}
    with path.open("w", encoding="utf-8") as handle:
        while written < goal:
            if previous is not None and count % near_every == 0:
                messages = json.loads(json.dumps(previous))
                messages[-1]["content"] += " " + rng.choice(WORDS)  # a near-duplicate
            elif previous is not None and count % near_every == 1:
                messages = previous  # an exact duplicate
            else:
                question = " ".join(rng.choices(WORDS, k=rng.randint(20, 80)))
                answer = " ".join(rng.choices(WORDS, k=rng.randint(60, 220)))
                messages = [
                    system,
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": answer},
                ]
            line = json.dumps({"id": count, "messages": messages}) + "\n"
            handle.write(line)
            written += len(line)
            previous = messages
            count += 1
    return count
