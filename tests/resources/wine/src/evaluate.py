"""The pipeline's own metrics on its training rows, and those rows scored (for the
monitoring reference)."""
import json
import pickle
from pathlib import Path

import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, log_loss

frame = pd.read_csv("data/train.csv")
with open("model/model.pkl", "rb") as fh:
    model = pickle.load(fh)
p = model.predict_proba(frame.drop(columns=["id", "target"]))
Path("eval").mkdir(exist_ok=True)
with open("eval/metrics.json", "w") as fh:
    json.dump({"accuracy": accuracy_score(frame["target"], p.argmax(axis=1)),
               "f1_macro": f1_score(frame["target"], p.argmax(axis=1), average="macro"),
               "log_loss": log_loss(frame["target"], p)}, fh, indent=2)
frame.assign(**{str(c): p[:, i] for i, c in enumerate(model.classes_)}).to_csv(
    "eval/scored.csv", index=False)
