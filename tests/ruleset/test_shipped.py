"""The default rule set's compiled form shipped in the package: current, used, never forgeable."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tunewise import __version__
from tunewise.ruleset import load as rules
from tunewise.ruleset import prebuild
from tunewise.ruleset import shipped as rulecache
from tunewise.ruleset.load import default_rules_path, load_rules, validate_rules
from tunewise.ruleset.records import ChecksNode

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "tunewise"

# Fails every fine-tuning check: proposal fine-tune, 10 examples, a prototype without a budget.
FAILING = {
    "tunewise": 1,
    "proposal": "fine-tune",
    "needs": [{"id": "tone", "kind": "style", "prompting": "failed"}],
    "project": {
        "stage": "prototype",
        "examples": 10,
        "data_quality": "low",
        "expected_gain_pct": 1,
        "budget_usd": 0,
        "ml_expertise": "none",
        "can_maintain": False,
        "eval_plan": False,
        "data_may_leave": True,
    },
}


def _default_text() -> str:
    return default_rules_path().read_text(encoding="utf-8")


def _digest(text: str) -> str:
    return rulecache.sha256_hex(text.encode("utf-8"))


def test_the_shipped_form_is_current() -> None:
    """Fails when rules/default.yaml or the records changed without regenerating."""
    text = _default_text()
    shipped = rulecache.load_prebuilt(_digest(text))
    stale = f"the shipped default rule set is stale: run `{rulecache.REGENERATE}`"
    assert shipped is not None, stale
    fresh, _ = validate_rules(text, "default.yaml")
    assert repr(shipped) == repr(fresh), stale


def test_the_default_rule_set_is_not_validated_at_run_time(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str, file: str) -> None:
        raise AssertionError(f"{file} was validated at run time")

    monkeypatch.setattr(rules, "validate_rules", refuse)
    loaded = load_rules()
    assert loaded.info.sha256 == _digest(_default_text()) and loaded.doc is None


def test_a_custom_rule_set_is_validated_on_every_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(_default_text(), encoding="utf-8")
    calls = []
    real = rules.validate_rules

    def counting(text: str, file: str) -> object:
        calls.append(file)
        return real(text, file)

    monkeypatch.setattr(rules, "validate_rules", counting)
    load_rules(path)
    load_rules(path)
    assert calls == [str(path), str(path)]


def test_keep_doc_always_validates_afresh() -> None:
    assert load_rules(keep_doc=True).doc is not None


def _ship(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "default-rules.pickle"
    path.write_bytes(pickle.dumps(content))
    return path


def test_a_stale_shipped_form_is_not_used(tmp_path: Path) -> None:
    text = _default_text()
    good = pickle.loads(prebuild.build(text, "default.yaml"))
    assert rulecache.load_prebuilt(_digest(text), _ship(tmp_path, good)) is not None
    other_text = (good[0], _digest(text + "\n"), good[2], good[3])
    assert rulecache.load_prebuilt(_digest(text), _ship(tmp_path, other_text)) is None
    other_records = (good[0], good[1], (("Leaf", ("id",)),), good[3])
    assert rulecache.load_prebuilt(_digest(text), _ship(tmp_path, other_records)) is None


@pytest.mark.parametrize("damage", [b"", b"not a pickle", pickle.dumps({"a": 1})])
def test_a_damaged_shipped_form_is_not_used(tmp_path: Path, damage: bytes) -> None:
    path = tmp_path / "default-rules.pickle"
    path.write_bytes(damage)
    assert rulecache.load_prebuilt(_digest(_default_text()), path) is None
    assert rulecache.load_prebuilt(_digest(_default_text()), tmp_path / "absent") is None


def test_a_stale_or_damaged_shipped_form_means_validating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a checkout whose rules/default.yaml was edited without regenerating gets: the
    same rule set, validated at run time."""
    expected = repr(load_rules().model)
    damaged = tmp_path / "default-rules.pickle"
    damaged.write_bytes(b"damaged")
    monkeypatch.setattr(rulecache, "PREBUILT", damaged)
    calls = []
    real = rules.validate_rules

    def counting(text: str, file: str) -> object:
        calls.append(file)
        return real(text, file)

    monkeypatch.setattr(rules, "validate_rules", counting)
    assert repr(load_rules().model) == expected and len(calls) == 1


class Planted:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch planted",))


def test_a_shipped_form_cannot_run_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert rulecache.load_prebuilt("x", _ship(tmp_path, Planted())) is None
    assert not (tmp_path / "planted").exists()


def _old_entry_name(text: str) -> str:
    """The name under which tunewise up to this change cached a rule set: computable offline
    from public data, which is what made the cache forgeable."""
    digest = rulecache._SHA256(f"{__version__}\0{sys.version}\0".encode())
    for name in (
        "ruleset/records.py",
        "ruleset/schema.py",
        "ruleset/load.py",
        "ruleset/shipped.py",
    ):
        digest.update((SRC / name).read_bytes())
    code = digest.digest()
    return f"rules-{rulecache.sha256_hex(code + _digest(text).encode())[:40]}.pickle"


def _forged_entry(text: str) -> bytes:
    """What the attacker plants: the real rule set with every fine-tuning check emptied."""
    model, _ = validate_rules(text, "default.yaml")
    for node in model.tree.nodes:
        if isinstance(node, ChecksNode):
            node.checks = []
    return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)


def test_a_planted_cache_entry_changes_no_verdict(tmp_path: Path) -> None:
    """The issue's attack, replayed in every place a cache was ever read from: a shared
    TUNEWISE_CACHE_DIR, XDG_CACHE_HOME, a shared HOME, a relative folder in the checkout —
    a forged entry (correct name, checks emptied) beside a FIFO under another entry's name."""
    text = _default_text()
    forged = _forged_entry(text)
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    profile = checkout / "tunewise.yaml"
    profile.write_text(yaml.safe_dump(FAILING, sort_keys=False), encoding="utf-8")
    custom = checkout / "custom-rules.yaml"
    custom.write_text(text, encoding="utf-8")
    folders = {
        "shared": tmp_path / "shared",
        "xdg": tmp_path / "xdg" / "tunewise",
        "home": tmp_path / "home" / ".cache" / "tunewise",
        "relative": checkout / ".cache",
    }
    for folder in folders.values():
        folder.mkdir(parents=True, mode=0o777)
        (folder / _old_entry_name(text)).write_bytes(forged)
        os.mkfifo(folder / _old_entry_name(text + "#"))
    env = dict(
        os.environ,
        TUNEWISE_CACHE_DIR=".cache",
        XDG_CACHE_HOME=str(tmp_path / "xdg"),
        HOME=str(tmp_path / "home"),
    )
    env.pop("TUNEWISE_NO_CACHE", None)
    for cache_dir in (".cache", str(folders["shared"]), ""):
        env["TUNEWISE_CACHE_DIR"] = cache_dir
        for extra in ([], ["--rules", str(custom)]):
            done = subprocess.run(
                [sys.executable, "-m", "tunewise", "check", str(profile), *extra],
                cwd=checkout,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 1, (cache_dir, extra, done.stdout, done.stderr)
            assert "FAIL" in done.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["advise", str(ROOT / "examples" / "law-firm.tunewise.yaml"), "--format", "json"],
        ["check", str(ROOT / "examples"), "--format", "json"],
    ],
    ids=["advise", "check"],
)
def test_the_default_rule_set_skips_pydantic_models(args: list[str]) -> None:
    """The start-up budget: advise or check on the built-in rules must not import pydantic's
    model machinery, from the very first run."""
    script = (
        "import sys, io, contextlib\n"
        "from tunewise.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main({args!r})\n"
        "heavy = sorted(m for m in ('pydantic.main', 'typer._adapters', 'tunewise.ruleset.schema',"
        " 'hashlib', 'zipfile') if m in sys.modules)\n"
        "print(code in (0, 1), ','.join(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "True"


def test_sha256_matches_hashlib() -> None:
    import hashlib

    assert rulecache.sha256_hex(b"tunewise") == hashlib.sha256(b"tunewise").hexdigest()
