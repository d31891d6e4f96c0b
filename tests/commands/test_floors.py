"""pipelines/_policy.yaml's floors: a model's policy must contain its tier's floor
(`validate`, and wherever a policy is read at a ref), and a model the base does not know,
new or renamed, is judged by the floor read at the base, never by its own gates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.project import LOW_FLOOR, Project

Cli = Callable[..., Any]
F = "pipelines/tiny.yaml"
FLOOR = LOW_FLOOR + """    environments:
      production:
        approval: {min_approvers: 2}
"""


def rename_without_gates(project: Project) -> None:
    """The attack: `tiny` becomes `tiny-v2`, its gates dropped, and the branch's own
    repository policy deleted too."""
    text = (project.path / F).read_text().replace("name: tiny\n", "name: tiny-v2\n")
    head, _, _ = text.partition("promotion:\n")
    project.git("rm", "-q", F, "pipelines/_policy.yaml")
    project.write("pipelines/tiny-v2.yaml", head + "promotion:\n  environments:\n"
                  "    - name: staging\n    - name: production\n")
    project.commit_all("tiny-v2, free of gates")


def test_a_renamed_model_is_judged_by_the_floor_at_the_base(tiny: Project, cli: Cli) -> None:
    tiny.write("pipelines/_policy.yaml", FLOOR.replace("approval: {min_approvers: 2}",
                                                       "approval: {min_approvers: 1}"))
    tiny.commit_all("a floor for low-risk models")
    tiny.git("checkout", "-q", "-b", "rename")
    rename_without_gates(tiny)

    result = cli("check", "tiny-v2", "--env", "staging", "--policy-ref", "main", cwd=tiny.path)

    assert result.code == 1, result.out + result.err
    assert "policy:    pipelines/_policy.yaml at main" in result.out
    assert ("warning: new model: judged by the floor for risk tier low at main "
            "(pipelines/_policy.yaml): its own policy has not been reviewed yet, so it does "
            "not judge it") in result.out
    assert "verdict: FAIL (2 of 3 gates passed)" in result.out


def test_a_new_model_without_a_floor_at_the_base_fails_clearly(tiny: Project, cli: Cli
                                                               ) -> None:
    tiny.write("pipelines/_policy.yaml", "records: {signed: false}\n")
    tiny.commit_all("a repository policy without floors")
    tiny.git("checkout", "-q", "-b", "rename")
    rename_without_gates(tiny)
    result = cli("check", "tiny-v2", "--env", "staging", "--policy-ref", "main", cwd=tiny.path)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "tiny-v2 is new at main, and the floor for risk tier low in "
        "main:pipelines/_policy.yaml sets nothing for any of its environments: nothing "
        "reviewed can judge it\n"
        "  hint: add floors.low.every_environment (or .environments) to "
        "pipelines/_policy.yaml at main\n")


def test_a_policy_weaker_than_its_floor_fails_validate(tiny: Project, cli: Cli) -> None:
    tiny.write("pipelines/_policy.yaml", FLOOR)
    result = cli("validate", cwd=tiny.path)
    assert (result.code, result.out) == (2, "")
    hint = ("  hint: a low-risk model's policy must contain its floor: add what is missing, "
            "or change the floor in a reviewed change\n")
    assert result.err == (
        "pipelines/tiny.yaml:21:7: promotion.environments[0]: environment 'staging' is weaker "
        "than the floor for risk tier low in pipelines/_policy.yaml: it lacks a gate at least "
        "as strict as `threshold roc_auc min 0.99`\n" + hint +
        "pipelines/tiny.yaml:27:7: promotion.environments[1]: environment 'production' is "
        "weaker than the floor for risk tier low in pipelines/_policy.yaml: it lacks a gate "
        "at least as strict as `threshold roc_auc min 0.99`\n" + hint +
        "pipelines/tiny.yaml:27:7: promotion.environments[1]: environment 'production' is "
        "weaker than the floor for risk tier low in pipelines/_policy.yaml: it lacks approval "
        "from at least 2\n" + hint)

    tiny.write("pipelines/_policy.yaml", FLOOR.replace("0.99", "0.7").replace(
        "min_approvers: 2", "min_approvers: 1"))
    text = (tiny.path / F).read_text()
    tiny.write(F, text.replace("          min: 0.75\n", "          min: 0.75\n"
                               "        - kind: threshold\n          metric: roc_auc\n"
                               "          min: 0.7\n", 1))
    assert cli("validate", cwd=tiny.path).code == 0


def test_a_base_policy_below_its_floor_judges_nothing(tiny: Project, cli: Cli) -> None:
    """A floor raised at the base binds the models there at once: check refuses until the
    model's policy is raised to it."""
    tiny.write("pipelines/_policy.yaml", FLOOR)
    tiny.commit_all("a floor above tiny's policy")
    result = cli("check", "tiny", "--env", "staging", "--policy-ref", "main", cwd=tiny.path)
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith(
        "main:pipelines/tiny.yaml: environment 'staging' is weaker than the floor for risk "
        "tier low in main:pipelines/_policy.yaml: it lacks a gate at least as strict as "
        "`threshold roc_auc min 0.99`\n")


def test_a_broken_policy_file_is_named_by_validate(tiny: Project, cli: Cli) -> None:
    tiny.write("pipelines/_policy.yaml", "floors:\n  critical: {}\n")
    result = cli("validate", cwd=tiny.path)
    assert (result.code, result.err) == (
        2, "pipelines/_policy.yaml:2:3: floors: expected one of low, medium, high, got "
           "'critical' (a string)\n"
           "  hint: a risk tier, as `risk_tier:` names it: low, medium or high\n")


def test_the_risk_tier_picks_the_floor_that_binds(tiny: Project, cli: Cli) -> None:
    """A floor for high-risk models leaves a low-risk one alone; declaring the model high
    risk binds it at once, wherever its policy is read."""
    tiny.write("pipelines/_policy.yaml", LOW_FLOOR.replace("  low:", "  high:"))
    tiny.commit_all("a floor for high-risk models")
    assert cli("validate", cwd=tiny.path).code == 0
    assert cli("check", "tiny", "--env", "staging", "--policy-ref", "main",
               cwd=tiny.path).code == 0
    tiny.write(F, (tiny.path / F).read_text().replace("risk_tier: low", "risk_tier: high"))
    tiny.commit_all("tiny is a high-risk model now")
    assert cli("validate", cwd=tiny.path).code == 2
    result = cli("check", "tiny", "--env", "staging", "--policy-ref", "main", cwd=tiny.path)
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith(
        "main:pipelines/tiny.yaml: environment 'staging' is weaker than the floor for risk "
        "tier high in main:pipelines/_policy.yaml: it lacks a gate at least as strict as "
        "`threshold roc_auc min 0.99`\n")
