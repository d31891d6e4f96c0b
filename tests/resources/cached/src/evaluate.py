"""A stand-in evaluation stage: the model's noisy score of x, its AUC and accuracy, overall
and by group (from the model and the features alone: mlgate re-runs it)."""

import json
import math
import os
import random

import pyarrow.parquet as pq

with open("model/model.bin") as fh:
    seed = json.load(fh)["seed"]
table = pq.read_table("data/features.parquet").to_pydict()
rng = random.Random(seed)
rows = []
for x, group in zip(table["x"], table["group"], strict=True):
    label = 1 if x + rng.gauss(0, 0.8) > 0 else 0
    rows.append((label, 1 / (1 + math.exp(-1.5 * x)), group))


def summary(part):
    pos = [s for lab, s, _ in part if lab == 1]
    neg = [s for lab, s, _ in part if lab == 0]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return {"roc_auc": round(wins / (len(pos) * len(neg)), 6),
            "accuracy": round(sum((s >= 0.5) == bool(lab) for lab, s, _ in part) / len(part), 6),
            "n": len(part)}


metrics = {**summary(rows),
           "slices": {"group": {g: summary([r for r in rows if r[2] == g]) for g in "ab"}}}
os.makedirs("eval", exist_ok=True)
with open("eval/metrics.json", "w") as fh:
    json.dump(metrics, fh, indent=2, sort_keys=True)
    fh.write("\n")
