"""Regression (diabetes) and multiclass (wine) projects with an independent evaluation,
built with real DVC from tests/resources/{diabetes,wine}: the declaration mlgate uses
after `mlgate init`, the holdout (rows whose id is a multiple of 4, `dvc add`ed; no stage
reads it), and production batches scored by the project's own scorer."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

from tests.support.project import Project, sh

HEAD = """name: {name}
description: A model of scikit-learn's bundled {name} data, for tests.
owner:
  name: Test Team
  email: test@example.com
risk_tier: low
intended_use: Tests only.
review:
  last_validated: "2026-01-01"
  interval_days: 365
artifact: model/model.pkl
metrics:
  files: [eval/metrics.json]
"""

BODY = {
    "diabetes": """evaluation:
  task: regression
  holdout: data/holdout.csv
  label: target
  id: id
  slices: [sex]
  score: python src/score.py --model {artifact} --data {features} --out {scores}
promotion:
  environments:
    - name: staging
      gates:
        - kind: threshold
          metric: r2
          min: 0.2
        - kind: no_regression
          metric: rmse
          tolerance: 2.0
    - name: production
      requires:
        environment: staging
monitoring:
  reference: monitoring/reference.json
  id: id
  label: target
  performance:
    metric: rmse
    max_gap: 15
    min_rows: 20
""",
    "wine": """evaluation:
  task: multiclass
  holdout: data/holdout.csv
  label: target
  id: id
  classes: [0, 1, 2]
  score: python src/score.py --model {artifact} --data {features} --out {scores}
promotion:
  environments:
    - name: staging
      gates:
        - kind: threshold
          metric: accuracy
          min: 0.8
        - kind: no_regression
          metric: log_loss
          tolerance: 0.05
    - name: production
      requires:
        environment: staging
monitoring:
  reference: monitoring/reference.json
  id: id
  label: target
  performance:
    metric: accuracy
    max_gap: 0.1
    min_rows: 20
""",
}
WORSE = {"diabetes": ("alpha", "300.0"), "wine": ("C", "0.0005")}


def holdout(name: str) -> pd.DataFrame:
    """The bundled rows that training never sees."""
    from sklearn import datasets

    frame: pd.DataFrame = getattr(datasets, f"load_{name}")(as_frame=True).frame
    frame.insert(0, "id", range(len(frame)))
    return frame[frame["id"] % 4 == 0].reset_index(drop=True)


def declare(project: Project, name: str) -> str:
    """Replace what `mlgate init` wrote with the full declaration, add the holdout; the
    commit (pushed, with the DVC data)."""
    project.write(f"pipelines/{name}.yaml", HEAD.format(name=name) + BODY[name])
    holdout(name).to_csv(project.path / "data" / "holdout.csv", index=False)
    project.dvc("add", "-q", "data/holdout.csv")
    commit = project.commit_all("declare the independent evaluation")
    project.dvc("push", "-q")
    project.push_main()
    project.git("fetch", "-q", "origin")
    return commit


def retrain_worse(project: Project, name: str) -> str:
    """A candidate with a much stronger regularisation, reproduced and committed."""
    key, value = WORSE[name]
    params = project.path / "params.yaml"
    params.write_text(re.sub(rf"{key}: [0-9.]+", f"{key}: {value}", params.read_text()))
    project.dvc("repro", "-q")
    return project.commit_all(f"{key} {value}")


def production_batch(project: Project, name: str, out: Path) -> tuple[Path, Path]:
    """The holdout as production would log it (features, id and the deployed model's
    scores, by the project's scorer), and its labels apart: (batch, labels)."""
    rows = holdout(name)
    features = out / "features.csv"
    rows.drop(columns=["target"]).to_csv(features, index=False)
    scores = out / "scores.csv"
    sh(sys.executable, "src/score.py", "--model", "model/model.pkl", "--data", str(features),
       "--out", str(scores), cwd=project.path)
    scored = pd.read_csv(scores)
    if name == "diabetes":
        scored = scored.rename(columns={"score": "prediction"})
    batch = out / "batch.csv"
    rows.drop(columns=["target"]).merge(scored, on="id").to_csv(batch, index=False)
    labels = out / "labels.csv"
    rows[["id", "target"]].to_csv(labels, index=False)
    return batch, labels
