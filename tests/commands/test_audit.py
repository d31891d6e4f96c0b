"""`mlgate audit at`, `audit diff` and `audit export` on a real registry (built by
tests/support/audit.py).

(`audit verify` and its tamper cases are in tests/audit/test_verify.py.)
"""

from __future__ import annotations

import html
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mlgate.registry.ledger import read_entries
from tests.support.audit import built, copy
from tests.support.project import Project


@pytest.fixture
def repo(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Project:
    return copy(built(tmp_path_factory), tmp_path / "copy")


def times(repo: Project) -> list[datetime]:
    return [datetime.fromisoformat(e.record["predicate"]["time"])
            for e in read_entries(cwd=repo.path)]


def between(a: datetime, b: datetime) -> str:
    return (a + (b - a) / 2).isoformat().replace("+00:00", "Z")


def at(cli: Any, repo: Project, when: str, env: str, *model: str) -> list[dict[str, Any]]:
    result = cli("audit", "at", when, "--env", env, *model, "--format", "json", cwd=repo.path)
    assert result.code == 0, result.err
    served: list[dict[str, Any]] = json.loads(result.out)["served"]
    return served


def test_what_served_when_replays_the_records(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    t1, t2, t3, t4 = times(repo)
    early = (t1 - timedelta(seconds=1)).isoformat()
    assert at(cli, repo, early, "staging") == []
    first = at(cli, repo, between(t1, t2), "staging", "tiny")
    assert [(d["version"], d["action"], d["seq"]) for d in first] == [("1.0.0", "promote", 1)]
    assert first[0]["until"] == t2.isoformat().replace("+00:00", "Z")
    second = at(cli, repo, between(t2, t4), "staging")
    assert [(d["version"], d["ended_by"]) for d in second] == [
        ("1.1.0", "#4 (rollback tiny v1.0.0 in staging)")]
    now = at(cli, repo, (t4 + timedelta(days=1)).isoformat(), "staging")
    assert [(d["version"], d["action"], d["until"]) for d in now] == [
        ("1.0.0", "rollback", None)]
    assert at(cli, repo, between(t2, t3), "production") == []
    assert at(cli, repo, between(t3, t4), "production")[0]["version"] == "1.1.0"


def test_full_lineage(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    _t1, _t2, t3, t4 = times(repo)
    served = at(cli, repo, between(t3, t4), "production", "tiny")[0]
    commit = repo.git("rev-parse", "tiny@v1.1.0^{commit}")
    assert served["commit"] == commit
    assert served["approvals"] == ["risk-officer"]
    assert served["params"] == {"params.yaml:train.quality": 0.85,
                                "params.yaml:train.rows": 400, "params.yaml:train.seed": 3}
    assert [d["path"] for d in served["data"]] == ["data/input.csv"]
    assert served["artifact"]["name"] == "model/model.bin"
    assert set(served["artifact"]["digest"]) == {"md5", "sha256"}
    assert served["policy"]["path"] == "pipelines/tiny.yaml"
    assert served["policy"]["blob"] == repo.git("rev-parse", f"{commit}:pipelines/tiny.yaml")
    assert [g["gate"] for g in served["gates"]] == [
        "metrics recomputed", "validation", "requires staging", "reproducible",
        "threshold roc_auc", "no_regression log_loss", "approval", "in DVC remote"]
    assert served["metrics"]["slices.group.a.roc_auc"] > 0.5
    assert served["reason"] == "better auc"
    assert served["record_digest"].startswith("sha256:")
    table = cli("audit", "at", between(t3, t4), "--env", "production", cwd=repo.path)
    assert table.code == 0
    lines = table.out.splitlines()
    assert lines[0].startswith(f"tiny v1.1.0 served production at {between(t3, t4)} (promote "
                               "at ")
    assert any(line.startswith("approved by") and line.endswith("risk-officer") for line in lines)
    assert any(line.startswith("approval ") and " pass " in line for line in lines)


def test_found_from_the_records_not_from_todays_tags(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    _t1, t2, _t3, t4 = times(repo)
    for tag in repo.git("tag", "--list").splitlines():
        repo.git("tag", "-d", tag)
    assert at(cli, repo, between(t2, t4), "staging")[0]["version"] == "1.1.0"


def test_after_a_retirement_nothing_serves(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("retire", "tiny", "--env", "production", "--reason", "gone",
               cwd=repo.path).code == 0
    later = (times(repo)[-1] + timedelta(seconds=1)).isoformat()
    assert at(cli, repo, later, "production") == []
    result = cli("audit", "at", later, "--env", "production", cwd=repo.path)
    assert result.out == (f"nothing served production at {later.replace('+00:00', 'Z')} "
                          "(every model), according to the ledger\n")


def test_a_date_means_its_start(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    day = times(repo)[0].date()
    assert at(cli, repo, day.isoformat(), "staging") == []
    assert at(cli, repo, (day + timedelta(days=1)).isoformat(), "staging")[0]["version"] == (
        "1.0.0")


HINT = ("  hint: write an ISO date or date and time, e.g. 2026-03-01 or 2026-03-01T14:30:00Z "
        "(UTC unless an offset such as +02:00 is given)\n")


@pytest.mark.parametrize(("args", "message"), [
    (["yesterday", "--env", "staging"], "not a date or time: 'yesterday'\n" + HINT),
    (["2026-02-30", "--env", "staging"], "not a date or time: '2026-02-30'\n" + HINT),
    (["2026-01-01", "--env", "prod"], "unknown environment 'prod'\n"
                                      "  hint: did you mean 'production'? known: production, "
                                      "staging\n"),
    (["2026-01-01", "--env", "staging", "nope"],
     "no model named 'nope' in pipelines/ or in the registry\n  hint: known: tiny\n"),
])
def test_at_bad_input(repo: Project, cli, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("audit", "at", *args, cwd=repo.path)
    assert (result.code, result.out, result.err) == (2, "", message)


def test_at_without_a_ledger(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("audit", "at", "2026-01-01", "--env", "staging", cwd=tiny.path)
    assert (result.code, result.err) == (
        2, "no deployment records here: the ledger branch mlgate/ledger is missing, and no "
           "registry tag either\n"
           "  hint: fetch them: `git fetch --tags origin mlgate/ledger:mlgate/ledger`\n")


def test_audit_needs_a_subcommand(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("audit", cwd=tiny.path)
    assert result.code == 2
    assert result.err.startswith("the following arguments are required: SUBCOMMAND")


def diff(cli: Any, repo: Project, a: str, b: str) -> dict[str, Any]:
    result = cli("audit", "diff", a, b, "--format", "json", cwd=repo.path)
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def test_diff_of_two_deployments(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    data = diff(cli, repo, "tiny#staging#1", "tiny#production#3")
    assert (data["a"]["version"], data["b"]["version"]) == ("1.0.0", "1.1.0")
    assert (data["a"]["environment"], data["b"]["environment"]) == ("staging", "production")
    assert data["params"] == [{"key": "params.yaml:train.quality", "a": 0.8, "b": 0.85}]
    assert data["data"] == []
    assert data["code"] == [{"status": "M", "path": "dvc.lock"},
                            {"status": "M", "path": "eval/metrics.json"},
                            {"status": "M", "path": "params.yaml"}]
    assert data["policy"]["changed"] is False
    roc = next(m for m in data["metrics"] if m["key"] == "roc_auc")
    assert roc["change"] == pytest.approx(roc["b"] - roc["a"])
    gates = {g["key"]: (g["a"], g["b"]) for g in data["gates"]}
    assert gates["approval"][0] is None and gates["approval"][1]["passed"] is True
    assert data["artifact"]["a"]["sha256"] != data["artifact"]["b"]["sha256"]


def test_diff_by_version_and_of_a_changed_policy(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    policy = repo.path / "pipelines/tiny.yaml"
    policy.write_text(policy.read_text().replace("min: 0.7", "min: 0.72", 1))
    repo.commit_all("stricter staging")
    repo.git("push", "-q", "origin", "main")
    assert cli("promote", "tiny", "--env", "staging", "--version", "v1.2.0", "--push",
               cwd=repo.path).code == 0
    data = diff(cli, repo, "v1.1.0", "tiny@v1.2.0")
    assert (data["a"]["tag"], data["b"]["tag"]) == ("tiny@v1.1.0", "tiny@v1.2.0")
    assert data["params"] == [] and data["code"] == [{"status": "M",
                                                      "path": "pipelines/tiny.yaml"}]
    assert data["policy"]["changed"] is True
    assert "-          min: 0.7\n+          min: 0.72\n" in data["policy"]["diff"]
    table = cli("audit", "diff", "v1.1.0", "v1.2.0", cwd=repo.path).out
    assert "policy: changed, blob " in table
    assert "params: unchanged" in table


def test_diff_finds_a_deleted_tag_through_the_ledger(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    repo.git("tag", "-d", "tiny#staging#1")
    assert diff(cli, repo, "tiny#staging#1", "tiny#staging#4")["params"] == []


@pytest.mark.parametrize(("args", "message"), [
    (["nope", "v1.0.0"], "'nope' is neither a registry tag nor a version"),
    (["tiny@v9.0.0", "v1.0.0"], "no deployment record for 'tiny@v9.0.0'"),
])
def test_diff_bad_input(repo: Project, cli, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("audit", "diff", *args, cwd=repo.path)
    assert (result.code, result.out) == (2, "")
    assert result.err.splitlines()[0] == message
    assert result.err.splitlines()[1].startswith("  hint: ")


def test_export_renders_in_headless_chromium(repo: Project, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Self-contained and escaped: a reason that is a script shows as text (Chromium would
    log the injected console call otherwise)."""
    from tests.support.browser import pixel_counts, render

    injected = '<script>console.error("injected")</script><img src=x onerror=alert(1)>'
    assert cli("rollback", "tiny", "--env", "staging", "--reason", injected,
               cwd=repo.path).code == 0
    out = tmp_path / "report"
    result = cli("audit", "export", "--out", str(out), cwd=repo.path)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"wrote audit.html, audit.json, history.csv, metrics.csv, inventory.csv, findings.csv, "
        f"monitoring.csv, alerts.csv to {out}", "1 models, 5 records; verification: intact"]
    page = (out / "audit.html").read_text()
    assert "<script" not in page and "<img" not in page
    markup = page.replace(html.escape(injected), "")  # what is left is mlgate's own markup
    assert markup != page
    for external in ("src=", "href=", "url(", "@import", "<link"):
        assert external not in markup, external
    assert page.count("<svg") == 3  # the timeline, roc_auc and log_loss across versions
    assert page.count("<details>") == 5  # each record's evidence

    rendered = render(out / "audit.html", tmp_path, size="1280,1600")
    assert rendered.console_lines() == []
    colours = pixel_counts(rendered.png)
    assert len(colours) > 50  # text and charts, not a blank page
    assert colours[(0x1A, 0x7F, 0x37)] > 20_000  # the green "intact" header
    assert colours[(0x6E, 0x8F, 0xBF)] > 2_000  # v1.0.0's bars
    assert colours[(0xF0, 0x8A, 0x4B)] > 2_000  # v1.1.0's bars

    data = json.loads((out / "audit.json").read_text())
    assert data["verification"]["verdict"] == "intact"
    assert [d["seq"] for d in data["deployments"]] == [5, 4, 3, 2, 1]
    assert data["metrics"]["tiny"]["versions"] == ["1.0.0", "1.1.0"]
    history = (out / "history.csv").read_text().splitlines()
    assert history[0].startswith("time,seq,model,environment,action,version,verdict,who,")
    assert len(history) == 6
    assert "'<script>" not in history[1] and "<script>" in history[1]


def test_export_of_an_altered_registry_exits_1(repo: Project, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo.git("tag", "-d", "tiny#staging#4")
    result = cli("audit", "export", "--out", str(tmp_path / "r"), "--format", "json",
                 cwd=repo.path)
    assert result.code == 1
    assert json.loads(result.out)["verification"]["verdict"] == "altered"
    assert (tmp_path / "r" / "findings.csv").read_text().splitlines()[1].startswith(
        'deleted_tag,tiny#staging#4,"is gone, yet #4')
    assert 'class="v-altered"' in (tmp_path / "r" / "audit.html").read_text()


def test_export_into_a_file(repo: Project, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "file"
    target.write_text("x")
    result = cli("audit", "export", "--out", str(target), cwd=repo.path)
    assert (result.code, result.err) == (
        2, f"{target} exists and is not a directory\n"
           "  hint: --out names a directory to write the report into\n")
