"""tiny with an `evaluation:` section: a DVC-tracked holdout no stage reads and a scorer.

The scorer (src/score.py) reads the model (its quality and seed) and a features file, and
writes `id,score`; the holdout's label is `x > 0`, one row in ten flipped, so that no model
is perfect. Two models with different `quality` get different AUCs on the same rows.
"""

from __future__ import annotations

import random
from pathlib import Path

from tests.support.project import Project, make_project

SCORER = '''"""Score a features file with the tiny model: `id,score` per row."""
import argparse
import csv
import json
import math
import random

parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True)
parser.add_argument("--data", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()
with open(args.model) as fh:
    model = json.loads(fh.readline())
with open(args.data) as fh, open(args.out, "w") as out:
    out.write("id,score\\n")
    for row in csv.DictReader(fh):
        rng = random.Random(f"{model['seed']}-{row['id']}")
        sign = 1 if float(row["x"]) > 0 else -1
        signal = (model["quality"] - 0.5) * 4 * sign + rng.gauss(0, 1.5)
        out.write(f"{row['id']},{1 / (1 + math.exp(-signal)):.6f}\\n")
'''

EVALUATION = """evaluation:
  task: binary
  holdout: data/holdout.csv
  label: label
  id: id
  slices: [group]
  score: python src/score.py --model {artifact} --data {features} --out {scores}
"""

# judged on the same rows: candidate minus what staging serves
PAIRED = """        - kind: no_regression
          metric: roc_auc
          tolerance: 0.01
"""


def holdout_csv(rows: int = 600, seed: int = 11) -> str:
    rng = random.Random(seed)
    lines = ["id,x,group,label"]
    for i in range(rows):
        x = rng.gauss(0, 1)
        label = int(x > 0) if rng.random() > 0.1 else int(x <= 0)
        lines.append(f"{1000 + i},{x:.5f},{'ab'[i % 2]},{label}")
    return "\n".join(lines) + "\n"


def add_evaluation(project: Project) -> str:
    """Declare the evaluation on main (holdout added with `dvc add`, pushed); the commit."""
    project.write("src/score.py", SCORER)
    project.write("data/holdout.csv", holdout_csv())
    project.dvc("add", "-q", "data/holdout.csv")
    decl = project.path / "pipelines" / "tiny.yaml"
    text = decl.read_text()
    text = text.replace("promotion:\n", EVALUATION + "promotion:\n", 1)
    decl.write_text(text.replace("          min: 0.7\n", "          min: 0.7\n" + PAIRED, 1))
    commit = project.commit_all("declare the independent evaluation")
    project.dvc("push", "-q")
    project.push_main()
    project.git("fetch", "-q", "origin")
    return commit


def make_evaluated(tmp_path: Path) -> Project:
    project = make_project(tmp_path, "tiny")
    project.dvc("push", "-q")
    add_evaluation(project)
    return project


def retrain(project: Project, quality: float) -> str:
    """A candidate with another model quality, reproduced and committed (not merged)."""
    params = project.path / "params.yaml"
    text = params.read_text()
    import re

    params.write_text(re.sub(r"quality: [0-9.]+", f"quality: {quality}", text))
    project.dvc("repro", "-q")
    return project.commit_all(f"quality {quality}")


def promote_staging(project: Project) -> None:
    """`mlgate promote tiny --env staging --push`, in this process (module fixtures: faster
    than a subprocess), run inside the project."""
    import os

    from mlgate.cli import main

    here = os.getcwd()
    os.chdir(project.path)
    try:
        assert main(["promote", "tiny", "--env", "staging", "--push"]) == 0
    finally:
        os.chdir(here)
