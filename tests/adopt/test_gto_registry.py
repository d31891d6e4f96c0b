"""Registries made by the real `gto` command, as DVC Studio users make them: read by
`show` and `history`, adopted by mlgate's first promotion (which continues GTO's
numbering), and subdirectory artifacts (`path/to/dir:name`) tagged as GTO tags them."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.adopt.test_real_layouts import GTO, ok, run
from tests.support.project import Project, git, make_project


def gto_registry(tmp_path: Path, *, others: tuple[str, ...] = ()) -> Project:
    """A project whose registry GTO made, as DVC Studio users make one: `tiny` registered
    as v1.3.0 and assigned to staging (and each of ``others``, a model GTO alone knows, as
    v0.1.0), pushed."""
    project = make_project(tmp_path, "tiny")
    project.dvc("push", "-q")
    for name, version in [("tiny", "v1.3.0"), *((other, "v0.1.0") for other in others)]:
        run(*GTO, "register", name, "--version", version, cwd=project.path)
        run(*GTO, "assign", name, "--version", version, "--stage", "staging",
            cwd=project.path)
    project.git("push", "-q", "origin", "--tags")
    return project


def promote_better(cli: Any, project: Project) -> Any:
    """mlgate's first promotion of `tiny` to staging, of a better model: the adoption."""
    project.write("params.yaml", (project.path / "params.yaml").read_text().replace(
        "quality: 0.8", "quality: 0.85"))
    project.dvc("repro", "-q")
    project.commit_all("a better model")
    project.push_main()
    project.dvc("push", "-q")
    return ok(cli, project, "promote", "tiny", "--env", "staging", "--push", "--format",
              "json")


@pytest.mark.slow
def test_a_registry_made_by_gto_is_adopted(tmp_path: Path, cli: Any) -> None:
    """`gto register` and `gto assign` as DVC Studio users run them; mlgate reads those
    tags, and its first promotion continues their numbering."""
    from tests.support.registry import assert_gto_agrees

    project = gto_registry(tmp_path)
    gto_tags = project.git("tag", "--list").split()
    assert sorted(gto_tags) == ["tiny#staging#1", "tiny@v1.3.0"]

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

    promoted = promote_better(cli, project)
    assert sorted(promoted["record"]["predicate"]["tags"]) == ["tiny#staging#2",
                                                                 "tiny@v1.4.0"]
    assert_gto_agrees(project.path)
    served = ok(cli, project, "audit", "at", "2999-01-01", "tiny", "--env", "staging",
                "--format", "json")
    assert "1.4.0" in json.dumps(served)


def tag_time(project: Project, tag: str) -> str:
    """A tag's date (the tagger's, to the second), as `audit at` writes times."""
    stamp = project.git("for-each-ref", "--format=%(taggerdate:unix)", f"refs/tags/{tag}")
    return datetime.fromtimestamp(int(stamp), UTC).isoformat().replace("+00:00", "Z")


@pytest.mark.slow
def test_audit_at_an_adopted_registry_answers_from_both(tmp_path: Path, cli: Any) -> None:
    """GTO assigned first, mlgate's promotions continued: at a time before mlgate's first
    record, GTO's assignment answers (evidence: tag only); after it, mlgate's record; a
    model only GTO knows is answered from its tags either way, and said to be so."""
    project = gto_registry(tmp_path, others=("scorer",))
    time.sleep(1.1)  # tags and records are dated to the second: mlgate's come later
    recorded = promote_better(cli, project)["record"]["predicate"]["time"]
    assigned, promoted = tag_time(project, "tiny#staging#1"), tag_time(project, "tiny#staging#2")
    scorer = tag_time(project, "scorer#staging#1")  # GTO's last tag
    assert assigned <= scorer < recorded

    def served(when: str, *model: str) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
        data = ok(cli, project, "audit", "at", when, *model, "--env", "staging", "--format",
                  "json")
        return data, [(s["model"], s["version"], s["evidence"], s["since"], s["until"],
                       s.get("tag"), s["record_digest"] is not None) for s in data["served"]]

    before, rows = served(scorer)
    assert rows == [
        ("scorer", "0.1.0", "tag only", scorer, None, "scorer#staging#1", False),
        ("tiny", "1.3.0", "tag only", assigned, promoted, "tiny#staging#1", False)]
    assert before["served"][1]["ended_by"] == "tiny#staging#2"
    assert (before["ledger"], before["evidence"], before["ignored_tags"]) == (
        "refs/heads/mlgate/ledger", "records and tags", [])
    note = before["note"]
    assert note.startswith('an answer whose evidence is "tag only" has no mlgate record')
    assert "not tamper-evident" in note

    after, rows = served(recorded)
    assert rows == [
        ("scorer", "0.1.0", "tag only", scorer, None, "scorer#staging#1", False),
        ("tiny", "1.4.0", "record", recorded, None, None, True)]
    assert sorted(after["served"][1]["tags"]) == ["tiny#staging#2", "tiny@v1.4.0"]
    assert after["ignored_tags"] == []  # GTO's tiny#staging#1 is history, not a forgery
    only_tiny, rows = served(recorded, "tiny")
    assert [r[:3] for r in rows] == [("tiny", "1.4.0", "record")]
    assert (only_tiny["evidence"], only_tiny["note"]) == ("records", None)
    only_scorer, rows = served(recorded, "scorer")  # named though only GTO's tags know it
    assert [r[:3] for r in rows] == [("scorer", "0.1.0", "tag only")]
    assert only_scorer["evidence"] == "records and tags"

    text = ok(cli, project, "audit", "at", assigned, "tiny", "--env", "staging")
    assert text.startswith(f"tiny v1.3.0 served staging at {assigned} by tag tiny#staging#1 "
                           f"(since {assigned}, until {promoted}), commit ")
    assert "tagged by" in text.splitlines()[0]
    assert text.splitlines()[0].endswith("(evidence: tag only)")
    assert text.splitlines()[-1] == f"note: {note}"
    text = ok(cli, project, "audit", "at", recorded, "tiny", "--env", "staging")
    assert text.startswith(f"tiny v1.4.0 served staging at {recorded} (promote at {recorded}")
    assert "tag only" not in text


@pytest.mark.slow
@pytest.mark.parametrize("forged", ["lightweight", "annotated", "carrying mlgate's record"])
def test_a_tag_without_a_record_does_not_override_the_ledger(tmp_path: Path, cli: Any,
                                                             forged: str) -> None:
    """After adoption, a tag pushed by hand (no record; or a copy of another tag's record,
    which the ledger does not name for it) assigning GTO's old version again is no
    evidence: where the ledger covers the model and environment, its record answers, and
    the tag is listed as ignored."""
    project = gto_registry(tmp_path)
    promote_better(cli, project)
    old = project.git("rev-list", "-n", "1", "tiny@v1.3.0")
    if forged == "lightweight":
        project.git("tag", "tiny#staging#3", old)
    elif forged == "annotated":
        project.git("tag", "-a", "-m", "assign tiny v1.3.0 to staging", "tiny#staging#3", old)
    else:
        message = project.git("tag", "-l", "--format=%(contents)", "tiny#staging#2")
        assert '"predicate"' in message
        (tmp_path / "message").write_text(message)
        project.git("tag", "-a", "-F", str(tmp_path / "message"), "tiny#staging#3", old)

    data = ok(cli, project, "audit", "at", "2999-01-01", "tiny", "--env", "staging",
              "--format", "json")
    assert [(s["version"], s.get("evidence"), s["commit"] != old) for s in data["served"]] == [
        ("1.4.0", "record", True)]
    # the version registered on the tag's commit, not what a copied record claims
    assert [(i["tag"], i["commit"], i["version"], i["evidence"])
            for i in data["ignored_tags"]] == [("tiny#staging#3", old, "1.3.0", "tag only")]
    assert "after the tags of the ledger's records" in data["ignored_tags"][0]["why"]
    assert data["note"] is None
    text = ok(cli, project, "audit", "at", "2999-01-01", "tiny", "--env", "staging")
    assert text.startswith("tiny v1.4.0 served staging at 2999-01-01T00:00:00Z (promote at ")
    assert "\nignored: tag tiny#staging#3 (v1.3.0 of tiny, since " in text


@pytest.mark.slow
def test_a_tag_without_a_record_does_not_undo_a_retirement(tmp_path: Path, cli: Any) -> None:
    """mlgate retired the model from staging; an assignment tag pushed by hand afterwards
    (GTO's old version again) does not make it serve: nothing did, says the ledger."""
    project = gto_registry(tmp_path)
    promote_better(cli, project)
    retired = ok(cli, project, "retire", "tiny", "--env", "staging", "--reason", "withdrawn")
    assert "tiny#staging!#3, tiny#staging!#4" in retired  # GTO's unassignments: #5 is next
    project.git("tag", "tiny#staging#5", project.git("rev-list", "-n", "1", "tiny@v1.3.0"))

    data = ok(cli, project, "audit", "at", "2999-01-01", "--env", "staging", "--format",
              "json")
    assert data["served"] == []
    assert [(i["tag"], i["version"]) for i in data["ignored_tags"]] == [
        ("tiny#staging#5", "1.3.0")]
    text = ok(cli, project, "audit", "at", "2999-01-01", "--env", "staging").splitlines()
    assert text[0] == ("nothing served staging at 2999-01-01T00:00:00Z (every model), "
                       "according to the ledger")
    assert text[1].startswith("ignored: tag tiny#staging#5 (v1.3.0 of tiny, since ")


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
