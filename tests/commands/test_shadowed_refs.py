"""The base shadowed (Trust, item 1): a pull request's own code, run by CI before `check`,
makes a ref named like the base at its own commit, so that `--policy-ref origin/main` and
`report --base origin/main` would read the change's weakened policy. Ambiguous names are
refused (exit 2, naming every candidate); fully qualified ones read the base."""

from __future__ import annotations

import json

import pytest

from tests.support.project import Project

F = "pipelines/tiny.yaml"
HINT = ("  hint: pass the fully qualified ref you mean, e.g. refs/remotes/origin/main; git "
        "would silently pick one of them\n")


def weaken_and_shadow(tiny: Project, shadow: str) -> str:
    """On a branch: the staging gate lowered to 0.1, the model tanked below the base's 0.7,
    committed; then ``shadow`` made at that commit."""
    tiny.git("checkout", "-q", "-b", "weaker")
    text = (tiny.path / F).read_text()
    tiny.write(F, text.replace("min: 0.7", "min: 0.1", 1))
    params = (tiny.path / "params.yaml").read_text().replace("quality: 0.8", "quality: 0.55")
    tiny.write("params.yaml", params)
    tiny.dvc("repro", "-q")
    head = tiny.commit_all("lower the bar")
    tiny.git("update-ref", shadow, head)
    return head


@pytest.mark.parametrize("shadow", ["refs/tags/origin/main", "refs/heads/origin/main",
                                    "refs/origin/main"])
def test_check_refuses_a_shadowed_policy_ref(tiny: Project, cli, shadow: str) -> None:  # type: ignore[no-untyped-def]
    weaken_and_shadow(tiny, shadow)
    result = cli("check", "tiny", "--env", "staging", "--policy-ref", "origin/main",
                 cwd=tiny.path)
    assert (result.code, result.out) == (2, "")
    assert result.err == (f"ambiguous ref 'origin/main': it names {shadow} and "
                          f"refs/remotes/origin/main\n" + HINT)
    qualified = cli("check", "tiny", "--env", "staging", "--policy-ref",
                    "refs/remotes/origin/main", "--format", "json", cwd=tiny.path)
    assert qualified.code == 1, qualified.out + qualified.err
    data = json.loads(qualified.out)
    assert data["policy"]["blob"] == tiny.git("rev-parse", f"refs/remotes/origin/main:{F}")
    assert [r["gate"] for r in data["results"] if not r["passed"]] == ["threshold roc_auc"]


def test_report_refuses_a_shadowed_base(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    weaken_and_shadow(tiny, "refs/tags/origin/main")
    result = cli("report", "--base", "origin/main", "--env", "staging", cwd=tiny.path)
    assert (result.code, result.out) == (2, "")
    assert result.err == ("ambiguous ref 'origin/main': it names refs/tags/origin/main and "
                          "refs/remotes/origin/main\n" + HINT)
    qualified = cli("report", "--base", "refs/remotes/origin/main", "--env", "staging",
                    "--format", "json", cwd=tiny.path)
    assert qualified.code == 1, qualified.out + qualified.err
    data = json.loads(qualified.out)
    assert data["base"] == {"ref": "refs/remotes/origin/main",
                            "commit": tiny.git("rev-parse", "refs/remotes/origin/main")}


def test_the_default_base_is_not_shadowed(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    head = weaken_and_shadow(tiny, "refs/tags/origin/main")
    data = json.loads(cli("report", "--env", "staging", "--format", "json",
                          cwd=tiny.path).out)
    assert data["base"]["ref"] == "refs/remotes/origin/main"
    assert data["base"]["commit"] != head


def test_check_refuses_an_ambiguous_rev(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    weaken_and_shadow(tiny, "refs/tags/origin/main")
    result = cli("check", "tiny", "--env", "staging", "--rev", "origin/main", cwd=tiny.path)
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("ambiguous ref 'origin/main': it names refs/tags/origin/main "
                                 "and refs/remotes/origin/main\n")


def test_audit_verify_refuses_an_ambiguous_ledger(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    tiny.git("update-ref", "refs/heads/mlgate/ledger", "HEAD")
    tiny.git("tag", "mlgate/ledger", "HEAD")
    result = cli("audit", "verify", "--ledger", "mlgate/ledger", cwd=tiny.path)
    assert (result.code, result.out) == (2, "")
    assert result.err == ("ambiguous ref 'mlgate/ledger': it names refs/tags/mlgate/ledger "
                          "and refs/heads/mlgate/ledger\n  hint: pass the fully qualified ref "
                          "you mean, e.g. refs/heads/mlgate/ledger; git would silently pick "
                          "one of them\n")
