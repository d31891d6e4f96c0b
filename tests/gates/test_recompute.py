"""Metrics are recomputed, never read on trust: the stages that write them re-run from the
artifact in a temporary worktree, and a committed number that differs is a failed gate.

The attacks run for real on the tiny pipeline (its `evaluate` stage reads the model and
writes metrics and predictions); the plan and the comparison are pure tables.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from mlgate.config.dvcfiles import load_dvc_yaml, parse_dvc_lock
from mlgate.config.model import Metrics, Model, Owner, PredictionsFile, Review
from mlgate.gates.recompute import NotRecomputed, differences, plan
from mlgate.plumbing.dvccache import cached_file
from mlgate.plumbing.worktree import stage_env
from tests.support.project import Project

M = "eval/metrics.json"


def forge(project: Project, **better: float) -> dict[str, Any]:
    """The attack: better numbers by hand, `dvc commit -f`, committed."""
    metrics: dict[str, Any] = json.loads((project.path / M).read_text())
    real = dict(metrics)
    metrics.update(better)
    project.write(M, json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    project.dvc("commit", "-f", "-q")
    project.commit_all("better numbers")
    return real


def row(results: list[dict[str, Any]]) -> dict[str, Any]:
    first = results[0]
    assert first["gate"] == "metrics recomputed", results
    return first


def test_hand_edited_metrics_fail_check_and_promote(tiny: Project, cli: Any) -> None:
    real = forge(tiny, roc_auc=0.99)
    status = cli("check", "tiny", "--env", "staging", "--format", "json", cwd=tiny.path)
    assert status.code == 1, status.out + status.err
    results = json.loads(status.out)["results"]
    recomputed = row(results)
    assert not recomputed["passed"]
    assert recomputed["observed"] == "differs"
    assert recomputed["why"] == (
        f"{M}: roc_auc committed 0.99, recomputed {real['roc_auc']}; re-ran 'evaluate' from "
        "model/model.bin in a temporary worktree, and the gates judge its numbers")
    assert recomputed["details"]["differences"] == [
        {"file": M, "metric": "roc_auc", "committed": 0.99, "recomputed": real["roc_auc"]}]
    # the rest of the gates judge the numbers the re-run gave, and `reproducible` is clean
    threshold = next(r for r in results if r["kind"] == "threshold")
    assert threshold["observed"] == real["roc_auc"]
    assert next(r for r in results if r["kind"] == "reproducible")["passed"]

    at_rev = cli("check", "tiny", "--env", "staging", "--rev", "HEAD", "--format", "json",
                 cwd=tiny.path)
    assert at_rev.code == 1
    assert row(json.loads(at_rev.out)["results"])["details"]["differences"] == \
        recomputed["details"]["differences"]

    tiny.dvc("push", "-q")
    tiny.push_main()  # merged: promote takes only what the default branch reaches
    promoted = cli("promote", "tiny", "--env", "staging", "--format", "json", cwd=tiny.path)
    assert promoted.code == 1, promoted.out + promoted.err
    assert not row(json.loads(promoted.out)["decision"]["results"])["passed"]
    assert tiny.git("tag") == ""
    assert tiny.git("for-each-ref", "refs/heads/mlgate") == ""
    # the worktree is gone, and git's list of worktrees with it
    assert tiny.git("worktree", "list", "--porcelain").count("worktree ") == 1


def test_a_metrics_md5_fixed_in_dvc_lock_fails_too(tiny: Project, cli: Any) -> None:
    import hashlib

    text = (tiny.path / M).read_text()
    old_md5 = hashlib.md5(text.encode()).hexdigest()
    forged = text.replace('"n": 400', '"n": 4000')
    tiny.write(M, forged)
    lock = (tiny.path / "dvc.lock").read_text()
    assert old_md5 in lock
    tiny.write("dvc.lock", lock.replace(old_md5, hashlib.md5(forged.encode()).hexdigest()))
    tiny.commit_all("more rows")
    status = cli("check", "tiny", "--env", "staging", cwd=tiny.path)
    assert status.code == 1
    assert f"{M}: n committed 4000, recomputed 400" in status.out


def test_genuine_metrics_pass_and_the_record_holds_them(tiny: Project, cli: Any) -> None:
    tiny.dvc("push", "-q")
    tiny.push_main()
    done = cli("promote", "tiny", "--env", "staging", "--format", "json", cwd=tiny.path)
    assert done.code == 0, done.out + done.err
    out = json.loads(done.out)
    recomputed = row(out["decision"]["results"])
    assert recomputed["passed"] and recomputed["observed"] == "same"
    assert recomputed["details"] == {"stages": ["evaluate"], "differences": [],
                                     "not_committed": []}
    assert out["record"]["predicate"]["metrics"] == json.loads((tiny.path / M).read_text())


def test_the_working_tree_is_what_is_re_run(tiny: Project, cli: Any) -> None:
    """Uncommitted changes to the evaluation's code count: the candidate is the working
    tree, so its files are copied over HEAD in the worktree."""
    script = tiny.path / "src" / "evaluate.py"
    script.write_text(script.read_text().replace('"n": len(pairs)', '"n": len(pairs) + 1'))
    status = cli("check", "tiny", "--env", "staging", "--format", "json", cwd=tiny.path)
    assert status.code == 1
    assert row(json.loads(status.out)["results"])["details"]["differences"] == [
        {"file": M, "metric": "n", "committed": 400, "recomputed": 401}]


def test_an_input_missing_from_the_cache_names_the_command(tiny: Project, cli: Any) -> None:
    lock = parse_dvc_lock(tiny.git("show", "HEAD:dvc.lock").encode())
    entry = lock.out("model/model.bin")
    assert entry is not None and entry.md5 is not None
    md5 = entry.md5
    cached_file(tiny.path, md5).unlink()
    status = cli("check", "tiny", "--env", "staging", "--rev", "HEAD", "--format", "json",
                 cwd=tiny.path)
    assert status.code == 1, status.out + status.err
    recomputed = row(json.loads(status.out)["results"])
    assert recomputed["observed"] == "not recomputed"
    assert recomputed["why"] == (
        f"model/model.bin (md5 {md5[:8]}) is not in the local DVC cache; bring it with "
        "`dvc pull model/model.bin` (or `dvc fetch`), then check again")


def test_a_better_model_under_the_artifacts_md5_in_the_cache_is_refused(tiny: Project,
                                                                        cli: Any) -> None:
    """The re-run reads the model from the DVC cache under the md5 dvc.lock records; the
    change can write there (a stage, or a `.dvc/config` naming a cache it commits). A poor
    model, the metrics of a better one committed and the better one's bytes put under the
    poor one's md5: without a check of those bytes the re-run agreed with the committed
    numbers, and the gates judged them, for an artifact that never earned them (here
    `dvc status` happens to notice, which only an environment with `reproducible` reads)."""
    better = (tiny.path / "model" / "model.bin").read_bytes()
    metrics = (tiny.path / M).read_text()
    params = tiny.path / "params.yaml"
    params.write_text(params.read_text().replace("quality: 0.8", "quality: 0.5"))
    tiny.dvc("repro", "-q")
    tiny.write(M, metrics)  # the better model's numbers
    tiny.dvc("commit", "-f", "-q")
    tiny.commit_all("a poor model, with the numbers of the better one")
    lock = parse_dvc_lock((tiny.path / "dvc.lock").read_bytes())
    entry = lock.out("model/model.bin")
    assert entry is not None and entry.md5 is not None
    poisoned = cached_file(tiny.path, entry.md5)
    poisoned.chmod(0o644)
    poisoned.write_bytes(better)
    status = cli("check", "tiny", "--env", "staging", "--format", "json", cwd=tiny.path)
    assert status.code == 1, status.out + status.err
    recomputed = row(json.loads(status.out)["results"])
    assert recomputed["observed"] == "not recomputed"  # without the check: "same", passed
    assert recomputed["why"].startswith(
        f"model/model.bin (md5 {entry.md5[:8]}) in the local DVC cache does not match the "
        "md5 it is stored under: its bytes were changed; ")


def test_training_that_writes_the_metrics_is_refused_with_a_hint(tiny: Project, cli: Any
                                                                ) -> None:
    tiny.write("dvc.yaml", """\
stages:
  train:
    cmd: python src/train.py && python src/evaluate.py
    deps: [src/train.py, src/evaluate.py, data/input.csv]
    params: [train]
    outs: [model/model.bin, eval/predictions.csv]
    metrics:
      - eval/metrics.json: {cache: false}
""")
    tiny.dvc("repro", "-q")
    tiny.commit_all("one stage")
    status = cli("check", "tiny", "--env", "staging", cwd=tiny.path)
    assert status.code == 1
    assert ("stage 'train' writes both the artifact model/model.bin and eval/metrics.json: "
            "they cannot be recomputed without training again; give the evaluation a stage of "
            "its own") in " ".join(status.out.split())


DVC_YAML = """\
stages:
  train: {cmd: t, deps: [data.csv], outs: [model.bin]}
  score: {cmd: s, deps: [model.bin, test.csv], outs: [scores.csv]}
  evaluate: {cmd: e, deps: [scores.csv], outs: [preds.csv], metrics: [m.json]}
  fake: {cmd: cp fake.json other.json, deps: [fake.json], metrics: [other.json]}
  both: {cmd: b, deps: [data.csv], outs: [model2.bin], metrics: [m2.json]}
"""


def model(artifact: str, metrics: str, predictions: str | None) -> Model:
    return Model(name="m", description="", owner=Owner("o", "o@example.com"), risk_tier="low",
                 intended_use="", review=Review("2026-01-01"), artifact=artifact,
                 metrics=Metrics(files=(metrics,)), environments=(),
                 predictions=PredictionsFile(predictions) if predictions else None)


@pytest.mark.parametrize(("artifact", "metrics", "predictions", "expected"), [
    ("model.bin", "m.json", "preds.csv", ["score", "evaluate"]),
    ("model.bin", "other.json", None,
     "stage 'fake' writes other.json without reading the artifact model.bin: its numbers "
     "cannot be the model's"),
    ("model2.bin", "m2.json", None,
     "stage 'both' writes both the artifact model2.bin and m2.json: they cannot be "
     "recomputed without training again"),
    ("model.bin", "nowhere.json", None, "no stage in dvc.yaml writes nowhere.json"),
])
def test_plan(artifact: str, metrics: str, predictions: str | None, expected: Any) -> None:
    dvc_yaml = load_dvc_yaml(DVC_YAML.encode())
    declared = model(artifact, metrics, predictions)
    if isinstance(expected, list):
        assert plan(declared, dvc_yaml) == expected
        return
    with pytest.raises(NotRecomputed) as caught:
        plan(declared, dvc_yaml)
    assert caught.value.message == expected


@pytest.mark.parametrize(("committed", "recomputed", "expected"), [
    ({"auc": 0.8123456789}, {"auc": 0.8123456789}, []),
    ({"auc": 0.1 + 0.2}, {"auc": 0.3}, []),  # the last bits of a sum taken in another order
    ({"auc": 0.8123}, {"auc": 0.8124}, [("auc", 0.8123, 0.8124)]),
    ({"auc": 0.8123456}, {"auc": 0.8123457}, [("auc", 0.8123456, 0.8123457)]),
    ({"n": 400}, {"n": 400.0}, []),
    ({"a": {"b": 1}}, {"a": {"b": 2}}, [("a.b", 1, 2)]),
    ({"x": 1}, {}, [("x", 1, None)]),
    ({}, {"x": 1}, [("x", None, 1)]),
    ({"x": math.nan}, {"x": math.nan}, []),
    ({"ok": True}, {"ok": 1}, [("ok", True, 1)]),
    ({"label": "a"}, {"label": "b"}, [("label", "a", "b")]),
])
def test_differences(committed: dict[str, Any], recomputed: dict[str, Any],
                     expected: list[tuple[str, Any, Any]]) -> None:
    assert differences(committed, recomputed) == expected


def test_the_re_run_sees_no_credentials(tmp_path: Path) -> None:
    env = stage_env({"PATH": "/bin", "HOME": "/home/u", "AWS_SECRET_ACCESS_KEY": "s",
                     "AWS_ACCESS_KEY_ID": "a", "GITHUB_TOKEN": "t", "GH_TOKEN": "t",
                     "AZURE_STORAGE_KEY": "k", "GOOGLE_APPLICATION_CREDENTIALS": "f",
                     "SSH_AUTH_SOCK": "/s", "MY_API_TOKEN": "t", "DB_PASSWORD": "p",
                     "GIT_DIR": "/x/.git", "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1"})
    assert {k for k in env if k not in ("DVC_NO_ANALYTICS", "DVC_NO_UPDATE_CHECK",
                                        "ITERATIVE_DO_NOT_TRACK", "GIT_TERMINAL_PROMPT")} == \
        {"PATH", "HOME", "LANG", "OMP_NUM_THREADS"}
    assert env["DVC_NO_ANALYTICS"] == "1"


@pytest.mark.parametrize("dep", ["../secret.txt", "/etc/passwd", "s3://bucket/key"])
def test_an_input_outside_the_repository_is_not_brought(tmp_path: Path, dep: str) -> None:
    from mlgate.gates.candidate import Candidate
    from mlgate.gates.rerun_inputs import bring_inputs

    dvc_yaml = load_dvc_yaml(f"stages:\n  evaluate:\n    cmd: e\n    deps: ['{dep}']\n"
                             "    metrics: [m.json]\n".encode())
    lock = parse_dvc_lock(f"schema: '2.0'\nstages:\n  evaluate:\n    cmd: e\n    deps:\n"
                          f"    - path: '{dep}'\n      md5: 0123456789abcdef\n".encode())
    cand = Candidate(tmp_path, lambda _: None, "0" * 40, None)
    with pytest.raises(NotRecomputed) as caught:
        bring_inputs(cand, tmp_path / "tree", dvc_yaml, lock, ["evaluate"])
    assert caught.value.message == f"stage 'evaluate' reads {dep}, outside the repository"


def test_an_input_is_never_written_through_a_symlink_out_of_the_worktree(
        tiny: Project, cli: Any, tmp_path: Path) -> None:
    """A change that is only data: a committed symlink `link` to a directory outside the
    repository, an input `link/evil.pth` of the evaluation stage in dvc.yaml and dvc.lock,
    and that object in the DVC cache (from a remote or a cache its `.dvc/config` names).
    The re-run's worktree checks the symlink out; copying the input there would write the
    object wherever it points (a `.pth` file in site-packages runs in every later Python)."""
    import yaml

    from mlgate.plumbing.dvccache import bytes_md5

    outside = tmp_path / "outside"
    outside.mkdir()
    (tiny.path / "link").symlink_to(outside)
    payload = b"import sys; print('ran', file=sys.stderr)\n"
    md5 = bytes_md5(payload)
    cached = cached_file(tiny.path, md5)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(payload)
    pipeline = yaml.safe_load((tiny.path / "dvc.yaml").read_text())
    pipeline["stages"]["evaluate"]["deps"].append("link/evil.pth")
    (tiny.path / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    lock = yaml.safe_load((tiny.path / "dvc.lock").read_text())
    lock["stages"]["evaluate"]["deps"].append(
        {"path": "link/evil.pth", "hash": "md5", "md5": md5, "size": len(payload)})
    (tiny.path / "dvc.lock").write_text(yaml.safe_dump(lock, sort_keys=False))
    tiny.commit_all("an input of the evaluation, through a link")
    status = cli("check", "tiny", "--env", "staging", "--format", "json", cwd=tiny.path)
    assert not (outside / "evil.pth").exists()  # without the check: written there
    assert status.code == 1, status.out + status.err
    recomputed = row(json.loads(status.out)["results"])
    assert recomputed["observed"] == "not recomputed"
    assert recomputed["why"].startswith(
        "link/evil.pth leads outside the repository through a symlink of the candidate's; ")
