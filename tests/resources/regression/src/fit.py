"""Ridge regression by the normal equations, pure Python; every 4th row is held out."""
import csv
import os
import pickle

import yaml

with open("params.yaml") as fh:
    params = yaml.safe_load(fh)["fit"]
with open("data/features.csv", newline="") as fh:
    rows = [[float(v) for v in r.values()] for r in csv.DictReader(fh)]
train = [r for i, r in enumerate(rows) if i % params["holdout_every"]]
x = [[1.0, *r[:-1]] for r in train]
y = [r[-1] for r in train]
k = len(x[0])
a = [[sum(row[i] * row[j] for row in x) + (params["ridge"] if i == j and i else 0.0)
      for j in range(k)] for i in range(k)]
b = [sum(row[i] * t for row, t in zip(x, y, strict=True)) for i in range(k)]
for col in range(k):  # Gauss-Jordan elimination
    pivot = a[col][col]
    a[col] = [v / pivot for v in a[col]]
    b[col] /= pivot
    for other in range(k):
        if other != col:
            factor = a[other][col]
            a[other] = [v - factor * p for v, p in zip(a[other], a[col], strict=True)]
            b[other] -= factor * b[col]
os.makedirs("artifacts", exist_ok=True)
with open("artifacts/regressor.pkl", "wb") as fh:
    pickle.dump({"coefficients": [round(v, 9) for v in b]}, fh, protocol=4)
