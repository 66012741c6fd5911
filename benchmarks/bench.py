"""Measure tunewise against its anchors, side by side in one run; print a markdown table.

    python benchmarks/bench.py            # 3,000 profiles
    python benchmarks/bench.py --large    # also 30,000 profiles (a few minutes)
    python benchmarks/bench.py --only check --only startup   # some rows only
    python benchmarks/bench.py --only data --data-mb 1000 --data-cache /tmp/tunewise-data
                                          # only `data` and evidence, on a 1 GB dataset
                                          # generated once into /tmp and reused

Every figure is a median over several runs, the commands of one comparison alternating, so a
noisy machine slows both sides alike. Peak memory is each child process's own maximum resident
size. check-jsonschema is used when installed (`pip install check-jsonschema`), skipped if not.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from generate import chained_rules, chat_dataset, generate  # noqa: E402

PY = sys.executable


def tool(name: str) -> str | None:
    """A command installed next to this interpreter (its venv), else on PATH."""
    beside = Path(PY).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


TUNEWISE = [tool("tunewise") or PY, *([] if tool("tunewise") else ["-m", "tunewise"])]
FLOOR = [PY, "-c", "import typer, pydantic, yaml, rich.console"]


def run(cmd: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak resident memory (MiB) of one run of `cmd`."""
    started = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # 1: a check that found failing profiles, as intended
        raise SystemExit(f"benchmark command failed with exit {code}: {' '.join(cmd[:4])} ...")
    return elapsed, usage.ru_maxrss // 1024


def compare(
    commands: dict[str, list[str]], rounds: int, cwd: Path | None = None
) -> dict[str, tuple[float, int]]:
    """Median time and peak memory per command, the commands alternating round by round."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    memory: dict[str, int] = {name: 0 for name in commands}
    for _ in range(rounds):
        for name, cmd in commands.items():
            seconds, mib = run(cmd, cwd)
            times[name].append(seconds)
            memory[name] = max(memory[name], mib)
    return {name: (statistics.median(times[name]), memory[name]) for name in commands}


def startup(rounds: int, work: Path) -> list[str]:
    example = str(ROOT / "examples" / "law-firm.tunewise.yaml")
    advise = [*TUNEWISE, "advise", example, "--format", "json"]
    custom = work / "custom-rules.yaml"  # the default rules as a --rules file: validated per run
    shutil.copyfile(ROOT / "rules" / "default.yaml", custom)
    got = compare(
        {
            "floor": FLOOR,
            "advise": advise,
            "first": [*advise, "--rules", str(custom)],
            "version": [*TUNEWISE, "--version"],
            "help": [*TUNEWISE, "--help"],
        },
        rounds,
    )
    floor = got["floor"][0]
    rows = [
        "| dependency import floor (`import typer, pydantic, yaml, rich.console`) "
        f"| {floor:.3f} s | 1.00× | |"
    ]
    goals = (("advise", "≤ 1.25×"), ("first", ""), ("version", "< 0.3×"), ("help", "< 0.3×"))
    for name, goal in goals:
        label = {
            "advise": "cold `advise <law firm> --format json`",
            "first": "the same with `--rules FILE` (a custom rule set, validated on every run)",
            "version": "`--version`",
            "help": "`--help`",
        }[name]
        rows.append(f"| {label} | {got[name][0]:.3f} s | {got[name][0] / floor:.2f}× | {goal} |")
    return rows


def batch(count: int, rounds: int, work: Path) -> list[str]:
    folder = work / f"profiles-{count}"
    files = generate(folder, count)
    schema = work / "profile.schema.json"
    schema.write_text(
        subprocess.run([*TUNEWISE, "schema"], capture_output=True, text=True, check=True).stdout,
        encoding="utf-8",
    )
    relative = [str(p.relative_to(folder)) for p in files]
    listing = folder / "files.txt"
    listing.write_text("\n".join(relative), encoding="utf-8")
    parse = (
        "import yaml, pathlib\n"
        "names = pathlib.Path('files.txt').read_text().split()\n"
        "for n in names: yaml.load(pathlib.Path(n).read_text(), Loader=yaml.CSafeLoader)\n"
    )
    commands = {
        "tunewise": [*TUNEWISE, "check", ".", "--format", "json"],
        "parse": [PY, "-c", parse],
    }
    checker = tool("check-jsonschema")
    if checker:
        commands["check-jsonschema"] = [checker, "--schemafile", str(schema), *relative]
    got = compare(commands, rounds, cwd=folder)
    ours, mem = got["tunewise"]
    rows = [f"| `check` over {count:,} profiles | {ours:.2f} s | peak {mem} MiB | |"]
    rows.append(
        f"| PyYAML C loader parsing the same {count:,} files | {got['parse'][0]:.2f} s | "
        f"{ours / got['parse'][0]:.2f}× | ≤ 1.5× |"
    )
    if checker:
        rows.append(
            f"| check-jsonschema on the same {count:,} files "
            f"| {got['check-jsonschema'][0]:.2f} s "
            f"| {ours / got['check-jsonschema'][0]:.2f}× | ≤ 0.33× |"
        )
    else:
        rows.append("| check-jsonschema | not installed | | ≤ 0.33× |")
    return rows


def lint_rows(rounds: int, work: Path) -> list[str]:
    import yaml

    default = yaml.safe_load((ROOT / "rules" / "default.yaml").read_text(encoding="utf-8"))
    data = chained_rules(default)  # 2^20 times the default's answer combinations
    big = work / "big-rules.yaml"
    big.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    commands = {
        "default": [*TUNEWISE, "rules", "lint"],
        "generated": [*TUNEWISE, "rules", "lint", str(big)],
    }
    got = compare(commands, rounds)
    rows = []
    for name, cmd in commands.items():
        proof = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
        combos = (
            proof.split("every one of ")[1].split(" combinations")[0]
            if "every one of" in proof
            else "?"
        )
        goal = "≤ 1 s" if name == "default" else "seconds"
        rows.append(
            f"| `rules lint`, {name} rule set ({combos} answer combinations) | "
            f"{got[name][0]:.2f} s | | {goal} |"
        )
    return rows


FLOOR_DATA = (
    "import json, hashlib, sys\n"
    "with open(sys.argv[1], 'rb') as f:\n"
    "    for line in f:\n"
    "        json.loads(line); hashlib.blake2b(line, digest_size=8).digest()\n"
)


def data_rows(megabytes: int, rounds: int, work: Path, cache: Path | None = None) -> list[str]:
    """`data` on a generated chat JSONL (near-duplicates and duplicates every 10 records)
    against a floor of json.loads plus a hash per line; and `check` of a profile whose
    evidence is that dataset and a held-out set a tenth its size. With `cache`, the two files
    are generated there once (named by size) and reused by later runs."""
    folder = cache or work
    folder.mkdir(parents=True, exist_ok=True)
    dataset = folder / f"train-{megabytes}mb.jsonl"
    held = folder / f"heldout-{max(1, megabytes // 10)}mb.jsonl"
    count = folder / f"train-{megabytes}mb.count"
    if not (dataset.exists() and held.exists() and count.exists()):
        count.write_text(str(chat_dataset(dataset, megabytes)), encoding="utf-8")
        chat_dataset(held, max(1, megabytes // 10), seed=5)
    records = int(count.read_text(encoding="utf-8"))
    got = compare(
        {
            "floor": [PY, "-c", FLOOR_DATA, str(dataset)],
            "data": [*TUNEWISE, "data", str(dataset)],
        },
        rounds,
    )
    ratio = got["data"][0] / got["floor"][0]
    (folder / ".git").mkdir(exist_ok=True)  # the project root: evidence is read under it
    profile = folder / "evidence.tunewise.yaml"
    profile.write_text(
        "tunewise: 1\nproposal: fine-tune\nneeds:\n  - {id: tone, kind: style, prompting: failed}\n"
        f"evidence: {{dataset: {dataset.name}, eval_set: {held.name}}}\n",
        encoding="utf-8",
    )
    checked = compare({"check": [*TUNEWISE, "check", str(profile)]}, 1, folder)["check"]
    # Memory beyond the interpreter and its imports (the floor's peak), per record seen.
    per_million = max(0, got["data"][1] - got["floor"][1]) * 1_000_000 / records
    return [
        f"| floor: json.loads + blake2b a line, {megabytes} MB chat JSONL ({records:,} records) "
        f"| {got['floor'][0]:.2f} s | | |",
        f"| `data` on it (peak {got['data'][1]} MiB; {per_million:.0f} MiB over the floor's "
        "per million records, before the caps) "
        f"| {got['data'][0]:.2f} s | {ratio:.2f}x | ≤ 3x |",
        f"| `check`, a profile with that dataset and a {max(1, megabytes // 10)} MB held-out set "
        f"(peak {checked[1]} MiB) | {checked[0]:.2f} s | | ≤ 10 s |",
    ]


def versions() -> str:
    """The versions that decide the start-up figures."""
    from importlib.metadata import version

    return ", ".join(f"{name} {version(name)}" for name in ("typer", "pydantic", "pyyaml", "rich"))


ROWS = ("startup", "check", "lint", "data")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also check 30,000 profiles")
    parser.add_argument(
        "--data-mb", type=int, default=100, help="size of the generated dataset for `data`"
    )
    parser.add_argument(
        "--rounds", type=int, default=15, help="runs per command for start-up figures"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=ROWS,
        help="measure only these rows (repeatable; default: all)",
    )
    parser.add_argument(
        "--data-cache",
        type=Path,
        help="generate the `data` files into this folder once and reuse them (not the repo)",
    )
    parser.add_argument(
        "--data-rounds", type=int, default=3, help="runs per command for the `data` figures"
    )
    args = parser.parse_args()
    only = set(args.only or ROWS)
    cpu = platform.processor() or platform.machine()
    print(
        f"Measured on {platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, {versions()}, {time.strftime('%Y-%m-%d')}\n"
    )
    print("| measurement | time | ratio | goal |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="tunewise-bench-") as temp:
        work = Path(temp)
        # As after `pip install`: tunewise loads from bytecode like its dependencies do (an
        # editable install run with PYTHONDONTWRITEBYTECODE would compile it on every start),
        # (the built-in rule set ships compiled with it).
        import tunewise

        compileall.compile_dir(str(Path(tunewise.__file__).parent), quiet=1)
        if "startup" in only:
            for row in startup(args.rounds, work):
                print(row, flush=True)
        for count in ((3_000, 30_000) if args.large else (3_000,)) if "check" in only else ():
            for row in batch(count, 3 if count <= 3_000 else 1, work):
                print(row, flush=True)
        if "lint" in only:
            for row in lint_rows(3, work):
                print(row, flush=True)
        if "data" in only:
            for row in data_rows(args.data_mb, args.data_rounds, work, args.data_cache):
                print(row, flush=True)


if __name__ == "__main__":
    main()
