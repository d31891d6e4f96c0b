"""The pipeline's own metrics on its training rows, and those rows scored (for the
monitoring reference)."""
import json
import pickle
from pathlib import Path

import pandas as pd
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

frame = pd.read_csv("data/train.csv")
with open("model/model.pkl", "rb") as fh:
    model = pickle.load(fh)
predicted = model.predict(frame.drop(columns=["id", "target"]))
Path("eval").mkdir(exist_ok=True)
with open("eval/metrics.json", "w") as fh:
    json.dump({"rmse": root_mean_squared_error(frame["target"], predicted),
               "mae": mean_absolute_error(frame["target"], predicted),
               "r2": r2_score(frame["target"], predicted)}, fh, indent=2)
frame.assign(prediction=predicted).to_csv("eval/scored.csv", index=False)
