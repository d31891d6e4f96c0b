"""The stand-in model's evaluation: its recorded metrics, from the model and the scored
data (so that mlgate can re-run it without training)."""

import json
from pathlib import Path

import pandas as pd
from sklearn.metrics import roc_auc_score

json.loads(Path("model/model.json").read_text())  # the model this evaluates
data = pd.read_parquet("data/train.parquet", columns=["y", "score"])
auc = round(float(roc_auc_score(data["y"], data["score"])), 6)
Path("eval").mkdir(exist_ok=True)
Path("eval/metrics.json").write_text(json.dumps({"roc_auc": auc, "n": len(data)}) + "\n")
