"""What a pull request controls cannot change what judges it, and the scorer never sees a
label: real git, DVC and CLI, the evaluation read at the default branch."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.evaluated import SCORER, holdout_csv, make_evaluated, promote_staging, retrain
from tests.support.project import Project
from tests.support.registry import copy_project

Cli = Callable[..., Any]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """tiny with an evaluation, v1.0.0 (quality 0.8) in staging, and a candidate of
    quality 0.7 committed on a branch (made once)."""
    project = make_evaluated(tmp_path_factory.mktemp("served"))
    promote_staging(project)
    project.git("checkout", "-q", "-b", "change")
    retrain(project, 0.7)
    return project


@pytest.fixture
def repo(served: Project, tmp_path: Path) -> Project:
    return copy_project(served, tmp_path)


def evaluated(cli: Cli, repo: Project) -> dict[str, Any]:
    result = cli("evaluate", "tiny", "--against", "staging", "--format", "json", cwd=repo.path)
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def checked(cli: Cli, repo: Project, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli("check", "tiny", "--env", "staging", "--format", "json", *args, cwd=repo.path)
    assert result.code in (0, 1), result.err
    data: dict[str, Any] = json.loads(result.out)
    return result.code, data


def row(data: dict[str, Any], kind: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in data["results"] if r["kind"] == kind)
    return found


def test_check_judges_no_regression_on_the_same_rows(repo: Project, cli: Cli) -> None:
    code, data = checked(cli, repo)
    paired = row(data, "no_regression")
    assert code == 1 and not paired["passed"]
    assert "on the same 600 holdout rows: candidate" in paired["why"]
    assert paired["details"]["paired"]["high"] < -0.01
    threshold = row(data, "threshold")  # judged on mlgate's own roc_auc of the holdout
    assert threshold["observed"] == evaluated(cli, repo)["evaluation"]["candidate"][
        "metrics"]["roc_auc"]


@pytest.mark.parametrize("attack", ["scorer", "holdout", "dvc-file", "metrics-file",
                                    "declaration"])
def test_what_the_change_edits_does_not_judge_it(repo: Project, cli: Cli, attack: str) -> None:
    before = evaluated(cli, repo)
    code_before, check_before = checked(cli, repo)
    if attack == "scorer":  # perfect-looking scores for whatever it is handed
        repo.write("src/score.py", SCORER.replace("signal = ", "signal = 50 * sign + 0 * "))
    elif attack == "holdout":  # easier rows, re-added to DVC
        repo.write("data/holdout.csv", holdout_csv(rows=50, seed=3))
        repo.dvc("add", "-q", "data/holdout.csv")
    elif attack == "dvc-file":  # point the holdout at the training data's object
        dvc_file = repo.path / "data" / "holdout.csv.dvc"
        lock = (repo.path / "dvc.lock").read_text()
        md5 = lock.split("path: data/input.csv\n")[1].split("md5: ")[1].split("\n")[0]
        text = dvc_file.read_text()
        old = text.split("md5: ")[1].split("\n")[0]
        dvc_file.write_text(text.replace(old, md5))
    elif attack == "metrics-file":
        metrics = repo.path / "eval" / "metrics.json"
        data = json.loads(metrics.read_text())
        metrics.write_text(json.dumps({**data, "roc_auc": 0.999}))
    else:  # the candidate's own declaration points at its own scorer and holdout
        decl = repo.path / "pipelines" / "tiny.yaml"
        decl.write_text(decl.read_text().replace("python src/score.py", "python src/mine.py"))
        repo.write("src/mine.py", SCORER.replace("signal = ", "signal = 50 * sign + 0 * "))
    repo.commit_all(f"attack: {attack}")
    after = evaluated(cli, repo)
    assert after["evaluation"] == before["evaluation"]
    assert after["paired"] == before["paired"]
    code, check_after = checked(cli, repo, "--policy-ref", "origin/main")
    assert code == code_before == 1
    assert row(check_after, "no_regression") == row(check_before, "no_regression")
    assert row(check_after, "threshold") == row(check_before, "threshold")


def on_main(repo: Project, scorer: str) -> None:
    """A scorer merged to the default branch (what judges every change after it)."""
    branch = repo.git("rev-parse", "--abbrev-ref", "HEAD")
    repo.git("checkout", "-q", "main")
    repo.write("src/score.py", scorer)
    repo.commit_all("scorer")
    repo.push_main()
    repo.git("fetch", "-q", "origin")
    repo.git("checkout", "-q", branch)


def test_the_scorer_cannot_read_labels(repo: Project, cli: Cli) -> None:
    on_main(repo, SCORER.replace('sign = 1 if float(row["x"]) > 0 else -1',
                                 'sign = 1 if row["label"] == "1" else -1'))
    result = cli("evaluate", "tiny", "--against", "staging", cwd=repo.path)
    assert result.code == 2, result.out + result.err
    assert "the scoring command failed for " in result.err
    assert "KeyError: 'label'" in result.err


BAD_SCORES = [
    ("missing-ids", ("for row in csv.DictReader(fh):",
                     "for row in list(csv.DictReader(fh))[5:]:"),
     "5 of 600 holdout ids have no score, e.g. 1000, 1001, 1002"),
    ("nan", ("{1 / (1 + math.exp(-signal)):.6f}", "{'nan' if row['id'] == '1003' else 0.5}"),
     "a score is not a finite number (id 1003: [nan])"),
    ("out-of-range", ("{1 / (1 + math.exp(-signal)):.6f}", "{signal:.6f}"),
     "a probability outside [0, 1]"),
    ("duplicate-id", ('out.write("id,score\\n")', 'out.write("id,score\\n1000,0.5\\n")'),
     "id '1000' appears more than once"),
    ("unknown-id", ('out.write("id,score\\n")', 'out.write("id,score\\n7,0.5\\n")'),
     "id '7' is not a holdout id"),
    ("no-score-column", ('out.write("id,score\\n")', 'out.write("id,prob\\n")'),
     "expected column score; lacks score (found: prob)"),
    ("no-file", ("with open(args.data) as fh, open(args.out, \"w\") as out:",
                 "with open(args.data) as fh, open(args.out + '.x', \"w\") as out:"),
     "the scorer wrote no file"),
]


@pytest.mark.parametrize(("change", "message"), [c[1:] for c in BAD_SCORES],
                         ids=[c[0] for c in BAD_SCORES])
def test_bad_score_files_are_bad_input(repo: Project, cli: Cli, change: tuple[str, str],
                                       message: str) -> None:
    assert change[0] in SCORER
    on_main(repo, SCORER.replace(*change))
    result = cli("evaluate", "tiny", "--against", "staging", cwd=repo.path)
    assert result.code == 2, result.out + result.err
    assert message in result.err
    assert result.err.startswith("the scores of the candidate (working tree): ")
    assert "Traceback" not in result.err


def test_absent_holdout_names_the_command_that_brings_it(repo: Project, cli: Cli) -> None:
    from mlgate.plumbing.dvccache import cached_file

    text = (repo.path / "data" / "holdout.csv.dvc").read_text()
    cached_file(repo.path, text.split("md5: ")[1].split("\n")[0]).unlink()
    result = cli("evaluate", "tiny", "--against", "staging", cwd=repo.path)
    assert result.code == 2
    assert result.err.startswith("the holdout data/holdout.csv (md5 ")
    assert "is not in the local DVC cache" in result.err
    assert "dvc fetch data/holdout.csv.dvc" in result.err


def test_a_holdout_swapped_in_the_cache_is_refused(repo: Project, cli: Cli) -> None:
    """A DVC remote (or cache) that a change can write to delivers other rows under the
    pinned md5 (DVC does not verify what it fetches): mlgate checks the bytes."""
    from mlgate.plumbing.dvccache import cached_file

    text = (repo.path / "data" / "holdout.csv.dvc").read_text()
    cached = cached_file(repo.path, text.split("md5: ")[1].split("\n")[0])
    swapped = holdout_csv(seed=12)  # same shape, other rows: an easier exam
    cached.chmod(0o644)
    cached.unlink()
    cached.write_text(swapped)
    result = cli("evaluate", "tiny", "--against", "staging", cwd=repo.path)
    assert result.code == 2, result.out
    assert result.err.startswith("the holdout data/holdout.csv (md5 ")
    assert "in the local DVC cache does not match the md5 it is stored under" in result.err
    assert "its bytes were changed" in result.err and "Traceback" not in result.err


def test_absent_incumbent_names_the_command_that_brings_it(repo: Project, cli: Cli) -> None:
    import shutil

    shutil.rmtree(repo.path / ".dvc" / "cache")
    repo.dvc("pull", "-q")  # the candidate's outputs and the holdout: not v1.0.0's model
    result = cli("evaluate", "tiny", "--against", "staging", cwd=repo.path)
    assert result.code == 2
    assert result.err.startswith("the incumbent's model/model.bin (v1.0.0 in staging, md5 ")
    assert "bring it with `dvc fetch --all-tags`" in result.err


# Appended to the change's training stage: run by `dvc repro` in the pull request's job
# (and by `mlgate run` in the promote job once merged), it rewrites the DVC cache's object
# of what staging serves, an md5 that the registry's record makes public, as a poor model.
POISON = '''
import pathlib

poisoned = pathlib.Path(".dvc/cache/files/md5/{head}/{tail}")
poisoned.chmod(0o644)
poisoned.unlink()
poisoned.write_text(json.dumps({{"quality": 0.3, "rows": 400, "seed": 3,
                                 "trained_on": 400}}, sort_keys=True) + "\\n")
'''


@pytest.mark.parametrize("vector", ["stage", "config"])
def test_an_incumbent_rewritten_in_the_cache_is_refused(repo: Project, cli: Cli,
                                                        vector: str) -> None:
    """no_regression compares the candidate with the bytes the cache holds under the
    incumbent's md5; the change can write there, so mlgate checks those bytes. By code: a
    stage of the change. By data alone: a `.dvc/config` naming a cache the change commits
    (CI checks it out; `dvc pull` fills in the rest)."""
    import shutil

    served = repo.git("show", "origin/main:dvc.lock")
    md5 = served.split("path: model/model.bin\n")[1].split("md5: ")[1].split("\n")[0]
    if vector == "stage":
        train = repo.path / "src" / "train.py"
        train.write_text(train.read_text() + POISON.format(head=md5[:2], tail=md5[2:]))
        repo.dvc("repro", "-q")
    else:
        shutil.copytree(repo.path / ".dvc" / "cache", repo.path / "vendor" / "cache")
        repo.dvc("config", "cache.dir", "vendor/cache")  # .dvc/config: ../vendor/cache
        poisoned = repo.path / "vendor" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
        poisoned.chmod(0o644)
        poisoned.write_text(json.dumps({"quality": 0.3, "rows": 400, "seed": 3,
                                        "trained_on": 400}, sort_keys=True) + "\n")
    repo.commit_all("the same model, and a poor one where staging's is cached")
    result = cli("check", "tiny", "--env", "staging", "--policy-ref", "origin/main",
                 cwd=repo.path)
    assert result.code == 2, result.out  # without the check: no_regression passed, exit 0
    assert result.err.startswith("the artifact of v1.0.0 in staging (")
    assert f"does not match the md5 it is stored under ({md5}): its bytes were changed" \
        in result.err
    assert "Traceback" not in result.err
    report = cli("report", "tiny", "--base", "origin/main", cwd=repo.path)  # the PR's job
    assert report.code == 2, report.out
    assert "does not match the md5 it is stored under" in report.out + report.err


def test_a_holdout_directory_relisted_in_the_cache_is_refused(repo: Project, cli: Cli) -> None:
    """A holdout directory is read through its listing, the cache's object under the pinned
    hash: one rewritten to name other files (each intact under its own md5) would swap the
    exam as surely as rewriting a file, so the listing's bytes are checked too."""
    from mlgate.plumbing.dvccache import bytes_md5, cached_file

    rows = holdout_csv().splitlines(keepends=True)
    repo.git("checkout", "-q", "main")
    repo.git("rm", "-q", "data/holdout.csv.dvc")
    (repo.path / "data" / "holdout.csv").unlink()
    repo.write("data/holdout/a.csv", "".join(rows[:301]))
    repo.write("data/holdout/b.csv", "".join(rows[:1] + rows[301:]))
    repo.dvc("add", "-q", "data/holdout")
    decl = repo.path / "pipelines" / "tiny.yaml"
    decl.write_text(decl.read_text().replace("holdout: data/holdout.csv", "holdout: data/holdout"))
    repo.commit_all("the holdout as a directory of files")
    repo.dvc("push", "-q")
    repo.push_main()
    repo.git("fetch", "-q", "origin")
    repo.git("checkout", "-q", "change")
    assert cli("evaluate", "tiny", "--against", "staging", cwd=repo.path).code == 0

    text = repo.git("show", "origin/main:data/holdout.dvc")
    listing = cached_file(repo.path, text.split("md5: ")[1].split("\n")[0])
    easier = holdout_csv(seed=12).encode()  # same shape, other rows
    other = cached_file(repo.path, bytes_md5(easier))
    other.parent.mkdir(parents=True, exist_ok=True)
    other.write_bytes(easier)
    listing.chmod(0o644)
    listing.unlink()
    listing.write_text(json.dumps([{"md5": bytes_md5(easier), "relpath": "a.csv"}]))
    result = cli("evaluate", "tiny", "--against", "staging", cwd=repo.path)
    assert result.code == 2, result.out  # without the check: scored on the other rows, exit 0
    assert result.err.startswith("the holdout data/holdout (its listing, md5 ")
    assert "does not match the md5 it is stored under" in result.err
    assert "Traceback" not in result.err
