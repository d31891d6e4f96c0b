"""`mlgate validate` on bad declarations: exact message and line, exit 2, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.project import RESOURCES, Project, make_project

GOOD = (RESOURCES / "tiny" / "pipelines" / "tiny.yaml").read_text()
F = "pipelines/tiny.yaml"


def swap(old: str, new: str, text: str = GOOD) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def line_of(needle: str, text: str = GOOD) -> int:
    return text[: text.index(needle)].count("\n") + 1


NAME_HINT = ("  hint: use 1-63 lowercase letters, digits and hyphens, starting and ending with a "
             "letter or digit (safe in git tag names and shells)")
PATH_HINT = "  hint: a path relative to the repository root, inside it (no leading '/', no '..')"


def bad_name(value: str, shown: str) -> tuple[str, str]:
    text = swap("name: tiny", f"name: {value}")
    return text, (
        f"{F}:1:7: name: {shown} (a string) is not allowed here\n{NAME_HINT}\n"
        f"{F}:1:7: name: name {value.strip(chr(34))!r} differs from the file name 'tiny'\n"
        f"  hint: rename the file to {value.strip(chr(34))}.yaml or set name: tiny"
    )


LONG = "a" * 200
EVAL = ("evaluation:\n  task: binary\n  holdout: data/holdout.csv\n  label: label\n  id: id\n"
        "  score: python src/score.py --model {artifact} --data {features} --out {scores}\n")


def with_evaluation(old: str = "", new: str = "") -> str:
    return swap("promotion:\n", swap(old, new, EVAL) + "promotion:\n") if old else swap(
        "promotion:\n", EVAL + "promotion:\n")


CASES: list[tuple[str, str | bytes, str]] = [
    ("yaml-syntax", swap("risk_tier: low", "risk_tier: [low"),
     f"{F}:7:13: invalid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence)\n"
     "  hint: check the indentation and quoting near this line"),
    ("tab-indent", swap("  name: Test Team", "\tname: Test Team"),
     f"{F}:4:1: invalid YAML: tab character used for indentation\n"
     "  hint: YAML indentation must use spaces, not tabs"),
    ("duplicate-key", swap("risk_tier: low", "risk_tier: low\nrisk_tier: high"),
     f"{F}:7:1: duplicate key 'risk_tier' (first defined on line 6)\n"
     "  hint: YAML keeps only one of them silently; remove or rename one"),
    ("duplicate-key-nested", swap("          min: 0.7", "          min: 0.7\n          min: 0.1"),
     f"{F}:27:11: duplicate key 'min' (first defined on line 26)\n"
     "  hint: YAML keeps only one of them silently; remove or rename one"),
    ("wrong-type-number", swap("min: 0.7", "min: high"),
     f"{F}:26:16: promotion.environments[0].gates[1].min: expected a number, got 'high' (a string)\n"
     "  hint: Lowest value that passes (inclusive)."),
    ("wrong-type-list", swap("files: [eval/metrics.json]", "files: eval/metrics.json"),
     f"{F}:13:10: metrics.files: expected a list, got 'eval/metrics.json' (a string)\n"
     "  hint: Metrics files (JSON, YAML or TOML), declared as `metrics` in dvc.yaml (at its "
     "top or under a stage); kept in git or by DVC (a cached output, or a file in a cached "
     "directory output)."),
    ("enum-did-you-mean", swap("risk_tier: low", "risk_tier: lwo"),
     f"{F}:6:12: risk_tier: expected one of low, medium, high, got 'lwo' (a string)\n"
     "  hint: did you mean 'low'?"),
    ("unknown-key-top", swap("risk_tier: low", "risk_tier: low\nownr: x"),
     f"{F}:7:1: (top level): unknown key 'ownr'\n  hint: did you mean 'owner'?"),
    ("unknown-key-gate", swap("          min: 0.7", "          minn: 0.7"),
     f"{F}:24:11: promotion.environments[0].gates[1]: expected at least one of min, max\n"
     f"{F}:26:11: promotion.environments[0].gates[1]: unknown key 'minn'\n"
     "  hint: did you mean 'min'?"),
    ("missing-required", swap("owner:\n  name: Test Team\n  email: test@example.com\n", ""),
     f"{F}:1:1: (top level): missing required key 'owner'\n  hint: Who answers for the model."),
    ("name-uppercase", *bad_name("Tiny", "'Tiny'")),
    ("name-space", *bad_name('"ti ny"', "'ti ny'")),
    ("name-hash", *bad_name('"ti#ny"', "'ti#ny'")),
    ("name-at", *bad_name('"ti@ny"', "'ti@ny'")),
    ("name-slash", *bad_name("ti/ny", "'ti/ny'")),
    ("name-dotdot", *bad_name("ti..ny", "'ti..ny'")),
    ("name-200-chars", swap("name: tiny", f"name: {LONG}"),
     f"{F}:1:7: name: '{'a' * 37}...' (a string) is not allowed here\n{NAME_HINT}\n"
     f"{F}:1:7: name: name '{LONG}' differs from the file name 'tiny'\n"
     f"  hint: rename the file to {LONG}.yaml or set name: tiny"),
    ("name-not-stem", swap("name: tiny", "name: other"),
     f"{F}:1:7: name: name 'other' differs from the file name 'tiny'\n"
     "  hint: rename the file to other.yaml or set name: tiny"),
    ("unknown-gate-kind", swap("kind: reproducible", "kind: reproducable"),
     f"{F}:23:17: promotion.environments[0].gates[0].kind: expected one of threshold, "
     "no_regression, confidence, slices, reproducible, freshness, got 'reproducable' (a string)\n"
     "  hint: did you mean 'reproducible'?"),
    ("level-out-of-range", swap("        - kind: reproducible\n",
                                "        - kind: confidence\n          metric: roc_auc\n"
                                "          min: 0.5\n          level: 1.5\n"),
     f"{F}:26:18: promotion.environments[0].gates[0].level: expected a number less than 1, "
     "got 1.5\n  hint: Confidence level of the two-sided interval."),
    ("negative-tolerance", swap("tolerance: 0.05", "tolerance: -0.05"),
     f"{F}:38:22: promotion.environments[1].gates[1].tolerance: expected a number at least 0, "
     "got -0.05\n  hint: How much worse the candidate may be."),
    ("min-above-max", swap("          min: 0.7", "          min: 0.7\n          max: 0.6"),
     f"{F}:26:16: promotion.environments[0].gates[1].min: min 0.7 is greater than max 0.6\n"
     "  hint: no value could pass this gate"),
    ("threshold-without-bound", swap("          metric: roc_auc\n          min: 0.7\n",
                                     "          metric: roc_auc\n"),
     f"{F}:24:11: promotion.environments[0].gates[1]: expected at least one of min, max"),
    ("metric-not-in-file", swap("metric: roc_auc\n          min: 0.7", "metric: rocauc\n          min: 0.7"),
     f"{F}:25:19: promotion.environments[0].gates[1].metric: metric 'rocauc' is not in "
     "eval/metrics.json\n  hint: metrics there: accuracy, log_loss, n, roc_auc"),
    ("artifact-not-an-out", swap("artifact: model/model.bin", "artifact: model/other.bin"),
     f"{F}:11:11: artifact: 'model/other.bin' is not an out of any stage in dvc.yaml\n"
     "  hint: outs in dvc.yaml: eval/metrics.json, eval/predictions.csv, model/model.bin"),
    ("metrics-not-declared", swap("files: [eval/metrics.json]", "files: [eval/predictions.csv]"),
     f"{F}:13:11: metrics.files[0]: 'eval/predictions.csv' is not declared under `metrics:` "
     "of any stage in dvc.yaml\n  hint: metrics in dvc.yaml: eval/metrics.json"),
    ("requires-undeclared-env", swap("environment: staging", "environment: qa"),
     f"{F}:29:22: promotion.environments[1].requires.environment: requires environment 'qa', "
     "which is not declared before it\n  hint: environments declared before 'production': staging"),
    ("path-parent", swap("artifact: model/model.bin", "artifact: ../model.bin"),
     f"{F}:11:11: artifact: '../model.bin' (a string) is not allowed here\n{PATH_HINT}"),
    ("path-absolute", swap("artifact: model/model.bin", "artifact: /etc/passwd"),
     f"{F}:11:11: artifact: '/etc/passwd' (a string) is not allowed here\n{PATH_HINT}"),
    ("empty-file", "",
     f"{F}:1:1: empty file, expected a model declaration (a mapping)\n"
     "  hint: start from `mlgate init` or pipelines/employment.yaml"),
    ("top-level-list", "- name: tiny\n",
     f"{F}:1:1: expected a mapping at the top level, got a list\n"
     "  hint: a model declaration is a mapping: `name: ...`, `owner: ...`, ..."),
    ("top-level-scalar", "tiny\n",
     f"{F}:1:1: expected a mapping at the top level, got 'tiny' (a string)\n"
     "  hint: a model declaration is a mapping: `name: ...`, `owner: ...`, ..."),
    ("not-utf8", swap("Tests only.", "Tests \xff only.").encode("latin-1"),
     f"{F}:7:21: not valid UTF-8: byte 0xff cannot be decoded\n  hint: save the file as UTF-8"),
    ("alias-bomb",
     "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
     + "".join(f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)),
     f"{F}:5:4: aliases expand this document past 100,000 nodes\n"
     "  hint: this looks like an alias bomb; write the values out or use fewer aliases"),
    ("impossible-date", swap('last_validated: "2026-01-01"', 'last_validated: "2026-13-45"'),
     f"{F}:9:19: review.last_validated: '2026-13-45' (a string) is not a calendar date\n"
     "  hint: a real date as YYYY-MM-DD: month 01-12, a day the month has"),
    ("predictions-not-an-out", swap("path: eval/predictions.csv", "path: eval/scores.csv"),
     f"{F}:18:9: predictions.path: 'eval/scores.csv' is not an out of any stage in dvc.yaml\n"
     "  hint: outs in dvc.yaml: eval/metrics.json, eval/predictions.csv, model/model.bin"),
    ("evaluation-unknown-placeholder", with_evaluation("{scores}", "{score}"),
     f"{F}:24:10: evaluation.score: unknown placeholder {{score}}\n"
     "  hint: placeholders: {artifact}, {features}, {scores}\n"
     f"{F}:24:10: evaluation.score: the scoring command lacks {{scores}}\n"
     "  hint: mlgate passes the model, the features and where to write the scores through "
     "them; e.g. python stages/score.py --model {artifact} --data {features} --out {scores}"),
    ("evaluation-bad-brace", with_evaluation("{features}", "{features"),
     f"{F}:24:10: evaluation.score: the scoring command is not a template: unexpected '{{' in "
     "field name\n  hint: write `{{` for a literal brace; e.g. python "
     "stages/score.py --model {artifact} --data {features} --out {scores}"),
    ("evaluation-format-spec", with_evaluation("{artifact}", "{artifact!r}"),
     f"{F}:24:10: evaluation.score: the scoring command is not a template: placeholder "
     "{artifact} has a conversion or format spec; write it bare\n  hint: write `{{` for a "
     "literal brace; e.g. python stages/score.py --model {artifact} --data {features} "
     "--out {scores}"),
    ("evaluation-bad-task", with_evaluation("task: binary", "task: ordinal"),
     f"{F}:20:9: evaluation.task: expected one of binary, multiclass, regression, got "
     "'ordinal' (a string)"),
    ("evaluation-classes-binary", with_evaluation("  id: id\n", "  id: id\n  classes: [a, b]\n"),
     f"{F}:24:12: evaluation.classes: classes are for a multiclass task, this one is binary\n"
     "  hint: remove `classes`"),
    ("evaluation-id-is-label", with_evaluation("id: id", "id: label"),
     f"{F}:23:7: evaluation.id: the id column is the label column 'label'\n"
     "  hint: name the holdout's row id column"),
    ("evaluation-delong-not-auc", with_evaluation() .replace(
        "          metric: log_loss\n          tolerance: 0.05",
        "          metric: log_loss\n          tolerance: 0.05\n          method: delong"),
     f"{F}:45:19: promotion.environments[1].gates[1].method: DeLong's test compares roc_auc "
     "of a binary task; this gate judges log_loss of a binary task\n"
     "  hint: use `method: bootstrap`"),
    ("evaluation-holdout-untracked", with_evaluation(),
     f"{F}:21:12: evaluation.holdout: 'data/holdout.csv' is not tracked by DVC: there is no "
     "data/holdout.csv.dvc\n  hint: track it with `dvc add data/holdout.csv` (or `dvc "
     "import`) and commit the .dvc file"),
    ("evaluation-holdout-trained-on", with_evaluation("data/holdout.csv", "data"),
     f"{F}:21:12: evaluation.holdout: 'data' is not tracked by DVC: there is no data.dvc\n"
     "  hint: track it with `dvc add data` (or `dvc import`) and commit the .dvc file\n"
     f"{F}:21:12: evaluation.holdout: stage 'train' reads 'data/input.csv', which holds the "
     "holdout 'data'\n  hint: a holdout no stage reads: keep it outside what the pipeline "
     "trains and evaluates on\n"
     f"{F}:21:12: evaluation.holdout: stage 'evaluate' reads 'data/input.csv', which holds "
     "the holdout 'data'\n  hint: a holdout no stage reads: keep it outside what the "
     "pipeline trains and evaluates on"),
    ("nested-too-deep", swap("intended_use: Tests only.", "intended_use: " + "[" * 100_000 + "]" * 100_000),
     f"{F}:7:78: nested more than 64 levels deep\n"
     "  hint: a model declaration nests a few levels; is this the right file?"),
    ("over-1mb", GOOD + "# " + "x" * (1024 * 1024) + "\n",
     f"{F}: file is {len(GOOD) + 1024 * 1024 + 3:,} bytes, larger than the 1,048,576-byte limit\n"
     "  hint: a model declaration is a few kilobytes; is this the right file?"),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("template"), "tiny")


@pytest.fixture
def project(template: Project, tmp_path: Path) -> Project:
    return template.working_copy(tmp_path / "copy")


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".dvc/tmp" not in str(p)}


def test_there_are_at_least_25_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_declaration(project: Project, cli, content: str | bytes, expected: str) -> None:  # type: ignore[no-untyped-def]
    target = project.path / F
    target.write_bytes(content.encode() if isinstance(content, str) else content)
    before = snapshot(project.path)
    result = cli("validate", cwd=project.path)
    assert (result.code, result.err.rstrip("\n"), result.out) == (2, expected, "")
    assert "Traceback" not in result.err
    assert snapshot(project.path) == before


def test_every_error_in_a_file_is_reported(project: Project, cli) -> None:  # type: ignore[no-untyped-def]
    text = swap("risk_tier: low", "risk_tier: lwo", swap("min: 0.7", "min: high"))
    (project.path / F).write_text(text)
    result = cli("validate", cwd=project.path)
    assert result.code == 2
    assert [line.split(": ")[0] for line in result.err.splitlines() if not line.startswith(" ")] == [
        f"{F}:6:12", f"{F}:26:16"]


def test_errors_as_json(project: Project, cli) -> None:  # type: ignore[no-untyped-def]
    (project.path / F).write_text(swap("risk_tier: low", "risk_tier: lwo"))
    result = cli("validate", "--format", "json", cwd=project.path)
    import json

    data = json.loads(result.out)
    assert result.code == 2
    assert data["problems"] == [{
        "path": F, "line": 6, "column": 12, "json_path": "risk_tier",
        "message": "expected one of low, medium, high, got 'lwo' (a string)",
        "hint": "did you mean 'low'?"}]


def test_file_outside_repo(project: Project, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(GOOD)
    result = cli("validate", str(outside), cwd=project.path)
    assert result.code == 2
    assert result.err.startswith(f"{outside}: file is outside the repository\n")


def test_no_traceback_from_a_real_process(project: Project) -> None:
    (project.path / F).write_text("name: [\n")
    proc = subprocess.run([sys.executable, "-m", "mlgate", "validate"], cwd=project.path,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{F}:2:1: invalid YAML")
    assert "Traceback" not in proc.stderr


def test_good_declaration_passes(project: Project, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("validate", cwd=project.path)
    assert (result.code, result.out, result.err) == (
        0, f"{F}: ok (tiny; staging -> production)\n", "")
