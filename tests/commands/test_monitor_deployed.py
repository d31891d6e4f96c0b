"""`mlgate monitor --env ENV` judges against the reference profile of the version ENV
serves (its commit's dvc.lock md5, from the DVC cache), not the working tree's."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from mlgate.config.dvcfiles import parse_dvc_lock
from mlgate.plumbing.dvccache import cached_file
from tests.support.project import Project, make_project, sh

REFERENCE = "monitoring/reference.json"
pytestmark = pytest.mark.slow  # two trained versions and their promotions


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, str, str]:
    """v1.0.0 in production; then main trains on data whose x moved by 2 sd, and that
    version reaches staging only. Returns the project and both profiles' md5."""
    project = make_project(tmp_path_factory.mktemp("staged"), "monitored")
    project.dvc("push", "-q")
    sh(sys.executable, "-m", "mlgate", "promote", "scored", "--env", "production", "--push",
       cwd=project.path)
    first = _lock_md5(project)
    dvc_yaml = (project.path / "dvc.yaml").read_text()
    project.write("dvc.yaml", dvc_yaml.replace("--seed 1 --out", "--seed 1 --shift 2 --out"))
    project.dvc("repro", "-q")
    project.commit_all("train on the new data")
    project.push_main()
    project.dvc("push", "-q")
    sh(sys.executable, "-m", "mlgate", "promote", "scored", "--env", "staging", "--push",
       cwd=project.path)
    second = _lock_md5(project)
    assert first != second
    return project, first, second


@pytest.fixture
def own(staged: tuple[Project, str, str], tmp_path: Path) -> Project:
    return staged[0].working_copy(tmp_path / "work")


def _lock_md5(project: Project) -> str:
    entry = parse_dvc_lock((project.path / "dvc.lock").read_bytes()).out(REFERENCE)
    assert entry is not None and entry.md5 is not None
    return entry.md5


def batch(project: Project, out: Path, *args: str) -> Path:
    sh(sys.executable, "src/make_data.py", "--rows", "5000", "--seed", "2", *args, "--out",
       str(out), cwd=project.path)
    return out


def monitor(cli: Any, project: Project, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli("monitor", "scored", *args, "--format", "json", cwd=project.path)
    assert result.code in (0, 1), result.out + result.err
    return result.code, json.loads(result.out)


def test_production_is_judged_against_the_profile_of_the_version_it_serves(
        staged: tuple[Project, str, str], tmp_path: Path, cli: Any) -> None:
    project, first, second = staged
    unshifted = batch(project, tmp_path / "old.parquet")  # what production's data looks like
    code, report = monitor(cli, project, "--env", "production", "--current", str(unshifted))
    assert code == 0, report
    head = project.git("rev-parse", "scored@v1.0.0^{commit}")
    assert {k: report["reference"][k] for k in ("md5", "version", "commit", "source")} == {
        "md5": first, "version": "1.0.0", "commit": head,
        "source": f"{REFERENCE} of v1.0.0 ({head[:7]}), served in production"}
    assert {f["column"]: f["level"] for f in report["features"]}["x"] == "ok"
    text = cli("monitor", "scored", "--env", "production", "--current", str(unshifted),
               cwd=project.path).out.splitlines()
    assert text[2] == f"  judged against {REFERENCE} of v1.0.0 ({head[:7]}), served in " \
                      f"production, md5 {first}"

    # staging serves the new version: the same batch is far from its profile
    code, report = monitor(cli, project, "--env", "staging", "--current", str(unshifted))
    assert (code, report["reference"]["md5"], report["reference"]["version"]) == (
        1, second, "1.1.0")
    assert {f["column"]: f["level"] for f in report["features"]}["x"] == "alert"


def test_nothing_deployed_judges_the_working_tree_and_says_so(own: Project, tmp_path: Path,
                                                             cli: Any) -> None:
    for tag in own.git("tag", "--list", "scored#*").split():
        own.git("tag", "-d", tag)
    data = batch(own, tmp_path / "b.parquet", "--shift", "2")
    code, report = monitor(cli, own, "--env", "production", "--current", str(data))
    working = hashlib.md5((own.path / REFERENCE).read_bytes()).hexdigest()
    assert (code, report["reference"]["md5"], report["reference"]["version"]) == (0, working,
                                                                                   None)
    assert report["reference"]["source"] == (
        f"{REFERENCE} in the working tree: nothing is deployed in production")
    text = cli("monitor", "scored", "--env", "production", "--current", str(data),
               cwd=own.path).out.splitlines()
    assert text[2] == (f"  judged against {REFERENCE} in the working tree: nothing is "
                       f"deployed in production, md5 {working}")


def test_a_profile_missing_from_the_cache_names_the_command_that_fetches_it(
        staged: tuple[Project, str, str], own: Project, tmp_path: Path, cli: Any) -> None:
    first = staged[1]
    cached_file(own.path, first).unlink()
    data = batch(own, tmp_path / "b.parquet")
    result = cli("monitor", "scored", "--env", "production", "--current", str(data),
                 cwd=own.path)
    head = own.git("rev-parse", "scored@v1.0.0^{commit}")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"{REFERENCE}: the reference profile {REFERENCE} at v1.0.0 ({head[:7]}) is not in "
        "the local DVC cache\n"
        f"  hint: bring it from the DVC remote with `dvc fetch --all-tags {REFERENCE}` (the "
        "version's tag names its commit); then run this again\n")
    own.dvc("fetch", "-q", "--all-tags", REFERENCE)  # the command the hint names
    code, report = monitor(cli, own, "--env", "production", "--current", str(data))
    assert (code, report["reference"]["md5"]) == (0, first)


def test_the_working_tree_profile_edited_changes_nothing_once_deployed(
        staged: tuple[Project, str, str], own: Project, tmp_path: Path, cli: Any) -> None:
    """A profile rewritten in the working tree (by hand, or a later `dvc repro`) is not
    what production is judged against."""
    target = own.path / REFERENCE
    target.unlink()  # never written through: it may be a link into the DVC cache
    shifted = batch(own, tmp_path / "shifted.parquet", "--shift", "2")
    sh(sys.executable, "-m", "mlgate", "profile", str(shifted), "--exclude", "id,y",
       "--score-column", "score", "--out", str(target), cwd=own.path)
    code, report = monitor(cli, own, "--env", "production", "--current", str(shifted))
    assert (code, report["reference"]["md5"]) == (1, staged[1])


def test_an_altered_cache_copy_of_the_profile_is_refused(
        staged: tuple[Project, str, str], own: Project, tmp_path: Path, cli: Any) -> None:
    """Whoever can write the runner's DVC cache must not choose the reference: the bytes
    read must have the md5 the deployed commit's dvc.lock records."""
    first, second = staged[1], staged[2]
    target = cached_file(own.path, first)
    target.unlink()  # the object may be linked: replace it, never write through
    shutil.copyfile(cached_file(own.path, second), target)  # a valid profile, the wrong one
    data = batch(own, tmp_path / "b.parquet")
    result = cli("monitor", "scored", "--env", "production", "--current", str(data),
                 cwd=own.path)
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith(
        f"{REFERENCE}: the reference profile {REFERENCE} of v1.0.0 (")
    assert f"read {second}, not the md5 its dvc.lock records ({first})" in result.err
