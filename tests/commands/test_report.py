"""`mlgate report` end to end on real git + DVC repos (the tiny pipeline); its pure parts
are tested in tests/pullrequest/ and tests/render/test_pr.py.

Each scenario is a pull request as a data scientist makes it: a branch off main that
changes params, data or code, reproduced with `dvc repro` and committed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mlgate.pullrequest.compare import flatten
from mlgate.render.pr_cells import human_size
from mlgate.render.text import fmt_value
from tests.support.project import LOW_FLOOR, Project, make_project, sh

F = "pipelines/tiny.yaml"
M = "eval/metrics.json"
APPROVALS = {"authors": ["data-scientist"],
             "approvals": [{"state": "approved", "user": {"login": "risk-officer"},
                            "environments": [{"name": "production"}]}]}


def set_quality(project: Project, value: float) -> None:
    params = (project.path / "params.yaml").read_text()
    old = next(line for line in params.splitlines() if "quality:" in line)
    project.write("params.yaml", params.replace(old, f"  quality: {value}"))


def new_version(project: Project, quality: float, message: str) -> dict[str, Any]:
    set_quality(project, quality)
    project.dvc("repro", "-q")
    project.commit_all(message)
    return metrics(project)


def metrics(project: Project, rev: str | None = None) -> dict[str, Any]:
    if rev is None:
        data: dict[str, Any] = json.loads((project.path / M).read_text())
        return data
    return dict(json.loads(project.git("show", f"{rev}:{M}")))


def num(value: float) -> str:
    return fmt_value(value, digits=6)


def diff(new: float, old: float) -> str:
    d = (Decimal(repr(new)) - Decimal(repr(old))).normalize()
    return f"{d:f}" if d < 0 else f"+{d:f}"


def as_json(cli: Any, project: Project, *args: str, code: int) -> dict[str, Any]:
    result = cli("report", *args, "--format", "json", cwd=project.path)
    assert result.code == code, result.out + result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def test_a_param_change_against_main(tiny: Project, cli: Any) -> None:
    before = metrics(tiny)
    tiny.git("checkout", "-q", "-b", "worse")
    after = new_version(tiny, 0.55, "lower quality")
    result = cli("report", "--base", "main", cwd=tiny.path)
    assert result.code == 1, result.out + result.err
    out = result.out
    # every environment judged; staging, where a merge promotes to, decides (it fails too)
    auc = num(after["roc_auc"])
    assert out.splitlines()[0] == (
        f"### :x: `tiny` would fail `staging`: roc\\_auc {auc} is below the minimum 0.7 · "
        f"would fail `production`: roc\\_auc {auc} is below the minimum 0.75")
    head = tiny.git("rev-parse", "--short=7", "HEAD")
    main = tiny.git("rev-parse", "--short=7", "main")
    assert (f"Compares this change (`{head}`) with `main` (`{main}`); nothing is deployed in "
            "`production` yet.") in out
    assert (f"| `roc_auc` | {num(after['roc_auc'])} | {num(before['roc_auc'])} | "
            f":red_circle: {diff(after['roc_auc'], before['roc_auc'])} |") in out
    # log_loss is lower-is-better: it went up, and that is worse
    assert after["log_loss"] > before["log_loss"]
    assert (f"| `log_loss` | {num(after['log_loss'])} | {num(before['log_loss'])} | "
            f":red_circle: {diff(after['log_loss'], before['log_loss'])} |") in out
    assert "| `train.quality` | `0.8` | `0.55` |" in out
    assert "**Data:** no data dependency changed against `main`." in out
    assert (f"| :x: | threshold roc\\_auc | {auc} | >= 0.7 | roc\\_auc {auc} is below the "
            "minimum 0.7 |") in out
    assert (f"| :x: | threshold roc\\_auc | {auc} | >= 0.75 | roc\\_auc {auc} is below the "
            "minimum 0.75 |") in out
    assert ("| :white_check_mark: | no\\_regression log\\_loss | " in out
            and "no incumbent in production: nothing to regress from |" in out)
    assert "| :hourglass: | approval | — | at least 1 distinct approver, not the candidate's " \
           "author | checked at promotion: no approvals were given |" in out
    # slices that moved, largest move first
    slices = [line for line in out.splitlines() if line.startswith("| `slices.group.")]
    moves = [abs(Decimal(repr(after["slices"]["group"][g]["roc_auc"]))
                 - Decimal(repr(before["slices"]["group"][g]["roc_auc"]))) for g in "ab"]
    first = "ab"[moves.index(max(moves))]
    assert slices[0].startswith(f"| `slices.group.{first}.roc_auc` |")
    assert "<summary><b>Slice and other metrics that moved</b>: 3, largest first</summary>" \
        in out


def test_params_agree_with_dvc_params_diff(tiny: Project, cli: Any) -> None:
    tiny.git("checkout", "-q", "-b", "seed")
    params = (tiny.path / "params.yaml").read_text().replace("seed: 3", "seed: 4")
    tiny.write("params.yaml", params + "  note: extra\n")
    tiny.dvc("repro", "-q")
    tiny.commit_all("another seed")
    data = as_json(cli, tiny, "--base", "main", "--env", "staging", code=0)
    ours = {p["name"]: (p["base"], p["head"]) for p in data["params"]}
    theirs = json.loads(tiny.dvc("params", "diff", "main", "--json"))["params.yaml"]
    assert ours == {k: (v["old"], v["new"]) for k, v in theirs.items()}
    assert ours == {"train.seed": (3, 4), "train.note": (None, "extra")}
    assert [p["change"] for p in data["params"]] == ["added", "modified"]


def test_compares_with_the_version_deployed_in_the_environment(
        tiny: Project, cli: Any, tmp_path: Path) -> None:
    deployed = metrics(tiny)
    deployed_commit = tiny.git("rev-parse", "HEAD")
    tiny.dvc("push", "-q")
    approvals = tmp_path / "approvals.json"
    approvals.write_text(json.dumps(APPROVALS))
    for args in (["--env", "staging"], ["--env", "production", "--approvals", str(approvals)]):
        promoted = cli("promote", "tiny", *args, cwd=tiny.path)
        assert promoted.code == 0, promoted.out + promoted.err
    base = new_version(tiny, 0.7, "main moves on")  # main is no longer what production serves
    tiny.git("checkout", "-q", "-b", "better")
    head = new_version(tiny, 0.9, "higher quality")
    data = as_json(cli, tiny, "--base", "main", code=0)  # production: the last environment
    assert data["environment"] == "production"
    inc = data["incumbent"]
    assert (inc["version"], inc["commit"], inc["metrics_from"]) == (
        "1.0.0", deployed_commit, "git")
    assert inc["tag"].startswith("tiny#production#")
    rows = {r["name"]: r for r in data["metrics"]}
    auc = rows["roc_auc"]
    assert (auc["head"], auc["base"], auc["incumbent"]) == (
        head["roc_auc"], base["roc_auc"], deployed["roc_auc"])
    assert auc["vs_incumbent"] == {"value": float(diff(head["roc_auc"], deployed["roc_auc"])),
                                   "movement": "better"}
    assert rows["log_loss"]["vs_base"]["movement"] == "better"  # it went down
    assert [e["name"] for e in data["environments"]] == ["staging", "production"]
    gates = {g["gate"]: g for g in data["environments"][1]["gates"]}
    assert gates["no_regression log_loss"]["expected"] == (
        f"not worse than {deployed['log_loss']} + 0.05 (incumbent 1.0.0 in production)")
    assert gates["no_regression log_loss"]["passed"] is True
    assert gates["approval"]["at_promotion"] is True
    assert data["passed"] is True
    assert data["verdict"] == "would pass staging · would pass production"

    out = cli("report", "--base", "main", cwd=tiny.path).out
    assert out.startswith("### :white_check_mark: `tiny` would pass `staging` · would pass "
                          "`production`\n")
    assert f"with v1.0.0, now in `production` (tag `{inc['tag']}`" in out
    assert ("| metric | this change | `main` | Δ vs `main` | v1.0.0 in `production` | "
            "Δ vs v1.0.0 |") in out
    assert (f"| `roc_auc` | {num(head['roc_auc'])} | {num(base['roc_auc'])} | :green_circle: "
            f"{diff(head['roc_auc'], base['roc_auc'])} | {num(deployed['roc_auc'])} | "
            f":green_circle: {diff(head['roc_auc'], deployed['roc_auc'])} |") in out


PREDICTION_GATES = """\
        - kind: confidence
          metric: roc_auc
          min: 0.6
          resamples: 200
          seed: 1
        - kind: slices
          column: group
          metric: roc_auc
          min: 0.6
          max_gap: 0.2
"""


def test_gate_rows_are_the_ones_check_gives(tiny: Project, cli: Any) -> None:
    """The gates on the predictions are judged while `dvc status` runs: same rows."""
    policy = (tiny.path / F).read_text()
    tiny.write(F, policy.replace("          min: 0.7\n", "          min: 0.7\n" + PREDICTION_GATES))
    tiny.commit_all("gates on the predictions")
    tiny.git("checkout", "-q", "-b", "change")
    new_version(tiny, 0.7, "lower quality")
    data = as_json(cli, tiny, "--base", "main", "--env", "staging", code=0)
    check = cli("check", "tiny", "--env", "staging", "--policy-ref", "main", "--format", "json",
                cwd=tiny.path)
    assert check.code == 0, check.out + check.err
    [staging] = data["environments"]  # --env: that environment alone, which decides
    assert (staging["name"], staging["decides"], data["decided_by"]) == ("staging", True,
                                                                       "staging")
    rows = [{k: v for k, v in r.items() if k != "at_promotion"} for r in staging["gates"]]
    assert rows == json.loads(check.out)["results"]
    assert [r["kind"] for r in rows] == ["recomputed", "validation", "reproducible",
                                         "threshold", "confidence", "slices"]
    assert rows[4]["details"] and rows[5]["details"]


def write_parquet(path: Path, columns: dict[str, list[Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)


def test_data_changes_with_rows_and_columns(tiny: Project, cli: Any) -> None:
    # main: the stage also reads a directory of Parquet files, kept in git
    write_parquet(tiny.path / "data/extra/one.parquet", {"a": [1, 2, 3], "b": ["x", "y", "z"]})
    dvc_yaml = (tiny.path / "dvc.yaml").read_text()
    tiny.write("dvc.yaml", dvc_yaml.replace("      - data/input.csv\n",
                                            "      - data/input.csv\n      - data/extra\n"))
    tiny.dvc("repro", "-q")
    tiny.commit_all("extra data")
    old_csv = int(tiny.git("cat-file", "-s", "main:data/input.csv"))
    tiny.git("checkout", "-q", "-b", "more-data")
    write_parquet(tiny.path / "data/extra/one.parquet",
                  {"a": [1, 2, 3, 4, 5], "c": [1.0, 2.0, 3.0, 4.0, 5.0]})
    write_parquet(tiny.path / "data/extra/two.parquet", {"a": [1]})
    with (tiny.path / "data/input.csv").open("a") as fh:
        fh.write("".join(f"{1000 + i},0.5,a\n" for i in range(10)))
    tiny.dvc("repro", "-q")
    tiny.commit_all("more rows, a new column")
    result = cli("report", "--base", "main", "--env", "staging", cwd=tiny.path)
    assert result.code == 0, result.out + result.err
    out = result.out
    new_csv = (tiny.path / "data/input.csv").stat().st_size
    assert "<summary><b>Data</b>: 2 dependencies changed</summary>" in out
    assert (f"| `data/input.csv` | modified | {human_size(old_csv)} → {human_size(new_csv)} "
            f"(+{new_csv - old_csv} B) | 400 → 410 (+10) | same 3 columns |") in out
    assert "| `data/extra` | modified |" in out and "| 2 files changed inside |" in out
    assert "| ↳ `data/extra/one.parquet` | modified |" in out
    assert "| 3 → 5 (+2) | added `c`; removed `b` |" in out
    assert "| ↳ `data/extra/two.parquet` | added | — → " in out
    assert "| — → 1 | 1 column |" in out
    assert "**Params:** none of the model's params changed against `main`." in out
    data = as_json(cli, tiny, "--base", "main", "--env", "staging", code=0)
    csv_dep = next(d for d in data["data"] if d["path"] == "data/input.csv")
    assert (csv_dep["base"]["size"], csv_dep["head"]["size"]) == (old_csv, new_csv)
    assert csv_dep["head"]["columns"] == ["id", "x", "group"]


def test_a_change_to_what_judges_it_is_flagged_and_not_applied(tiny: Project, cli: Any) -> None:
    tiny.git("checkout", "-q", "-b", "sneaky")
    tiny.write(F, (tiny.path / F).read_text().replace("min: 0.75", "min: 0.5"))
    tiny.write(".github/workflows/ship.yml", "name: ship\non: push\njobs: {}\n")
    tiny.write("CODEOWNERS", "* @someone\n")
    new_version(tiny, 0.6, "lower the bar, and the model")
    result = cli("report", "--base", "main", cwd=tiny.path)
    # staging (0.7), where a merge promotes to, decides: it passes; production is reported
    assert result.code == 0, result.out + result.err
    assert result.out.startswith("### :white_check_mark: `tiny` would pass `staging` · "
                                 "would fail `production`: roc\\_auc ")
    assert ("<summary><b>Gates for <code>staging</code></b> (decides this check: a merge "
            "promotes into it): 4 of 4 pass") in result.out
    assert "<summary><b>Gates for <code>production</code></b>: 3 of 4 pass" in result.out
    assert ("> [!CAUTION]\n> **This change touches what decides promotions:** "
            "`.github/workflows/ship.yml` (a workflow), `CODEOWNERS` (code owners), "
            "`pipelines/tiny.yaml` (a model's policy). The gates below apply the policy at "
            "`main`, not this change's; have the code owners review these files before "
            "merging.\n") in result.out
    assert "| >= 0.75 | roc\\_auc " in result.out  # main's threshold, not the branch's 0.5
    data = as_json(cli, tiny, "--base", "main", code=0)
    assert (data["passed"], data["decided_by"]) == (True, "staging")
    assert [(e["name"], e["decides"], e["passed"]) for e in data["environments"]] == [
        ("staging", True, True), ("production", False, False)]
    assert data["verdict"].startswith("would pass staging · would fail production: roc_auc ")
    assert data["policy"]["ref"] == "main"
    assert data["policy"]["blob"] == tiny.git("rev-parse", f"main:{F}")
    assert data["sensitive_paths"] == [".github/workflows/ship.yml", "CODEOWNERS", F]


# A backtick first: a name or value shown in a code span would otherwise close it early.
# (No dot in it: a metric's name with a dot is a nested one, not a key metric.)
HOSTILE = "x` @org/admins see [click](https://evil/) <img src=x> `"


def test_names_and_values_from_the_change_are_inert_in_the_comment(tiny: Project,
                                                                   cli: Any) -> None:
    """A param's key and value and a metric's name written to mention, link and
    inject HTML reach the comment as text: GitHub's markdown (CommonMark with tables, HTML
    allowed) finds no mention, link, image or tag of theirs."""
    from markdown_it import MarkdownIt

    # the metric is the evaluation's own (the gates judge recomputed numbers)
    evaluate = tiny.path / "src/evaluate.py"
    code = evaluate.read_text()
    hostile_metric = 'metrics[' + json.dumps(HOSTILE) + '] = {}\nos.makedirs("eval"'
    evaluate.write_text(code.replace('os.makedirs("eval"', hostile_metric.format(0.25)))
    tiny.dvc("repro", "-q")
    tiny.commit_all("a metric that the change will move")
    tiny.git("checkout", "-q", "-b", "hostile")
    params = yaml_quote(HOSTILE)
    tiny.write("params.yaml", (tiny.path / "params.yaml").read_text()
               + f"  {params}: {params}\n")
    evaluate.write_text(code.replace('os.makedirs("eval"', hostile_metric.format(0.5)))
    tiny.dvc("repro", "-q")
    tiny.commit_all("hostile names")
    result = cli("report", "--base", "main", cwd=tiny.path)
    out = result.out
    assert result.code in (0, 1), out + result.err
    # the param's key and value, the metric: each shown, each inert
    assert out.count("@\u200borg/admins") == 3, out
    assert "@org" not in out and "https://" not in out  # no mention, no autolink
    html = MarkdownIt("commonmark").enable("table").render(out)
    assert "<img" not in html and "<a " not in html  # no image, no link, no tag
    assert html.count("&lt;img src=x&gt;") == 3  # shown as text
    assert not re.search(r"(?<![\w`])@org", re.sub(r"<[^>]*>", "", html))


def yaml_quote(text: str) -> str:
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


def test_a_new_model_is_judged_by_the_floor_of_its_tier_at_the_base(tiny: Project, cli: Any
                                                                   ) -> None:
    tiny.write("pipelines/_policy.yaml", LOW_FLOOR)
    tiny.commit_all("a floor for low-risk models")
    tiny.git("checkout", "-q", "-b", "add-model")
    tiny.git("rm", "-q", F)
    tiny.git("commit", "-q", "-m", "no model declared yet")
    tiny.git("branch", "-f", "base-without-model")
    tiny.git("checkout", "-q", "HEAD~1", "--", F)
    tiny.commit_all("declare tiny")
    result = cli("report", "--base", "base-without-model", cwd=tiny.path)
    assert result.code == 1, result.out + result.err
    assert ("> **`tiny` is new:** there is no `pipelines/tiny.yaml` at `base-without-model` (a "
            "new or renamed model), so it is judged by the floor for risk tier `low` in "
            "`pipelines/_policy.yaml` at `base-without-model`, not by its own policy, which "
            "nobody has reviewed yet.") in result.out
    assert "`pipelines/tiny.yaml` (a model's policy). This model is new;" in result.out
    data = as_json(cli, tiny, "--base", "base-without-model", code=1)
    assert (data["new_model"], data["policy"]["ref"], data["policy"]["path"]) == (
        True, "base-without-model", "pipelines/_policy.yaml")
    assert data["policy"]["floor"] == ("new model: judged by the floor for risk tier low at "
                                       "base-without-model")
    assert [(r["gate"], r["passed"]) for r in data["environments"][0]["gates"]
                                              if not r["at_promotion"]] == [
        ("metrics recomputed", True), ("validation", True), ("threshold roc_auc", False)]


def test_base_without_dvc_lock_or_metrics(tmp_path: Path, cli: Any) -> None:
    project = make_project(tmp_path, "tiny", repro=False)  # main: the pipeline, never run
    project.git("checkout", "-q", "-b", "first-run")
    project.dvc("repro", "-q")
    project.commit_all("run it")
    head = metrics(project)
    result = cli("report", "--base", "main", "--env", "staging", cwd=project.path)
    assert result.code == 0, result.out + result.err
    out = result.out
    assert "> - `main` has no dvc.lock: every dependency counts as new." in out
    assert "> - `main` has no eval/metrics.json: no base metrics to compare with." in out
    assert f"| `roc_auc` | {num(head['roc_auc'])} | — | new |" in out
    assert "| `data/input.csv` | added | — → 5.7 kB | — → 400 | 3 columns |" in out
    assert "- `src/evaluate.py` (added)" in out


def test_only_code_changed(tiny: Project, cli: Any) -> None:
    before = metrics(tiny)
    tiny.git("checkout", "-q", "-b", "noisier")
    code = (tiny.path / "src/evaluate.py").read_text()
    tiny.write("src/evaluate.py", code.replace("rng.gauss(0, 1)", "rng.gauss(0, 2)"))
    tiny.dvc("repro", "-q")
    tiny.commit_all("more noise")
    after = metrics(tiny)
    result = cli("report", "--base", "main", "--env", "staging", cwd=tiny.path)
    assert result.code == 0, result.out + result.err
    out = result.out
    assert "**Params:** none of the model's params changed against `main`." in out
    assert "**Data:** no data dependency changed against `main`." in out
    assert "<summary><b>Code</b>: 1 dependency changed</summary>\n\n- `src/evaluate.py` " \
           "(modified)\n" in out
    assert (f"| `roc_auc` | {num(after['roc_auc'])} | {num(before['roc_auc'])} | "
            f":red_circle: {diff(after['roc_auc'], before['roc_auc'])} |") in out


def test_a_change_not_reproduced_says_what_to_run(tiny: Project, cli: Any) -> None:
    code = (tiny.path / "src/evaluate.py").read_text()
    tiny.write("src/evaluate.py", code.replace("rng.gauss(0, 1)", "rng.gauss(0, 2)"))
    result = cli("report", "--base", "main", "--env", "staging", cwd=tiny.path)
    assert result.code == 1
    assert ("> - The pipeline is not up to date with its inputs (evaluate (changed deps: "
            "src/evaluate.py modified)): the metrics shown may be stale. Run `mlgate run tiny`, "
            "then commit dvc.lock and eval/metrics.json.") in result.out
    assert "with uncommitted changes" in result.out
    # the working tree is what is re-run: its metrics differ from the committed ones
    assert result.out.splitlines()[0].startswith(
        "### :x: `tiny` would fail `staging`: eval/metrics.json: accuracy committed ")
    assert "; uncommitted changes: src/evaluate.py" in result.out.splitlines()[0]


def test_metrics_missing_at_head_says_what_to_run(tiny: Project, cli: Any) -> None:
    (tiny.path / M).unlink()
    result = cli("report", "--base", "main", cwd=tiny.path)
    assert result.code == 1
    lines = result.out.splitlines()
    missing = ("eval/metrics.json is missing at working tree: run the pipeline "
               "(`mlgate run tiny`) and commit it")
    assert lines[0] == (f"### :x: `tiny` would fail `staging`: {missing}; uncommitted changes: "
                        f"eval/metrics.json · would fail `production`: {missing}")
    # the metrics shown and judged are the recomputed ones: the model is main's
    base = metrics(tiny, "main")
    assert f"| `roc_auc` | {num(base['roc_auc'])} | {num(base['roc_auc'])} | " in result.out


def test_a_huge_change_fits_a_github_comment(tiny: Project, cli: Any, tmp_path: Path) -> None:
    tiny.git("checkout", "-q", "-b", "huge")
    extra = "".join(f"    a_rather_long_parameter_name_{i:04d}: {i}\n" for i in range(1200))
    tiny.write("params.yaml", (tiny.path / "params.yaml").read_text() + "  extra:\n" + extra)
    tiny.dvc("repro", "-q")
    tiny.commit_all("1,200 new params")
    out_file = tmp_path / "report.md"
    result = cli("report", "tiny", "--base", "main", "--env", "staging", "--out",
                 str(out_file), cwd=tiny.path)
    assert result.code == 0, result.err
    assert out_file.read_text() == result.out
    assert len(result.out) <= 65_536
    assert ("> [!NOTE]\n> Shortened to fit GitHub's 65,536-character comment limit: " in result.out
            and " table rows are not shown; `mlgate report --format json` has everything."
            in result.out)
    assert "| … " in result.out and " more rows: `mlgate report --format json` has everything |" \
        in result.out
    assert "<summary><b>Params</b>: 1200 changed</summary>" in result.out
    assert result.out.rstrip().endswith("</sub>")  # cut inside tables, not at the end
    assert len(as_json(cli, tiny, "--base", "main", "--env", "staging", code=0)["params"]) == 1200


def test_the_last_resort_cut_closes_what_it_opened(tiny: Project) -> None:
    from mlgate.pullrequest import build
    from mlgate.render.pr import as_markdown

    tiny.git("checkout", "-q", "-b", "small")
    new_version(tiny, 0.6, "change")
    report = build(tiny.path, None, "main", "staging")
    text = as_markdown(report, limit=1200)
    assert len(text) <= 1200
    assert text.count("<details") == text.count("</details>")
    assert text.endswith("> Cut here to fit GitHub's 65,536-character comment limit; "
                         "`mlgate report --format json` has everything.\n")


def test_defaults_base_to_origin_main(tiny: Project, cli: Any) -> None:
    tiny.git("checkout", "-q", "-b", "topic")
    tiny.git("branch", "-D", "main")  # as in CI: only the remote's branch is there
    data = as_json(cli, tiny, "--env", "staging", code=0)
    assert data["base"] == {"ref": "refs/remotes/origin/main",
                            "commit": tiny.git("rev-parse", "refs/remotes/origin/main")}
    assert data["params"] == [] and data["data"] == [] and data["moved_metrics"] == []


@pytest.fixture(scope="module")
def untouched(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """tiny as made, for tests that change nothing."""
    return make_project(tmp_path_factory.mktemp("untouched"), "tiny")


@pytest.mark.parametrize(("args", "message"), [
    (["--env", "prod"], "unknown environment 'prod' for model 'tiny'\n"
                        "  hint: did you mean 'production'? (declared: staging, production)"),
    (["--base", "nope"], "unknown revision 'nope'\n  hint: name a branch, tag or commit that "
                         "exists here (`git fetch` first if it is on the remote)"),
    (["other"], "pipelines/other.yaml: no model named 'other'\n  hint: declare it in "
                "pipelines/<model>.yaml (`mlgate validate`)"),
    (["--out", "missing/report.md"],
     "missing/report.md: cannot write the report: there is no directory 'missing'\n"
     "  hint: create it first, or choose another path for --out"),
    (["--out", "eval"], "eval: cannot write the report: it is a directory\n"
                        "  hint: name a file for --out, not a directory"),
])
def test_bad_input(untouched: Project, cli: Any, args: list[str], message: str) -> None:
    result = cli("report", *args, cwd=untouched.path)
    assert (result.code, result.err, result.out) == (2, message + "\n", "")


def test_two_models_need_a_name(tiny: Project, cli: Any) -> None:
    tiny.write("pipelines/other.yaml",
               (tiny.path / F).read_text().replace("name: tiny", "name: other"))
    result = cli("report", cwd=tiny.path)
    assert (result.code, result.err) == (
        2, "2 models are declared: name the one to report on\n"
           "  hint: `mlgate report MODEL`, with MODEL one of other, tiny\n")
    new = cli("report", "other", "--env", "staging", cwd=tiny.path)
    assert (new.code, new.err) == (
        2, "pipelines/other.yaml does not exist at refs/remotes/origin/main, and there is no "
           "pipelines/_policy.yaml there: nothing reviewed can judge a new model\n"
           "  hint: a new or renamed model is judged by the floor of its risk tier: add "
           "pipelines/_policy.yaml with `floors:` to refs/remotes/origin/main first\n")


def test_help_imports_nothing_heavy() -> None:
    code = ("import sys; from mlgate.cli import main\n"
            "try:\n    main(['report', '--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('numpy', 'dvc', 'pyarrow', 'jsonschema', 'mlgate.pullrequest') "
            "if m in sys.modules]\nprint(heavy)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert proc.stdout.splitlines()[-1] == "[]"


# --- data kept in the DVC cache (tests/resources/cached) ---

DATA_FILES = ("data/raw.csv", "data/parts/one.parquet", "data/parts/two.parquet",
              "data/parts/three.parquet", "data/features.parquet")
FETCH = "`dvc fetch --all-commits` brings it from the DVC remote"


def track_version(project: Project, version: int, message: str) -> dict[str, int]:
    """Writes the scenario's data at ``version``, `dvc add`s it, runs the pipeline,
    commits; returns each data file's size."""
    sh(sys.executable, "src/make_data.py", "--version", str(version), cwd=project.path)
    project.dvc("add", "-q", "data/raw.csv", "data/parts")
    project.dvc("repro", "-q")
    project.commit_all(message)
    sizes = {p: (project.path / p).stat().st_size for p in DATA_FILES
             if (project.path / p).exists()}
    sizes["data/parts"] = sum(v for k, v in sizes.items() if k.startswith("data/parts/"))
    return sizes


def cached_scenario(tmp_path: Path) -> tuple[Project, dict[str, int], dict[str, int]]:
    """main: the data tracked by DVC and pushed to the DVC remote; branch `more-data`:
    more rows, a new column, a file changed, one removed, one added."""
    project = make_project(tmp_path, "cached", repro=False)
    base = track_version(project, 1, "data tracked by DVC")
    project.dvc("push", "-q")
    project.git("checkout", "-q", "-b", "more-data")
    head = track_version(project, 2, "more rows, a new column, files added and removed")
    assert project.git("ls-files", "data") == "data/.gitignore\ndata/parts.dvc\ndata/raw.csv.dvc"
    return project, base, head


def sizes_cell(old: int | None, new: int | None) -> str:
    text = f"{human_size(old)} → {human_size(new)}"
    if old is not None and new is not None:
        text += f" (+{human_size(new - old)})"
    return text


@pytest.fixture(scope="module")
def cached(tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Project, dict[str, int], dict[str, int]]:
    return cached_scenario(tmp_path_factory.mktemp("cached"))


def test_data_read_from_the_dvc_cache(cli: Any, cached: tuple[Project, dict[str, int],
                                                             dict[str, int]]) -> None:
    project, base, head = cached
    result = cli("report", "--base", "main", cwd=project.path)
    assert result.code == 0, result.out + result.err
    s = {p: sizes_cell(base.get(p), head.get(p)) for p in {*base, *head}}
    assert result.out.split("<summary><b>Data</b>", 1)[1].split("</details>")[0] == (
        ": 3 dependencies changed</summary>\n\n"
        "| dependency | change | size `main` → this change | rows | columns |\n"
        "|---|---|--:|--:|---|\n"
        f"| `data/parts` | modified | {s['data/parts']} | — | 3 files changed inside |\n"
        f"| ↳ `data/parts/one.parquet` | modified | {s['data/parts/one.parquet']} "
        "| 3 → 5 (+2) | added `c`; removed `b` |\n"
        f"| ↳ `data/parts/three.parquet` | added | {s['data/parts/three.parquet']} | — → 1 "
        "| 1 column |\n"
        f"| ↳ `data/parts/two.parquet` | removed | {s['data/parts/two.parquet']} | 2 → — "
        "| 1 column |\n"
        f"| `data/raw.csv` | modified | {s['data/raw.csv']} | 300 → 1,500 (+1,200) "
        "| added `age` |\n"
        f"| `data/features.parquet` (from `prepare`) | modified | "
        f"{s['data/features.parquet']} | 300 → 1,500 (+1,200) | added `age` |\n\n")
    data = as_json(cli, project, "--base", "main", code=0)
    deps = {d["path"]: d for d in data["data"]}
    raw = deps["data/raw.csv"]
    assert (raw["base"]["rows"], raw["base"]["columns"], raw["head"]["columns"]) == (
        300, ["id", "x", "group"], ["id", "x", "group", "age"])
    assert (raw["missing"], raw["note"], raw["produced_by"]) == ([], None, None)
    assert deps["data/features.parquet"]["produced_by"] == "prepare"
    assert [(f["path"], f["change"]) for f in deps["data/parts"]["files"]] == [
        ("data/parts/one.parquet", "modified"), ("data/parts/three.parquet", "added"),
        ("data/parts/two.parquet", "removed")]


def test_slice_metrics_that_moved_with_their_sizes(
        cli: Any, cached: tuple[Project, dict[str, int], dict[str, int]]) -> None:
    """The branch has five times the rows: the slices' sizes grow by hundreds, their
    metrics by hundredths; the metrics lead, each with its slice's size."""
    project, _, _ = cached
    after, before = flatten(metrics(project)), flatten(metrics(project, "main"))
    result = cli("report", "--base", "main", cwd=project.path)
    assert result.code == 0, result.out + result.err

    def line(name: str) -> str:
        group = name.rpartition(".")[0]
        size = (f"{before[group + '.n']:,} → {after[group + '.n']:,} "
                f"({after[group + '.n'] - before[group + '.n']:+,})" if group else "")
        d = diff(after[name], before[name])
        marker = "" if name == "n" else (":green_circle: " if d.startswith("+")
                                         else ":red_circle: ")
        return (f"| `{name}` | {size} | {num(after[name])} | {num(before[name])} | "
                f"{marker}{d} |")

    order = ["slices.group.b.accuracy", "slices.group.b.roc_auc", "slices.group.a.accuracy",
             "slices.group.a.roc_auc", "accuracy", "n"]
    moves = [abs(Decimal(repr(after[n])) - Decimal(repr(before[n]))) for n in order[:-1]]
    assert moves == sorted(moves, reverse=True)
    assert ("<details>\n<summary><b>Slice and other metrics that moved</b>: 6, largest first"
            "</summary>\n\n"
            "| metric | slice size | this change | `main` | Δ vs `main` |\n"
            "|---|--:|--:|--:|--:|\n"
            + "".join(line(n) + "\n" for n in order)
            + "\nLargest move first: the change itself for a metric between 0 and 1, else the "
            "change relative to the larger value; counts last.\n\n</details>\n") in result.out
    data = as_json(cli, project, "--base", "main", code=0)
    assert [m["name"] for m in data["moved_metrics"]] == order
    assert (data["moved_metrics"][0]["support"], data["moved_metrics"][0]["support_base"]) == (
        after["slices.group.b.n"], before["slices.group.b.n"])


def test_base_data_missing_from_the_cache(tmp_path: Path, cli: Any) -> None:
    """Objects of the base gone from the local cache (a fresh CI runner, `dvc gc`): the
    report says which and what brings them back, and is whole again after that."""
    project, base, head = cached_scenario(tmp_path)
    cache = project.path / ".dvc" / "cache" / "files" / "md5"

    def obj(md5: str) -> Path:
        return cache / md5[:2] / md5[2:]

    def dvc_md5(path: str) -> str:
        text = project.git("show", f"main:{path}")
        return next(line.split()[-1] for line in text.splitlines() if "md5:" in line)

    listing = obj(dvc_md5("data/parts.dvc"))
    one = next(e["md5"] for e in json.loads(listing.read_text())
               if e["relpath"] == "one.parquet")
    obj(dvc_md5("data/raw.csv.dvc")).unlink()
    obj(one).unlink()
    result = cli("report", "--base", "main", cwd=project.path)
    assert result.code == 0, result.out + result.err
    note = f"`main`'s copy is not in the local DVC cache: {FETCH}"
    assert (f"| `data/raw.csv` | modified | {sizes_cell(base['data/raw.csv'], head['data/raw.csv'])}"
            f" | — → 1,500 | 4 columns; {note} |\n") in result.out
    assert (f"| ↳ `data/parts/one.parquet` | modified | "
            f"— → {human_size(head['data/parts/one.parquet'])} | — → 5 | 2 columns; {note} |\n"
            ) in result.out
    assert "| ↳ `data/parts/two.parquet` | removed |" in result.out  # still in the cache

    listing.unlink()
    result = cli("report", "--base", "main", cwd=project.path)
    assert result.code == 0, result.out + result.err
    assert (f"| `data/parts` | modified | {sizes_cell(base['data/parts'], head['data/parts'])} "
            f"| — | {note} |\n| `data/raw.csv` |") in result.out
    data = as_json(cli, project, "--base", "main", code=0)
    parts = next(d for d in data["data"] if d["path"] == "data/parts")
    assert (parts["missing"], parts["note"], parts["files"]) == (["base"], note, [])

    project.dvc("fetch", "-q", "--all-commits")  # what the note says to run
    result = cli("report", "--base", "main", cwd=project.path)
    assert "| 300 → 1,500 (+1,200) | added `age` |" in result.out
    assert "| 3 → 5 (+2) | added `c`; removed `b` |" in result.out
    assert "not in the local DVC cache" not in result.out


REWIRED = """\
stages:
  train:
    cmd: python src/train.py
    deps: [src/train.py, data/input.csv]
    params: [train]
    outs: [model/model.bin]
  evaluate:
    cmd: python src/evaluate.py && rm eval/metrics.json
    deps: [src/evaluate.py, model/model.bin, data/input.csv]
    outs: [eval/predictions.csv]
  publish:
    cmd: cp fake.json eval/metrics.json
    deps: [fake.json{more}]
    metrics:
      - eval/metrics.json: {{cache: false}}
"""


@pytest.mark.parametrize("reads_model", [False, True])
def test_a_rewired_pipeline_is_a_caution_and_fails_when_it_can(
        tiny: Project, cli: Any, reads_model: bool) -> None:
    """The attack: a stage copying a committed JSON over the metrics file. Checked by the
    base's policy, it fails `metrics recomputed` when the stage does not read the model;
    when it does, the re-run copies the same JSON, and only the caution (a reviewer) is
    left to stop it."""
    tiny.git("checkout", "-q", "-b", "rewired")
    fake = {**metrics(tiny), "roc_auc": 0.99}
    tiny.write("fake.json", json.dumps(fake))
    # reading the predictions, the stage reads the model (through `evaluate`)
    tiny.write("dvc.yaml", REWIRED.format(more=", eval/predictions.csv" if reads_model else ""))
    tiny.dvc("repro", "-q")
    tiny.commit_all("publish the metrics")
    assert metrics(tiny)["roc_auc"] == 0.99

    result = cli("report", "--base", "main", "--env", "staging", cwd=tiny.path)
    assert result.code == (0 if reads_model else 1), result.out + result.err
    caution = next(line for line in result.out.splitlines()
                   if line.startswith("> **This change alters the stages"))
    assert caution == (
        "> **This change alters the stages that write what the gates judge:** stage "
        "`publish` (writes `eval/metrics.json`): `eval/metrics.json` is now written by stage "
        "`publish` (was stage `evaluate`); new: runs `cp fake.json eval/metrics.json`; stage "
        "`evaluate` (writes `eval/predictions.csv`): runs `python src/evaluate.py && rm "
        "eval/metrics.json` (was `python src/evaluate.py`); outputs `eval/predictions.csv` "
        "(were `eval/predictions.csv`, `eval/metrics.json`). The gates judge the numbers "
        "these stages compute as this change defines them: review them before merging.")
    data = as_json(cli, tiny, "--base", "main", "--env", "staging",
                   code=0 if reads_model else 1)
    assert [r["stage"] for r in data["rewired_stages"]] == ["publish", "evaluate"]
    assert data["warnings"][0] == caution.removeprefix("> ")

    check = cli("check", "tiny", "--env", "staging", "--policy-ref", "main", "--format",
                "json", cwd=tiny.path)
    recomputed = json.loads(check.out)["results"][0]
    assert recomputed["gate"] == "metrics recomputed"
    if reads_model:  # the limit of this defence: the caution is what is left
        assert check.code == 0 and recomputed["passed"]
    else:
        assert check.code == 1
        assert recomputed["why"] == (
            "stage 'publish' writes eval/metrics.json without reading the artifact "
            "model/model.bin: its numbers cannot be the model's; make model/model.bin a "
            "dependency of the stage that computes eval/metrics.json")


def test_a_change_to_the_evaluation_code_is_a_caution(tiny: Project, cli: Any) -> None:
    tiny.git("checkout", "-q", "-b", "kinder")
    code = (tiny.path / "src/evaluate.py").read_text()
    tiny.write("src/evaluate.py", code.replace('"n": len(pairs),', '"n": len(pairs) * 2,'))
    tiny.dvc("repro", "-q")
    tiny.commit_all("count twice")
    data = as_json(cli, tiny, "--base", "main", "--env", "staging", code=0)
    assert data["rewired_stages"] == [{
        "stage": "evaluate", "paths": ["eval/metrics.json", "eval/predictions.csv"],
        "changes": ["code changed: `src/evaluate.py`"]}]
