"""Held-out predictions and metrics (YAML)."""
import csv
import math
import os
import pickle

import yaml

with open("params.yaml") as fh:
    params = yaml.safe_load(fh)["fit"]
with open("artifacts/regressor.pkl", "rb") as fh:
    coefficients = pickle.load(fh)["coefficients"]
with open("data/features.csv", newline="") as fh:
    rows = [[float(v) for v in r.values()] for r in csv.DictReader(fh)]
held = [r for i, r in enumerate(rows) if i % params["holdout_every"] == 0]
pairs = [(r[-1], sum(c * v for c, v in zip(coefficients, [1.0, *r[:-1]], strict=True))) for r in held]
os.makedirs("results", exist_ok=True)
with open("results/predictions.csv", "w", newline="") as fh:
    out = csv.writer(fh, lineterminator="\n")
    out.writerow(["y_true", "y_pred"])
    out.writerows((t, round(p, 4)) for t, p in pairs)
mean = sum(t for t, _ in pairs) / len(pairs)
sse = sum((t - p) ** 2 for t, p in pairs)
metrics = {
    "rmse": round(math.sqrt(sse / len(pairs)), 4),
    "mae": round(sum(abs(t - p) for t, p in pairs) / len(pairs), 4),
    "r2": round(1 - sse / sum((t - mean) ** 2 for t, _ in pairs), 4),
}
with open("results/metrics.yaml", "w") as fh:
    yaml.safe_dump(metrics, fh, sort_keys=True)
