"""Registries made by the real `gto` command, as DVC Studio users make them: read by
`show` and `history`, adopted by mlgate's first promotion (which continues GTO's
numbering), and subdirectory artifacts (`path/to/dir:name`) tagged as GTO tags them."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.adopt.test_real_layouts import GTO, ok, run
from tests.support.project import git, make_project


@pytest.mark.slow
def test_a_registry_made_by_gto_is_adopted(tmp_path: Path, cli: Any) -> None:
    """`gto register` and `gto assign` as DVC Studio users run them; mlgate reads those
    tags, and its first promotion continues their numbering."""
    from tests.support.registry import assert_gto_agrees

    project = make_project(tmp_path, "tiny")
    project.dvc("push", "-q")
    run(*GTO, "register", "tiny", "--version", "v1.3.0", cwd=project.path)
    run(*GTO, "assign", "tiny", "--version", "v1.3.0", "--stage", "staging",
        cwd=project.path)
    gto_tags = project.git("tag", "--list").split()
    assert sorted(gto_tags) == ["tiny#staging#1", "tiny@v1.3.0"]
    project.git("push", "-q", "origin", "--tags")

    shown = ok(cli, project, "show", "tiny", "--format", "json")
    assert shown["models"]["tiny"]["environments"]["staging"]["version"] == "v1.3.0"
    rows = ok(cli, project, "history", "tiny", "--format", "json")["history"]
    assert {(r["action"], r["version"], r["evidence"]) for r in rows} == {
        ("register", "1.3.0", "tag only"), ("assign", "1.3.0", "tag only")}
    # no ledger: `audit at` answers from GTO's tags, and says they are no evidence
    before = ok(cli, project, "audit", "at", "2999-01-01", "tiny", "--env", "staging",
                "--format", "json")
    assert [(s["version"], s["tag"], s["evidence"]) for s in before["served"]] == [
        ("1.3.0", "tiny#staging#1", "tag only")]
    assert before["ledger"] is None and "no mlgate records here" in before["note"]

    project.write("params.yaml", (project.path / "params.yaml").read_text().replace(
        "quality: 0.8", "quality: 0.85"))
    project.dvc("repro", "-q")
    project.commit_all("a better model")
    project.push_main()
    project.dvc("push", "-q")
    promoted = ok(cli, project, "promote", "tiny", "--env", "staging", "--push", "--format",
                  "json")
    assert sorted(promoted["record"]["predicate"]["tags"]) == ["tiny#staging#2",
                                                                 "tiny@v1.4.0"]
    assert_gto_agrees(project.path)
    served = ok(cli, project, "audit", "at", "2999-01-01", "tiny", "--env", "staging",
                "--format", "json")
    assert "1.4.0" in json.dumps(served)


@pytest.mark.parametrize(("dvc_dir", "name", "address"), [
    ("", "scorer", "scorer"), (".", "scorer", "scorer"),
    ("models/churn", "scorer", "models/churn:scorer"),
    ("./models/churn/", "scorer", "models/churn:scorer"),
])
def test_artifact_addresses(dvc_dir: str, name: str, address: str) -> None:
    from mlgate.config.artifacts import artifact_address, dvc_yaml_of, split_address

    assert artifact_address(dvc_dir, name) == address
    assert split_address(address) == (address.rpartition(":")[0], name)
    assert dvc_yaml_of(address) == (f"{address.rpartition(':')[0]}/dvc.yaml"
                                    if ":" in address else "dvc.yaml")


def test_subdirectory_artifacts_are_tagged_as_gto_tags_them(tmp_path: Path, cli: Any) -> None:
    """Real `gto register`/`assign` of `models/churn:scorer` (an artifact of
    models/churn/dvc.yaml): mlgate writes the same tag names, reads them back as the same
    model, and lists its history by that address."""
    from mlgate.config.artifacts import artifact_address
    from mlgate.registry.tags import Action, TagName, format_tag, parse_tag

    project = make_project(tmp_path, "tiny")
    address = artifact_address("models/churn", "scorer")
    run(*GTO, "register", address, "--version", "v0.1.0", cwd=project.path)
    run(*GTO, "assign", address, "--version", "v0.1.0", "--stage", "prod", cwd=project.path)
    made = sorted(project.git("tag", "--list").split())
    ours = sorted([format_tag(TagName(address, Action.REGISTER, version="0.1.0")),
                   format_tag(TagName(address, Action.ASSIGN, env="prod", counter=1))])
    assert made == ours == ["models/churn=scorer#prod#1", "models/churn=scorer@v0.1.0"]
    assert {parse_tag(t).model for t in made if parse_tag(t)} == {address}
    rows = ok(cli, project, "history", address, "--format", "json")["history"]
    assert sorted((r["model"], r["action"], r["version"]) for r in rows) == [
        (address, "assign", "0.1.0"), (address, "register", "0.1.0")]  # made in one second


def test_audit_at_and_verify_on_a_registry_made_by_gto_alone(tmp_path: Path, cli: Any) -> None:
    """No ledger, as DVC Studio users have: `audit at` says what each environment served
    at a time from GTO's assignment tags and their dates, and both it and `audit verify`
    say plainly that there are no mlgate records (no evidence, not tamper-evident)."""
    from mlgate.audit.findings import NO_RECORDS

    repo = tmp_path / "repo"
    repo.mkdir()
    git("init", "-q", cwd=repo)
    git("commit", "-q", "--allow-empty", "-m", "first model", cwd=repo)
    run(*GTO, "register", "churn", "--version", "v1.0.0", cwd=repo)
    run(*GTO, "assign", "churn", "--version", "v1.0.0", "--stage", "prod", cwd=repo)
    git("commit", "-q", "--allow-empty", "-m", "second model", cwd=repo)
    run(*GTO, "register", "churn", "--version", "v1.1.0", cwd=repo)
    time.sleep(1.1)  # GTO dates its tags by the clock, to the second: a later stay
    run(*GTO, "assign", "churn", "--version", "v1.1.0", "--stage", "prod", cwd=repo)
    dates = dict(line.split() for line in git(
        "for-each-ref", "--format=%(refname:strip=2) %(taggerdate:iso-strict)",
        "refs/tags", cwd=repo).splitlines())
    first, second = (dates[f"churn#prod#{n}"].replace("+00:00", "Z") for n in (1, 2))

    def served(when: str) -> list[tuple[Any, ...]]:
        result = cli("audit", "at", when, "--env", "prod", "--format", "json", cwd=repo)
        assert result.code == 0, result.out + result.err
        data = json.loads(result.out)
        assert (data["ledger"], data["evidence"], data["note"]) == (None, "tags only",
                                                                     data["note"])
        return [(s["model"], s["version"], s["tag"], s["since"], s["until"], s["ended_by"])
                for s in data["served"]]

    assert served("2000-01-01") == []
    assert served(first) == [("churn", "1.0.0", "churn#prod#1", first, second,
                              "churn#prod#2")]
    assert served("2999-01-01") == [("churn", "1.1.0", "churn#prod#2", second, None, None)]
    text = cli("audit", "at", "2999-01-01", "churn", "--env", "prod", cwd=repo)
    assert text.code == 0, text.err
    assert text.out.startswith("churn v1.1.0 served prod at 2999-01-01T00:00:00Z by tag "
                               "churn#prod#2")
    assert "note: no mlgate records here (there is no ledger branch mlgate/ledger)" in text.out

    verified = cli("audit", "verify", "--format", "json", cwd=repo)
    assert verified.code == 1, verified.out + verified.err
    data = json.loads(verified.out)
    assert (data["verdict"], data["ledger"], data["notes"][0]) == ("unverified", None,
                                                                  NO_RECORDS)
    assert {f["where"] for f in data["findings"]} == {
        "churn@v1.0.0", "churn#prod#1", "churn@v1.1.0", "churn#prod#2"}
    said = cli("audit", "verify", cwd=repo).out
    assert said.startswith("audit verify: UNVERIFIED: no ledger and no mlgate records (a "
                           "registry made by GTO alone), 4 registry tags")
