"""`mlgate inventory`: owner, risk tier, use, what serves where, validation dates, flags."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mlgate.audit.model_inventory import valid_until
from mlgate.config.model import Review
from tests.support.audit import built, copy
from tests.support.project import Project, git

GTO = [sys.executable, "-m", "gto.cli"]
F = "pipelines/tiny.yaml"


@pytest.fixture
def repo(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Project:
    return copy(built(tmp_path_factory), tmp_path / "copy")


def inventory(cli: Any, path: Path, *args: str) -> list[dict[str, Any]]:
    result = cli("inventory", *args, "--format", "json", cwd=path)
    assert result.code == 0, result.err
    models: list[dict[str, Any]] = json.loads(result.out)["models"]
    return models


def set_review(project: Project, review: str) -> None:
    text = (project.path / F).read_text()
    start = text.index("review:")
    end = text.index("artifact:")
    project.write(F, text[:start] + review + text[end:])


@pytest.mark.parametrize(("review", "until"), [
    (Review("2026-01-01", interval_days=365), date(2027, 1, 1)),
    (Review("2024-01-01", interval_days=366), date(2025, 1, 1)),  # a leap year
    (Review("2026-01-01", valid_until="2026-06-30"), date(2026, 6, 30)),
    (Review("2026-01-01", interval_days=365, valid_until="2026-06-30"), date(2026, 6, 30)),
    (Review("2026-01-01", interval_days=30, valid_until="2026-06-30"), date(2026, 1, 31)),
])
def test_valid_until_is_the_earlier_end(review: Review, until: date) -> None:
    assert valid_until(review) == until


def test_a_declared_model_with_nothing_deployed(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    [entry] = inventory(cli, tiny.path)
    assert {k: entry[k] for k in ("model", "owner", "risk_tier", "intended_use", "valid_until",
                                  "versions", "environments")} == {
        "model": "tiny", "owner": {"name": "Test Team", "email": "test@example.com"},
        "risk_tier": "low", "intended_use": "Tests only.", "valid_until": "2035-12-30",
        "versions": [], "environments": {"staging": None, "production": None}}
    assert entry["review"]["last_validated"] == "2026-01-01"


def test_versions_per_environment_and_overdue_flags(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    set_review(repo, 'review:\n  last_validated: "2020-01-01"\n  interval_days: 365\n'
                     "  validator: Model Risk\n")
    [entry] = inventory(cli, repo.path)
    assert entry["versions"] == ["1.0.0", "1.1.0"]
    assert {env: stay["version"] for env, stay in entry["environments"].items()} == {
        "staging": "1.0.0", "production": "1.1.0"}
    assert (entry["valid_until"], entry["overdue"]) == ("2020-12-31", True)
    assert entry["flags"] == ["validation overdue since 2020-12-31",
                              "serving while overdue: staging, production"]
    table = cli("inventory", cwd=repo.path).out.splitlines()
    assert table[0].split() == ["model", "owner", "risk", "intended", "use", "staging",
                                "production", "last", "validated", "valid", "until",
                                "validation"]
    assert table[2].split() == ["tiny", "Test", "Team", "low", "Tests", "only.", "v1.0.0",
                                "v1.1.0", "2020-01-01", "2020-12-31", "OVERDUE"]
    assert table[4:] == ["tiny: validation overdue since 2020-12-31",
                         "tiny: serving while overdue: staging, production"]
    strict = cli("inventory", "--strict", cwd=repo.path)
    assert (strict.code, strict.out.splitlines()[4:]) == (1, table[4:])


def test_strict_passes_when_every_validation_holds(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    start = datetime.now(UTC).date() - timedelta(days=10)
    set_review(tiny, f'review:\n  last_validated: "{start.isoformat()}"\n  interval_days: 10\n')
    assert cli("inventory", "--strict", cwd=tiny.path).code == 0  # the last valid day
    set_review(tiny, f'review:\n  last_validated: "{start.isoformat()}"\n  interval_days: 9\n')
    assert cli("inventory", "--strict", cwd=tiny.path).code == 1
    assert cli("inventory", cwd=tiny.path).code == 0  # without --strict, a listing only


def test_due_soon(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    start = datetime.now(UTC).date() - timedelta(days=10)
    set_review(tiny, f'review:\n  last_validated: "{start.isoformat()}"\n  interval_days: 30\n')
    [entry] = inventory(cli, tiny.path)
    assert (entry["days_left"], entry["overdue"], entry["flags"]) == (
        20, False, ["validation due in 20 days"])


def test_a_date_that_is_not_in_the_calendar(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    set_review(tiny, 'review:\n  last_validated: "2026-02-30"\n  interval_days: 30\n')
    [entry] = inventory(cli, tiny.path)
    assert entry["flags"] == [
        "invalid declaration: pipelines/tiny.yaml:9:19: review.last_validated: '2026-02-30' "
        "(a string) is not a calendar date\n"
        "  hint: a real date as YYYY-MM-DD: month 01-12, a day the month has"]


def test_models_known_only_from_tags(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    git("init", "-q", cwd=tmp_path)
    (tmp_path / "f").write_text("x")
    git("add", "f", cwd=tmp_path)
    git("commit", "-q", "-m", "x", cwd=tmp_path)
    for argv in (["register", "churn", "--version", "v0.3.0"],
                 ["assign", "churn", "--version", "v0.3.0", "--stage", "prod"]):
        subprocess.run([*GTO, *argv], cwd=tmp_path, check=True, capture_output=True)
    [entry] = inventory(cli, tmp_path)
    assert (entry["model"], entry["declared"], entry["versions"]) == ("churn", False, ["0.3.0"])
    assert entry["environments"]["prod"]["evidence"] is False
    assert entry["flags"] == ["not declared in pipelines/: no owner, risk tier or validation on "
                              "record"]


def test_unknown_model(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("inventory", "tinny", cwd=tiny.path)
    assert (result.code, result.out, result.err) == (
        2, "", "no model named 'tinny' in pipelines/ or in the registry\n"
               "  hint: did you mean 'tiny'? known: tiny\n")
