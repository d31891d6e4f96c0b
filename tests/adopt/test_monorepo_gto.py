"""A monorepo whose two pipelines, `models/a/dvc.yaml` and `models/b/dvc.yaml`, each
name their model `churn` in `artifacts:`: GTO and DVC Studio address them `models/a:churn`
and `models/b:churn`. Declared as `churn-a` and `churn-b`, they go through init, promote,
show, history, rollback, retire and `audit verify` under GTO's tags
(`models/a=churn@v1.0.0`, `models/a=churn#staging#1`), and the real `gto show` reads
mlgate's tags as the same artifacts, with the same versions where mlgate says they are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.adopt.test_monorepo import PIPELINE, pipelines
from tests.adopt.test_real_layouts import ok
from tests.support.project import Project
from tests.support.registry import assert_gto_agrees, gto_show

ARTIFACTS = "artifacts:\n  churn:\n    path: model/model.bin\n    type: model\n"
FOLDERS = {"churn-a": "models/a", "churn-b": "models/b"}


def _declare(cli: Any, project: Project, name: str, folder: str) -> None:
    """`mlgate init` of the folder's pipeline, its declaration renamed: both pipelines
    name their artifact `churn`, and one repository holds one `pipelines/churn.yaml`."""
    result = cli("init", "--pipeline", f"{folder}/dvc.yaml", cwd=project.path)
    assert result.code == 0, result.out + result.err
    written = project.path / "pipelines/churn.yaml"
    text = written.read_text()
    assert f'dvc_artifact: "{folder}:churn"' in text
    (project.path / f"pipelines/{name}.yaml").write_text(
        text.replace("\nname: churn\n", f"\nname: {name}\n"))
    written.unlink()


@pytest.fixture
def mono(tmp_path: Path, cli: Any) -> Project:
    return make_mono(tmp_path, cli)


def make_mono(tmp_path: Path, cli: Any) -> Project:
    """The two pipelines, adopted (declarations, workflows) and pushed, nothing promoted;
    also the act tests' monorepo."""
    project = pipelines(tmp_path, list(FOLDERS.values()), PIPELINE + ARTIFACTS)
    for name, folder in FOLDERS.items():
        _declare(cli, project, name, folder)
    project.commit_all("adopt mlgate")
    project.push_main()
    project.dvc("push", "-q")
    return project


def _tags(project: Project) -> list[str]:
    return sorted(project.git("tag", "--list").split())


def better_a(project: Project) -> None:
    params = project.path / "models/a/params.yaml"
    params.write_text(params.read_text().replace("quality: 0.8", "quality: 0.9"))
    project.dvc("repro", "-q", "models/a/dvc.yaml")
    project.commit_all("a better churn model in models/a")
    project.push_main()
    project.dvc("push", "-q")


@pytest.mark.slow
def test_a_subdirectory_artifact_lives_under_gtos_address(mono: Project, cli: Any) -> None:
    assert cli("validate", cwd=mono.path).code == 0
    records = {}
    for name in FOLDERS:
        promoted = ok(cli, mono, "promote", name, "--env", "staging", "--push",
                      "--format", "json")
        records[name] = promoted["record"]["predicate"]
    assert _tags(mono) == ["models/a=churn#staging#1", "models/a=churn@v1.0.0",
                           "models/b=churn#staging#1", "models/b=churn@v1.0.0"]
    assert (records["churn-a"]["model"], records["churn-a"]["address"]) == (
        "churn-a", "models/a:churn")  # the declaration's name and GTO's, for an auditor
    assert records["churn-b"]["tags"] == ["models/b=churn@v1.0.0", "models/b=churn#staging#1"]

    shown = ok(cli, mono, "show", "--format", "json")["models"]
    assert {n: (v["address"], v["latest"]) for n, v in shown.items()} == {
        "churn-a": ("models/a:churn", "v1.0.0"), "churn-b": ("models/b:churn", "v1.0.0")}
    assert sorted(gto_show(mono.path)) == ["models/a:churn", "models/b:churn"]
    assert_gto_agrees(mono.path)
    by_address = ok(cli, mono, "show", "models/b:churn", "--format", "json")["models"]
    assert list(by_address) == ["churn-b"]
    text = cli("show", "churn-a", cwd=mono.path)
    assert text.code == 0 and "churn-a [models/a:churn] (latest v1.0.0)" in text.out

    better_a(mono)
    ok(cli, mono, "promote", "churn-a", "--env", "staging", "--push", "--format", "json")
    assert "models/a=churn#staging#2" in _tags(mono) and "models/a=churn@v1.1.0" in _tags(mono)
    rolled = ok(cli, mono, "rollback", "churn-a", "--env", "staging", "--reason",
                "v1.1.0 misbehaves", "--push", "--format", "json")
    assert rolled["record"]["predicate"]["tags"] == ["models/a=churn#staging#3"]
    retired = ok(cli, mono, "retire", "churn-b", "--env", "staging", "--reason",
                 "replaced", "--push", "--format", "json")
    assert retired["record"]["predicate"]["tags"] == ["models/b=churn#staging!#2"]
    gto = gto_show(mono.path)
    assert gto["models/a:churn"]["version"] == "v1.1.0"
    assert gto["models/a:churn"]["stage"]["staging"] == "v1.0.0"  # rolled back, for GTO too
    assert_gto_agrees(mono.path)

    for asked in ("churn-a", "models/a:churn"):
        rows = ok(cli, mono, "history", asked, "--format", "json")["history"]
        assert [(r["model"], r["action"], r["version"]) for r in rows] == [
            ("churn-a", "rollback", "1.0.0"), ("churn-a", "promote", "1.1.0"),
            ("churn-a", "promote", "1.0.0")]
    served = ok(cli, mono, "audit", "at", "2999-01-01", "churn-a", "--env", "staging",
                "--format", "json")
    assert '"1.0.0"' in json.dumps(served) and '"1.1.0"' not in json.dumps(served)
    verified = cli("audit", "verify", cwd=mono.path)
    assert verified.code == 0, verified.out + verified.err


@pytest.mark.slow
def test_deploy_monitor_and_report_find_a_subdirectory_artifact(mono: Project,
                                                                 cli: Any) -> None:
    """verify-artifact takes GTO's tag; monitoring and the PR report compare with what
    the environment serves, found under the model's address."""
    from mlgate.config.declarations import load_model
    from mlgate.monitor.deployed import deployed_metrics

    ok(cli, mono, "promote", "churn-a", "--env", "staging", "--push", "--format", "json")
    checked = ok(cli, mono, "verify-artifact", "models/a=churn#staging#1", "--format", "json")
    assert (checked["model"], checked["verified"], checked["problems"]) == (
        "churn-a", True, [])
    served = deployed_metrics(mono.path, load_model(mono.path, "churn-a"), "staging")
    assert served.source.startswith(
        "the deployment record of v1.0.0 in staging (models/a=churn#staging#1)")
    assert served.metrics == json.loads((mono.path / "models/a/eval/metrics.json").read_text())

    mono.git("checkout", "-q", "-b", "better-a")
    params = mono.path / "models/a/params.yaml"
    params.write_text(params.read_text().replace("quality: 0.8", "quality: 0.9"))
    mono.dvc("repro", "-q", "models/a/dvc.yaml")
    mono.commit_all("a better churn model in models/a")
    report = ok(cli, mono, "report", "churn-a", "--base", "refs/heads/main", "--env",
                "staging", "--format", "json")
    assert (report["incumbent"]["version"], report["incumbent"]["tag"]) == (
        "1.0.0", "models/a=churn#staging#1")


def test_two_declarations_of_one_artifact_are_bad_input(mono: Project, cli: Any) -> None:
    """Both would write and read `models/a=churn` tags: the second is refused at its line."""
    text = (mono.path / "pipelines/churn-a.yaml").read_text()
    again = mono.write("pipelines/churn-again.yaml",
                       text.replace("\nname: churn-a\n", "\nname: churn-again\n"))
    result = cli("validate", cwd=mono.path)
    assert result.code == 2, result.out + result.err
    line = next(i for i, row in enumerate(again.read_text().splitlines(), 1)
                if row.startswith("dvc_artifact:"))
    assert (f"pipelines/churn-again.yaml:{line}:" in result.err and "'models/a:churn' is "
            "already the artifact of pipelines/churn-a.yaml" in result.err), result.err
    assert "Traceback" not in result.err


def test_an_address_names_the_model_that_declares_it(mono: Project, cli: Any) -> None:
    """Where promote, rollback, retire and matrix take a model, GTO's address does too
    (what a manual run's form is given by someone who knows the model from GTO or DVC
    Studio), for the declaration that claims it."""
    matrix = ok(cli, mono, "matrix", "--model", "models/a:churn", "--env", "production",
                "--format", "json")
    assert matrix == [{"model": "churn-a", "env": "production"}]
    promoted = ok(cli, mono, "promote", "models/b:churn", "--env", "staging", "--push",
                  "--format", "json")
    assert (promoted["record"]["predicate"]["model"],
            promoted["record"]["predicate"]["tags"]) == (
        "churn-b", ["models/b=churn@v1.0.0", "models/b=churn#staging#1"])
    retired = ok(cli, mono, "retire", "models/b:churn", "--env", "staging", "--reason",
                 "replaced", "--dry-run", "--format", "json")
    assert retired["record"]["predicate"]["tags"] == ["models/b=churn#staging!#2"]


def test_an_address_no_declaration_holds_is_bad_input(mono: Project, cli: Any) -> None:
    for args in (("promote", "models/c:churn", "--env", "staging"),
                 ("rollback", "models/c:churn", "--env", "staging", "--reason", "r"),
                 ("matrix", "--model", "models/c:churn")):
        result = cli(*args, cwd=mono.path)
        assert result.code == 2, result.out + result.err
        assert ("pipelines/: no declared model has the address 'models/c:churn'" in result.err
                and "hint: addresses declared (dvc_artifact): models/a:churn (churn-a), "
                "models/b:churn (churn-b)" in result.err), result.err
    # The working tree maps the address; the declaration the policy is read from must hold
    # it: here churn-a claims models/b:churn, but not on origin's main.
    mono.write("pipelines/churn-a.yaml", (mono.path / "pipelines/churn-a.yaml").read_text()
               .replace('dvc_artifact: "models/a:churn"', 'dvc_artifact: "models/b:churn"'))
    (mono.path / "pipelines/churn-b.yaml").unlink()
    result = cli("rollback", "models/b:churn", "--env", "staging", "--reason", "r",
                 cwd=mono.path)
    assert result.code == 2, result.out + result.err
    assert ("refs/remotes/origin/main:pipelines/churn-a.yaml: 'models/b:churn' is not the "
            "address of 'churn-a' at refs/remotes/origin/main, where the policy is read: its "
            "dvc_artifact there is 'models/a:churn'") in result.err, result.err
    assert "Traceback" not in result.err and mono.git("tag", "--list") == ""
