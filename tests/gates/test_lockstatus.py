"""`dvc status` for a commit that is not checked out (mlgate.gates.lockstatus), against DVC's own
dvc.lock: the example's committed lock is up to date, so nothing may be stale, and every
kind of change is named as `dvc status` names it."""

from __future__ import annotations

from pathlib import Path

from mlgate.config.dvcfiles import load_dvc_yaml, parse_dvc_lock
from mlgate.gates.lockstatus import stale_stages
from mlgate.plumbing import git
from tests.support.project import REPO_ROOT, Project


def stale(root: Path, rev: str = "HEAD") -> list[str]:
    commit = git.resolve(rev, cwd=root)
    read = git.RevReader(commit, cwd=root)
    raw_yaml, raw_lock = read("dvc.yaml"), read("dvc.lock")
    assert raw_yaml is not None and raw_lock is not None
    dvc_yaml = load_dvc_yaml(raw_yaml)
    return stale_stages(root, commit, read, dvc_yaml, parse_dvc_lock(raw_lock),
                        [s.name for s in dvc_yaml.stages])


def test_the_example_at_head_is_up_to_date() -> None:
    # a directory dependency in git (data/source: DVC's .dir hash), dotted params, the
    # outputs of one stage as the next one's dependencies, and a root .dvcignore
    assert stale(REPO_ROOT) == []


def test_every_kind_of_change_is_named(tiny: Project) -> None:
    assert stale(tiny.path) == []
    train = (tiny.path / "src/train.py").read_text()
    tiny.write("src/train.py", train + "# tuned\n")
    params = (tiny.path / "params.yaml").read_text()
    tiny.write("params.yaml", params.replace("quality: 0.8", "quality: 0.9"))
    (tiny.path / "data/input.csv").unlink()
    dvc_yaml = (tiny.path / "dvc.yaml").read_text()
    tiny.write("dvc.yaml", dvc_yaml.replace("cmd: python src/train.py",
                                            "cmd: python src/train.py --fast"))
    tiny.commit_all("changed everything, reproduced nothing")
    assert stale(tiny.path) == [
        "train (changed command; changed params: params.yaml:train modified; changed deps: "
        "data/input.csv deleted, src/train.py modified)",
        "evaluate (changed deps: data/input.csv deleted)"]


def test_a_stage_not_in_dvc_lock(tiny: Project) -> None:
    dvc_yaml = (tiny.path / "dvc.yaml").read_text()
    tiny.write("dvc.yaml", dvc_yaml + "  report:\n    cmd: cat eval/metrics.json\n"
                                      "    deps:\n      - eval/metrics.json\n")
    tiny.commit_all("a new stage, never run")
    assert stale(tiny.path) == [
        "report (not in dvc.lock: run `dvc repro` and commit dvc.lock)"]


def test_a_params_file_that_does_not_parse_is_unreadable(tiny: Project) -> None:
    tiny.write("params.yaml", "train: [\n")
    tiny.commit_all("params.yaml broken")
    assert stale(tiny.path) == ["train (changed params: params.yaml unreadable)"]


def test_a_dvc_file_that_does_not_parse_counts_as_none(tiny: Project) -> None:
    # data/input.csv is then judged by what git holds: unchanged
    tiny.write("data/input.csv.dvc", "outs: [\n")
    tiny.commit_all("a .dvc file that does not parse")
    assert stale(tiny.path) == []
