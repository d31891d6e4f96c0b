"""`mlgate monitor`: production batches against the reference profile, in a real repo.

The scenario `tests/resources/monitored` makes its training data, recorded metrics and
reference profile with real DVC stages; batches come from the same generator with planted
changes (see its README).
"""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path

import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from mlgate.monitor.settings import CAUSES
from tests.support.project import Project, make_project, sh


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("monitored"), "monitored")


@pytest.fixture
def own_project(project: Project, tmp_path: Path) -> Project:
    """A private copy of the reproduced repo, for tests that change it."""
    return project.working_copy(tmp_path / "work")


def make_batch(project: Project, out: Path, *args: str) -> Path:
    sh(sys.executable, "src/make_data.py", *args, "--out", str(out), cwd=project.path)
    return out


def test_unchanged_batch_is_ok_and_writes_three_files(project: Project, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    batch = make_batch(project, tmp_path / "batch.parquet", "--rows", "20000", "--seed", "2")
    out = tmp_path / "out"
    result = cli("monitor", "scored", "--current", str(batch), "--out", str(out), cwd=project.path)
    assert result.code == 0, result.err + result.out
    assert sorted(p.name for p in out.iterdir()) == ["monitor.json", "report.html", "summary.md"]
    report = json.loads((out / "monitor.json").read_text())
    assert (report["verdict"], report["actions"]) == ("ok", [])
    assert report["on_alert"] == {cause: ["open_issue", "rollback"] for cause in CAUSES}
    assert [f["column"] for f in report["features"]] == ["x", "z", "color"]  # not id, y
    assert report["score"]["column"] == "score" and report["score"]["level"] == "ok"
    perf = report["performance"]
    assert (perf["metric"], perf["level"], perf["labelled_rows"]) == ("roc_auc", "ok", 20000)
    assert perf["recorded"] == json.loads((project.path / "eval/metrics.json").read_text())["roc_auc"]
    assert perf["recorded_source"].startswith("eval/metrics.json at HEAD (")
    assert perf["recorded_source"].endswith("); nothing is deployed in production yet")
    assert abs(perf["shortfall"]) < 0.02
    assert (out / "summary.md").read_text().startswith("## Monitoring `scored` in production: **ok**\n")
    lines = result.out.splitlines()
    assert lines[0] == "scored (production): OK"
    assert lines[-1] == "verdict: ok"


def test_recorded_metric_comes_from_the_deployment_record(own_project: Project, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Once a version is deployed, production is compared with what its record holds,
    not with whatever the metrics file says at HEAD today."""
    own_project.dvc("push", "-q")
    promoted = cli("promote", "scored", "--env", "production", cwd=own_project.path)
    assert promoted.code == 0, promoted.out + promoted.err
    recorded = json.loads((own_project.path / "eval/metrics.json").read_text())["roc_auc"]
    edited = json.loads((own_project.path / "eval/metrics.json").read_text())
    edited["roc_auc"] = 0.5
    own_project.write("eval/metrics.json", json.dumps(edited))
    own_project.commit_all("a later commit with other metrics")
    batch = make_batch(own_project, tmp_path / "batch.parquet", "--rows", "5000", "--seed", "2")
    result = cli("monitor", "scored", "--current", str(batch), "--format", "json",
                 cwd=own_project.path)
    assert result.code == 0, result.err
    perf = json.loads(result.out)["performance"]
    assert perf["recorded"] == recorded
    assert perf["recorded_source"] == (
        "the deployment record of v1.0.0 in production (scored#production#1)")


@pytest.mark.parametrize(("shift", "code", "x_level"), [("0.02", 0, "ok"), ("0.5", 1, "alert")])
def test_effect_sizes_decide_not_sample_size(  # type: ignore[no-untyped-def]
    project: Project, tmp_path: Path, cli, shift: str, code: int, x_level: str
) -> None:
    """At 200,000 rows any shift is 'significant'; only a large one alarms."""
    batch = make_batch(project, tmp_path / "batch.parquet", "--rows", "200000", "--seed", "3",
                       "--shift", shift)
    result = cli("monitor", "scored", "--current", str(batch), "--format", "json",
                 cwd=project.path)
    assert result.code == code, result.err
    report = json.loads(result.out)
    levels = {f["column"]: f["level"] for f in report["features"]}
    assert levels == {"x": x_level, "z": "ok", "color": "ok"}
    wasserstein = report["features"][0]["statistics"]["wasserstein"]["value"]
    assert wasserstein == pytest.approx(float(shift), abs=0.03)
    assert report["actions"] == ([] if code == 0 else ["open_issue", "rollback"])


def test_schema_change_alerts(project: Project, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """A renamed column and re-coded categories, as an upstream export change makes them."""
    batch = make_batch(project, tmp_path / "batch.csv", "--rows", "5000", "--seed", "4",
                       "--rename", "x=x_value", "--recode-prefix", "c_")
    result = cli("monitor", "scored", "--current", str(batch), "--format", "json",
                 cwd=project.path)
    assert result.code == 1, result.err
    report = json.loads(result.out)
    assert report["verdict"] == "alert"
    assert report["schema"] == [
        {"kind": "missing_column", "column": "x", "reference_type": "double",
         "current_type": None, "level": "alert"},
        {"kind": "new_column", "column": "x_value", "reference_type": None,
         "current_type": "double", "level": "warn"},
    ]
    color = next(f for f in report["features"] if f["column"] == "color")
    assert color["level"] == "alert"
    assert color["statistics"]["unseen_share"]["value"] == pytest.approx(1.0)
    assert [u["category"] for u in color["unseen_categories"]] == [
        "c_blue", "c_green", "c_grey", "c_red"]
    markdown = cli("monitor", "scored", "--current", str(batch), "--format", "markdown",
                   cwd=project.path).out
    assert markdown.startswith("## Monitoring `scored` in production: **🚨 alert**\n")
    assert "**Action on alert:** `open_issue`, `rollback`" in markdown
    assert "| 🚨 alert | missing column | x | double | - |" in markdown
    assert "color = c\\_blue (" in markdown


def test_labels_file_joined_on_id(project: Project, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Labels arrive later, in their own file; a third of them are noise: AUC falls."""
    labels = tmp_path / "labels.parquet"
    batch = make_batch(project, tmp_path / "batch.parquet", "--rows", "20000", "--seed", "5",
                       "--flip", "0.35", "--drop", "y", "--labels-out", str(labels))
    result = cli("monitor", "scored", "--current", str(batch), "--labels", str(labels),
                 "--format", "json", cwd=project.path)
    assert result.code == 1, result.err
    report = json.loads(result.out)
    perf = report["performance"]
    assert (perf["level"], perf["labelled_rows"], perf["unlabelled_rows"]) == ("alert", 20000, 0)
    assert perf["shortfall"] > 0.05
    assert [f["level"] for f in report["features"]] == ["ok", "ok", "ok"]  # inputs did not move
    assert report["verdict"] == "alert"


def test_labels_for_part_of_the_batch(project: Project, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    labels = tmp_path / "labels.parquet"
    batch = make_batch(project, tmp_path / "batch.parquet", "--rows", "3000", "--seed", "6",
                       "--drop", "y", "--labels-out", str(labels))
    pq.write_table(pq.read_table(labels).slice(0, 1000), tmp_path / "some.parquet")
    result = cli("monitor", "scored", "--current", str(batch), "--labels",
                 str(tmp_path / "some.parquet"), "--format", "json", cwd=project.path)
    perf = json.loads(result.out)["performance"]
    assert (perf["labelled_rows"], perf["unlabelled_rows"]) == (1000, 2000)


def test_without_labels_or_score(project: Project, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    batch = make_batch(project, tmp_path / "batch.parquet", "--rows", "2000", "--seed", "7",
                       "--drop", "y", "--drop", "score")
    result = cli("monitor", "scored", "--current", str(batch), "--format", "json",
                 cwd=project.path)
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert (report["score"], report["performance"], report["schema"]) == (None, None, [])
    assert report["notes"] == [
        "the batch has no score column 'score': prediction drift not checked",
        "no labels (pass --labels, or include the label column 'y'): performance gap not checked",
    ]


def test_many_files_and_globs_are_one_batch(project: Project, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    for seed in ("8", "9"):
        make_batch(project, tmp_path / f"day-{seed}.parquet", "--rows", "1000", "--seed", seed)
    result = cli("monitor", "scored", "--current", str(tmp_path / "day-*.parquet"),
                 "--format", "json", cwd=project.path)
    report = json.loads(result.out)
    assert report["current"]["rows"] == 2000
    assert [Path(f).name for f in report["current"]["files"]] == ["day-8.parquet", "day-9.parquet"]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--current", "nope.parquet"],
         "nope.parquet: no such file or directory\n"
         "  hint: relative paths are read from the current directory\n"),
        (["--current", "data/train.parquet", "--env", "prod"],
         "pipelines/scored.yaml: unknown environment 'prod' for model 'scored'\n"
         "  hint: declared: staging, production\n"),
        (["--current", "eval/metrics.json"],
         "eval/metrics.json: cannot tell the file format from the name\n"
         "  hint: use a .parquet or .csv suffix, or pass the format explicitly\n"),
    ],
)
def test_bad_input(project: Project, cli, args: list[str], error: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("monitor", "scored", *args, cwd=project.path)
    assert (result.code, result.err) == (2, error)


def test_missing_reference_says_how_to_make_it(own_project: Project, cli) -> None:  # type: ignore[no-untyped-def]
    (own_project.path / "monitoring/reference.json").unlink()
    result = cli("monitor", "scored", "--current", "data/train.parquet", cwd=own_project.path)
    assert (result.code, result.err) == (2, (
        "monitoring/reference.json: the reference profile is not in the workspace\n"
        "  hint: run `mlgate run scored` (stage 'profile') to make it, or `dvc pull` to fetch "
        "it from the DVC remote\n"))


def test_edited_reference_is_noted(own_project: Project, cli) -> None:  # type: ignore[no-untyped-def]
    path = own_project.path / "monitoring/reference.json"
    path.write_text(path.read_text().replace('"rows":50000', '"rows":50001'))
    result = cli("monitor", "scored", "--current", "data/train.parquet", "--format", "json",
                 cwd=own_project.path)
    assert json.loads(result.out)["notes"][0].startswith(
        "monitoring/reference.json differs from the version dvc.lock records")


def test_warn_above_alert_is_located(own_project: Project, cli) -> None:  # type: ignore[no-untyped-def]
    decl = own_project.path / "pipelines/scored.yaml"
    decl.write_text(decl.read_text() + "  thresholds:\n    psi: {warn: 0.3, alert: 0.2}\n")
    result = cli("monitor", "scored", "--current", "data/train.parquet", cwd=own_project.path)
    assert (result.code, result.err) == (2, (
        "pipelines/scored.yaml:27:17: monitoring.thresholds.psi.warn: warn level 0.3 is above "
        "the alert level 0.2\n"
        "  hint: a statistic must warn before it alerts: make warn <= alert\n"))


def test_labels_need_an_id_column(own_project: Project, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    decl = own_project.path / "pipelines/scored.yaml"
    decl.write_text(decl.read_text().replace("  id: id\n", ""))
    result = cli("monitor", "scored", "--current", "data/train.parquet", "--labels",
                 "data/train.parquet", cwd=own_project.path)
    assert (result.code, result.err) == (2, (
        "pipelines/scored.yaml: --labels needs monitoring.id: the column to join on\n"
        "  hint: declare monitoring.id (row id) and monitoring.label (0/1 label)\n"))


def test_model_without_monitoring(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("monitor", "tiny", "--current", "data/input.csv", cwd=tiny.path)
    assert result.code == 2
    assert result.err.startswith("pipelines/tiny.yaml: model 'tiny' declares no monitoring\n")


def test_html_report_renders_in_headless_chromium(project: Project, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Self-contained, escaped, and drawn: a category name that is a script must show as
    text (Chromium would log the injected console call otherwise)."""
    from tests.support.browser import pixel_counts, render

    injected = '<script>console.error("injected")</script><img src=x onerror=alert(1)>'
    batch = make_batch(project, tmp_path / "batch.parquet", "--rows", "5000", "--seed", "10",
                       "--shift", "0.6", "--recode-prefix", injected)
    out = tmp_path / "out"
    result = cli("monitor", "scored", "--current", str(batch), "--out", str(out),
                 cwd=project.path)
    assert result.code == 1, result.err
    page = (out / "report.html").read_text()
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;console.error(&quot;injected&quot;)&lt;/script&gt;" in page
    markup = page.replace(html.escape(injected), "")  # what is left is mlgate's own markup
    for external in ("src=", "href=", "url(", "@import", "<link"):
        assert external not in markup, external
    assert page.count("<svg") == 4  # score, x, z, color

    rendered = render(out / "report.html", tmp_path)
    assert rendered.console_lines() == []
    colours = pixel_counts(rendered.png)
    assert len(colours) > 50  # anti-aliased text and charts, not a blank page
    assert colours[(0xCF, 0x22, 0x2E)] > 20_000  # the alert header (and unseen categories)
    assert colours[(0x6E, 0x8F, 0xBF)] > 1_000  # reference bars
    assert colours[(0xF0, 0x8A, 0x4B)] > 1_000  # current bars


def test_chromium_check_catches_console_errors(tmp_path: Path) -> None:
    """The check above would see a script error: it is not vacuous."""
    from tests.support.browser import render

    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>undefinedFunction()</script>")
    lines = render(page, tmp_path).console_lines()
    assert len(lines) == 1 and "Uncaught ReferenceError: undefinedFunction" in lines[0]


def test_declared_features_limit_what_is_judged(own_project: Project, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    decl = own_project.path / "pipelines/scored.yaml"
    decl.write_text(decl.read_text() + "  features: [z, color]\n")
    batch = make_batch(own_project, tmp_path / "batch.parquet", "--rows", "5000", "--seed", "11",
                       "--rename", "x=x_value")
    result = cli("monitor", "scored", "--current", str(batch), "--format", "json",
                 cwd=own_project.path)
    assert result.code == 0, result.err  # x is not watched: its absence is no alert
    report = json.loads(result.out)
    assert ([f["column"] for f in report["features"]], report["schema"]) == (["z", "color"], [])

    decl.write_text(decl.read_text().replace("[z, color]", "[z, colour]"))
    result = cli("monitor", "scored", "--current", str(batch), cwd=own_project.path)
    assert (result.code, result.err) == (2, (
        "monitoring/reference.json: monitoring.features names 'colour', which the reference "
        "profile does not have\n  hint: the profile has: x, z, color\n"))


def test_labels_without_scores_is_an_error(project: Project, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    labels = tmp_path / "labels.parquet"
    batch = make_batch(project, tmp_path / "batch.parquet", "--rows", "500", "--seed", "12",
                       "--drop", "y", "--drop", "score", "--labels-out", str(labels))
    result = cli("monitor", "scored", "--current", str(batch), "--labels", str(labels),
                 cwd=project.path)
    assert (result.code, result.err) == (2, (
        "the batch has no score column 'score'; the performance gap needs the model's scores\n"
        "  hint: log the model's score with each production row\n"))


def _not_utf8(project: Project, tmp_path: Path) -> dict[str, Path]:
    """A CSV batch with one byte that is not UTF-8 in its header, in a category or in a
    number, and a CSV labels file with one in a label."""
    good = make_batch(project, tmp_path / "good.csv", "--rows", "300", "--seed", "2")
    lines = good.read_bytes().split(b"\n")
    assert lines[0] == b"id,x,z,color,y,score"
    files = {}
    for name, row, old, new in [("header", 0, b"color", b"col\xffor"),
                                ("category", 3, b",", b",\xff"),
                                ("number", 5, b",", b",1\xff")]:
        edited = list(lines)
        if name == "category":  # the fourth field, the colour
            fields = edited[row].split(b",")
            fields[3] = b"r\xe9d"
            edited[row] = b",".join(fields)
        else:
            edited[row] = edited[row].replace(old, new, 1)
        files[name] = tmp_path / f"{name}.csv"
        files[name].write_bytes(b"\n".join(edited))
    ids = [line.split(b",")[0] for line in lines[1:] if line]
    labels = [b"id,y", *(i + b",0" for i in ids)]
    labels[7] = labels[7] + b"\xff"
    files["labels"] = tmp_path / "labels.csv"
    files["labels"].write_bytes(b"\n".join(labels) + b"\n")
    files["good"] = good
    return files


@pytest.mark.parametrize(("name", "where"), [
    ("header", "the header"), ("category", "column 'color'"), ("number", "column 'x'"),
])
def test_a_batch_that_is_not_utf8_names_the_file(  # type: ignore[no-untyped-def]
    project: Project, tmp_path: Path, cli, name: str, where: str
) -> None:
    files = _not_utf8(project, tmp_path)
    out = tmp_path / "out"
    for argv in (["monitor", "scored", "--current", str(files[name]), "--out", str(out)],
                 ["profile", str(files[name]), "--out", str(tmp_path / "profile.json")]):
        result = cli(*argv, cwd=project.path)
        assert (result.code, result.err) == (
            2, f"{files[name]}: not valid UTF-8: {where} holds bytes that are not text\n"
               "  hint: save the file as UTF-8\n")
        assert not out.exists() and not (tmp_path / "profile.json").exists()


def test_a_labels_file_that_is_not_utf8_names_the_file(  # type: ignore[no-untyped-def]
    project: Project, tmp_path: Path, cli
) -> None:
    files = _not_utf8(project, tmp_path)
    out = tmp_path / "out"
    result = cli("monitor", "scored", "--current", str(files["good"]), "--labels",
                 str(files["labels"]), "--out", str(out), cwd=project.path)
    assert (result.code, result.err) == (
        2, f"{files['labels']}: not valid UTF-8: column 'y' holds bytes that are not text\n"
           "  hint: save the file as UTF-8\n")
    assert not out.exists()


NO_ROWS = ("the batch has no rows: nothing could be compared, and an empty batch is an "
           "alert: is production still logging?")


@pytest.mark.parametrize("kind", ["csv-header-only", "parquet-no-rows", "every-file-empty"])
def test_a_batch_with_no_rows_is_an_alert(  # type: ignore[no-untyped-def]
    project: Project, tmp_path: Path, cli, kind: str
) -> None:
    good = make_batch(project, tmp_path / "good.csv", "--rows", "50", "--seed", "2")
    header_only = tmp_path / "header.csv"
    header_only.write_bytes(good.read_bytes().split(b"\n")[0] + b"\n")
    no_rows = tmp_path / "empty.parquet"
    pq.write_table(pcsv.read_csv(good).slice(0, 0), no_rows)
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"")
    batches = {"csv-header-only": [header_only], "parquet-no-rows": [no_rows],
               "every-file-empty": [header_only, no_rows, blank]}[kind]
    out = tmp_path / "out"
    result = cli("monitor", "scored", "--current", *map(str, batches), "--out", str(out),
                 cwd=project.path)
    assert result.code == 1, result.err + result.out
    lines = result.out.splitlines()
    assert lines[-2:] == ["verdict: alert", "action on alert: open_issue, rollback"]
    assert f"note: {NO_ROWS}" in lines
    report = json.loads((out / "monitor.json").read_text())
    assert (report["verdict"], report["current"]["rows"]) == ("alert", 0)
    assert NO_ROWS in report["notes"]
    summary = (out / "summary.md").read_text().splitlines()
    assert summary[0] == "## Monitoring `scored` in production: **🚨 alert**"
    assert summary[4] == f"**{NO_ROWS[0].upper()}{NO_ROWS[1:]}.**"
    assert f"- {NO_ROWS}" in summary
