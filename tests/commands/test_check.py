"""`mlgate check` end to end on a real git + DVC repo (the tiny pipeline)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.project import Project

F = "pipelines/tiny.yaml"


def raise_staging_threshold(project: Project, value: str) -> None:
    text = (project.path / F).read_text()
    project.write(F, text.replace("min: 0.7", f"min: {value}", 1))


def test_passes_on_the_committed_candidate(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("check", "tiny", "--env", "staging", cwd=tiny.path)
    assert result.code == 0, result.out + result.err
    lines = result.out.splitlines()
    assert lines[0] == "tiny -> staging"
    assert lines[-1] == "verdict: PASS (4 of 4 gates passed)"


def test_threshold_above_the_metric_fails_naming_the_gate(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    raise_staging_threshold(tiny, "0.99")
    tiny.commit_all("stricter staging")
    result = cli("check", "tiny", "--env", "staging", "--format", "json", cwd=tiny.path)
    assert result.code == 1
    data = json.loads(result.out)
    failed = [r for r in data["results"] if not r["passed"]]
    assert [r["gate"] for r in failed] == ["threshold roc_auc"]
    assert failed[0]["expected"] == ">= 0.99"
    assert data["passed"] is False


def test_hand_edited_metrics_fail_reproducible(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    metrics = json.loads((tiny.path / "eval/metrics.json").read_text())
    metrics["roc_auc"] = 0.999
    tiny.write("eval/metrics.json", json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    tiny.commit_all("better numbers, by hand")
    result = cli("check", "tiny", "--env", "staging", "--format", "json", cwd=tiny.path)
    assert result.code == 1
    rows = {r["gate"]: r for r in json.loads(result.out)["results"]}
    assert rows["reproducible"]["passed"] is False
    assert "eval/metrics.json" in rows["reproducible"]["why"]
    assert rows["metrics recomputed"]["passed"] is False  # and the re-run says 0.999 is not it
    assert "eval/metrics.json: roc_auc committed 0.999, recomputed " in \
        rows["metrics recomputed"]["why"]
    assert rows["threshold roc_auc"]["observed"] != 0.999  # the recomputed number is judged


def test_uncommitted_changes_fail_reproducible(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    tiny.write("notes.txt", "work in progress\n")
    result = cli("check", "tiny", "--env", "staging", "--format", "json", cwd=tiny.path)
    assert result.code == 1
    rows = {r["gate"]: r for r in json.loads(result.out)["results"]}
    assert "notes.txt" in rows["reproducible"]["why"]


def test_policy_ref_is_the_policy_applied(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    # On a branch, the candidate weakens its own gate and tanks its model.
    tiny.git("checkout", "-q", "-b", "weaker")
    raise_staging_threshold(tiny, "0.1")
    params = (tiny.path / "params.yaml").read_text().replace("quality: 0.8", "quality: 0.55")
    tiny.write("params.yaml", params)
    tiny.dvc("repro", "-q")
    tiny.commit_all("lower the bar")
    own = cli("check", "tiny", "--env", "staging", "--format", "json", cwd=tiny.path)
    assert own.code == 0, own.out
    base = cli("check", "tiny", "--env", "staging", "--policy-ref", "main", "--format", "json",
               cwd=tiny.path)
    assert base.code == 1
    data = json.loads(base.out)
    assert data["policy"]["ref"] == "main"
    assert data["policy"]["blob"] == tiny.git("rev-parse", f"main:{F}")
    assert data["warnings"] == [
        f"the candidate changes {F}; the policy applied is the one at main, as it must be: "
        "have the change reviewed"]
    failed = [r["gate"] for r in data["results"] if not r["passed"]]
    assert failed == ["threshold roc_auc"]


def test_rev_reads_an_older_commit_without_checkout(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    first = tiny.git("rev-parse", "HEAD")
    params = (tiny.path / "params.yaml").read_text().replace("quality: 0.8", "quality: 0.55")
    tiny.write("params.yaml", params)
    tiny.dvc("repro", "-q")
    tiny.commit_all("worse model")
    now = cli("check", "tiny", "--env", "staging", cwd=tiny.path)
    assert now.code == 1
    before = cli("check", "tiny", "--env", "staging", "--rev", first, "--format", "json",
                 cwd=tiny.path)
    assert before.code == 0, before.out
    assert json.loads(before.out)["candidate"]["commit"] == first
    assert tiny.git("rev-parse", "HEAD") != first  # nothing was checked out


def test_markdown_and_out_file(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    out = tiny.path.parent / "check.md"
    result = cli("check", "tiny", "--env", "staging", "--format", "markdown", "--out", str(out),
                 cwd=tiny.path)
    assert result.code == 0
    assert out.read_text() == result.out
    assert result.out.startswith(
        "### :white_check_mark: `tiny` passes the `staging` gates (4 of 4 gates passed)")


@pytest.mark.parametrize(("args", "message"), [
    (["--env", "prod"], "unknown environment 'prod' for model 'tiny'\n"
                        "  hint: did you mean 'production'? (declared: staging, production)"),
    (["--env", "staging", "--rev", "nope"], "unknown revision 'nope'\n"
                                            "  hint: name a branch, tag or commit that exists "
                                            "here (`git fetch` first if it is on the remote)"),
    (["--env", "staging", "--policy-ref", "nope"], "unknown revision 'nope'\n"
                                                   "  hint: name a branch, tag or commit that "
                                                   "exists here (`git fetch` first if it is on "
                                                   "the remote)"),
])
def test_bad_input(tiny: Project, cli, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("check", "tiny", *args, cwd=tiny.path)
    assert (result.code, result.err, result.out) == (2, message + "\n", "")


def test_unknown_model(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("check", "nope", "--env", "staging", cwd=tiny.path)
    assert result.code == 2
    assert result.err.startswith("pipelines/nope.yaml: no model named 'nope'")


def _promoted_with_no_regression(tiny: Project, cli: Any) -> None:
    """Staging must not regress (merged), and v1.0.0 promoted there: the incumbent."""
    text = (tiny.path / F).read_text()
    tiny.write(F, text.replace("          min: 0.7\n", "          min: 0.7\n"
                               "        - kind: no_regression\n          metric: roc_auc\n"
                               "          tolerance: 0.0\n", 1))
    tiny.commit_all("staging must not regress")
    tiny.push_main()
    tiny.dvc("push", "-q")
    assert cli("promote", "tiny", "--env", "staging", cwd=tiny.path).code == 0


def test_no_regression_compares_with_what_the_registry_deploys(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    _promoted_with_no_regression(tiny, cli)
    params = (tiny.path / "params.yaml").read_text()
    tiny.write("params.yaml", params.replace("quality: 0.8", "quality: 0.7"))
    tiny.dvc("repro", "-q")
    tiny.commit_all("a worse model")
    result = cli("check", "tiny", "--env", "staging", "--format", "json", cwd=tiny.path)
    assert result.code == 1, result.out + result.err
    row = next(r for r in json.loads(result.out)["results"] if r["kind"] == "no_regression")
    assert row["passed"] is False
    assert "1.0.0" in row["why"]  # judged against the incumbent, not "no incumbent"


def test_a_change_cannot_point_the_registry_lookup_at_another_models_tags(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    """The change's own declaration names a subdirectory artifact that has no tags: read
    from there, the incumbent would vanish and no_regression pass against nothing. The
    registry is read by the address of the declaration that judges (the base's)."""
    _promoted_with_no_regression(tiny, cli)
    tiny.git("checkout", "-q", "-b", "elsewhere")
    params = (tiny.path / "params.yaml").read_text()
    tiny.write("params.yaml", params.replace("quality: 0.8", "quality: 0.7"))
    tiny.write(F, (tiny.path / F).read_text() + "dvc_artifact: elsewhere:tiny\n")
    tiny.dvc("repro", "-q")
    tiny.commit_all("a worse model, its registry looked up elsewhere")
    result = cli("check", "tiny", "--env", "staging", "--policy-ref", "main", "--format", "json",
                 cwd=tiny.path)
    assert result.code == 1, result.out + result.err
    row = next(r for r in json.loads(result.out)["results"] if r["kind"] == "no_regression")
    assert row["passed"] is False
    assert "1.0.0" in row["why"]  # judged against the incumbent, not "no incumbent"


def test_policy_ref_judges_a_metric_the_candidate_dropped_as_a_failed_gate(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    tiny.git("checkout", "-q", "-b", "no-auc")
    evaluate = (tiny.path / "src/evaluate.py").read_text()
    tiny.write("src/evaluate.py", evaluate.replace('    "roc_auc": round(auc(pairs), 6),\n', ""))
    own = (tiny.path / F).read_text().replace("metric: roc_auc", "metric: accuracy")
    tiny.write(F, own)
    tiny.dvc("repro", "-q")
    tiny.commit_all("stop reporting roc_auc, judge accuracy instead")
    result = cli("check", "tiny", "--env", "staging", "--policy-ref", "main", "--format", "json",
                 cwd=tiny.path)
    assert (result.code, result.err) == (1, "")
    row = next(r for r in json.loads(result.out)["results"] if r["gate"] == "threshold roc_auc")
    assert row["passed"] is False
    assert row["why"] == "roc_auc is missing from the candidate's metrics"


def test_policy_ref_warning_in_table_and_markdown(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    tiny.git("checkout", "-q", "-b", "weaker")
    raise_staging_threshold(tiny, "0.1")
    tiny.commit_all("lower the bar")
    warning = (f"the candidate changes {F}; the policy applied is the one at main, as it must "
               "be: have the change reviewed")
    table = cli("check", "tiny", "--env", "staging", "--policy-ref", "main", cwd=tiny.path)
    assert table.code == 0
    assert f"warning: {warning}" in table.out.splitlines()
    markdown = cli("check", "tiny", "--env", "staging", "--policy-ref", "main", "--format",
                   "markdown", cwd=tiny.path)
    assert f"> **Warning:** {warning}" in markdown.out.splitlines()


def test_policy_ref_warns_when_the_candidate_deletes_the_declaration(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    tiny.git("checkout", "-q", "-b", "no-policy")
    tiny.git("rm", "-q", F)
    tiny.commit_all("who needs gates")
    result = cli("check", "tiny", "--env", "staging", "--policy-ref", "main", "--format", "json",
                 cwd=tiny.path)
    assert result.code == 0, result.out + result.err
    assert json.loads(result.out)["warnings"] == [
        f"the candidate deletes {F}; the policy applied is the one at main, as it must be: "
        "have the change reviewed"]


def test_freshness_reads_when_the_data_last_changed_from_git(tmp_path, monkeypatch, cli) -> None:  # type: ignore[no-untyped-def]
    from tests.support.project import make_project

    for role in ("AUTHOR", "COMMITTER"):  # the data was first recorded long ago
        monkeypatch.setenv(f"GIT_{role}_DATE", "2020-03-01T12:00:00Z")
    project = make_project(tmp_path, "tiny")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.delenv(f"GIT_{role}_DATE")
    text = (project.path / F).read_text()
    project.write(F, text.replace("        - kind: reproducible\n", "        - kind: reproducible\n"
                                  "        - kind: freshness\n          dependency: data/input.csv\n"
                                  "          max_age: 30d\n", 1))
    params = (project.path / "params.yaml").read_text()
    project.write("params.yaml", params.replace("quality: 0.8", "quality: 0.81"))
    project.dvc("repro", "-q")  # dvc.lock changes today, the data's md5 in it does not
    project.commit_all("fresher gates, new params, old data")

    def freshness() -> dict:  # type: ignore[type-arg]
        result = cli("check", "tiny", "--env", "staging", "--format", "json", cwd=project.path)
        return next(r for r in json.loads(result.out)["results"] if r["kind"] == "freshness")

    stale = freshness()
    assert stale["passed"] is False
    assert "2020-03-01" in stale["why"]
    data = (project.path / "data/input.csv").read_text()
    project.write("data/input.csv", data.replace("0,-1.22407,a", "0,-1.22408,a"))
    project.dvc("repro", "-q")
    assert freshness()["passed"] is True  # not committed yet: it changed just now
    project.commit_all("new data")
    assert freshness()["passed"] is True


def test_rev_judges_dvc_status_of_a_commit_that_is_not_checked_out(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    train = (tiny.path / "src/train.py").read_text()
    tiny.write("src/train.py", train + "# tuned, not re-run\n")
    stale = tiny.commit_all("edit the training code without reproducing")
    tiny.git("checkout", "-q", "HEAD~1")  # the working tree is another commit, clean
    result = cli("check", "tiny", "--env", "staging", "--rev", stale, "--format", "json",
                 cwd=tiny.path)
    assert result.code == 1, result.out + result.err
    row = next(r for r in json.loads(result.out)["results"] if r["kind"] == "reproducible")
    assert row["why"] == ("dvc status is not clean: train (changed deps: src/train.py "
                          "modified)")
