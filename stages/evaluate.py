"""Score the held-out test set: overall and per-slice metrics, and per-row predictions.

``evaluation/metrics.json`` is committed to git, so its layout is fixed: floats rounded
to 6 decimals, keys sorted. A metric that is undefined on a slice (ROC AUC when the
slice holds one class only) is ``null``.
"""

import argparse
import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import yaml
from sklearn.metrics import accuracy_score, brier_score_loss, f1_score, log_loss, roc_auc_score

LABEL = "employed"
THRESHOLD = 0.5


def scores(label: np.ndarray, score: np.ndarray) -> dict:
    predicted = (score >= THRESHOLD).astype(int)
    both_classes = len(np.unique(label)) == 2
    return {
        "n": len(label),
        "roc_auc": round(float(roc_auc_score(label, score)), 6) if both_classes else None,
        "accuracy": round(float(accuracy_score(label, predicted)), 6),
        "f1": round(float(f1_score(label, predicted, zero_division=0.0)), 6),
        "log_loss": round(float(log_loss(label, score, labels=[0, 1])), 6),
        "brier": round(float(brier_score_loss(label, score, pos_label=1)), 6),
    }


def slice_scores(column: pd.Series, label: np.ndarray, score: np.ndarray) -> dict:
    groups = {}
    for value in sorted(column.unique()):
        mask = (column == value).to_numpy()
        groups[str(value)] = scores(label[mask], score[mask])
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--model", default="models/employment.joblib")
    parser.add_argument("--test", default="data/prepared/test.parquet")
    parser.add_argument("--out", default="evaluation")
    args = parser.parse_args()

    slices = yaml.safe_load(Path(args.params).read_text())["evaluate"]["slices"]
    test = pd.read_parquet(args.test).sort_values("id", ignore_index=True)
    model = joblib.load(args.model)
    # Round once, here, so that metrics are computed from exactly the scores written out.
    score = model.predict_proba(test)[:, 1].round(6)
    label = test[LABEL].to_numpy()

    metrics = scores(label, score)
    metrics["slices"] = {column: slice_scores(test[column], label, score) for column in slices}

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    predictions = pd.DataFrame({"id": test["id"], "label": label, "score": score})
    predictions = predictions.join(test[slices])
    predictions.to_csv(
        out / "predictions.csv", index=False, float_format="%.6f", lineterminator="\n"
    )


if __name__ == "__main__":
    main()
