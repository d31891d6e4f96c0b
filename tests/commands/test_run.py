"""`mlgate run`: reproduce with real DVC, then show the model's metrics."""

from __future__ import annotations

import json

from tests.support.project import Project


def test_run_reproduces_and_prints_metrics(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    tiny.write("params.yaml", (tiny.path / "params.yaml").read_text().replace("quality: 0.8",
                                                                              "quality: 0.6"))
    result = cli("run", "tiny", "--format", "json", cwd=tiny.path)
    assert result.code == 0, result.err
    metrics = json.loads(result.out)["tiny"]
    on_disk = json.loads((tiny.path / "eval/metrics.json").read_text())
    assert metrics["roc_auc"] == on_disk["roc_auc"]
    assert metrics["slices.group.a.roc_auc"] == on_disk["slices"]["group"]["a"]["roc_auc"]
    # the changed param really reran the stage: the lock now records it
    assert "quality: 0.6" in (tiny.path / "dvc.lock").read_text()


def test_run_table_hides_slices(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("run", cwd=tiny.path)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[1] == "tiny"
    assert lines[2].split() == ["metric", "value"]
    assert [line.split()[0] for line in lines[4:]] == ["accuracy", "log_loss", "n", "roc_auc"]


def test_failing_stage_is_a_clear_error(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    tiny.write("src/train.py", "raise SystemExit('boom: no data')\n")
    result = cli("run", "tiny", cwd=tiny.path)
    assert result.code == 2
    assert "repro" in result.err and "failed" in result.err
    assert "hint: fix the stage named above" in result.err
    assert "Traceback" not in result.err


def test_unknown_model(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("run", "nope", cwd=tiny.path)
    assert (result.code, result.err) == (
        2, "pipelines/nope.yaml: no model named 'nope'\n  hint: declared models: tiny\n")


def test_json_output_is_not_mixed_with_dvc_progress(tiny: Project) -> None:
    import subprocess
    import sys

    tiny.write("params.yaml", (tiny.path / "params.yaml").read_text().replace("seed: 3", "seed: 4"))
    proc = subprocess.run([sys.executable, "-m", "mlgate", "run", "--format", "json"],
                          cwd=tiny.path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert set(json.loads(proc.stdout)) == {"tiny"}
    assert "Running stage 'train'" in proc.stderr
