"""A stand-in evaluation stage: the model's scores and metrics on the data, from the
artifact alone (so that mlgate can re-run it without training)."""

import json
import math
import os
import random

with open("model/model.bin") as fh:
    model = json.loads(fh.readline())  # what a test appends after it is not the model
with open("data/input.csv") as fh:
    rows = [line.strip().split(",") for line in fh][1 : model["rows"] + 1]
rng = random.Random(model["seed"])

preds = []
for row_id, x, group in rows:
    label = 1 if float(x) > 0 else 0
    signal = (model["quality"] - 0.5) * 4 * (1 if label else -1)
    score = 1 / (1 + math.exp(-(signal + rng.gauss(0, 1))))
    preds.append((int(row_id), label, round(score, 6), group))


def auc(pairs):
    pos = [s for lab, s in pairs if lab == 1]
    neg = [s for lab, s in pairs if lab == 0]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


pairs = [(lab, s) for _, lab, s, _ in preds]
accuracy = sum((s >= 0.5) == bool(lab) for lab, s in pairs) / len(pairs)
log_loss = -sum(math.log(s if lab else 1 - s) for lab, s in pairs) / len(pairs)
metrics = {
    "roc_auc": round(auc(pairs), 6),
    "accuracy": round(accuracy, 6),
    "log_loss": round(log_loss, 6),
    "n": len(pairs),
    "slices": {
        "group": {
            g: {"roc_auc": round(auc([(lab, s) for _, lab, s, gg in preds if gg == g]), 6)}
            for g in "ab"
        }
    },
}

os.makedirs("eval", exist_ok=True)
with open("eval/metrics.json", "w") as fh:
    json.dump(metrics, fh, indent=2, sort_keys=True)
    fh.write("\n")
with open("eval/predictions.csv", "w") as fh:
    fh.write("id,label,score,group\n")
    for row in preds:
        fh.write(",".join(map(str, row)) + "\n")
