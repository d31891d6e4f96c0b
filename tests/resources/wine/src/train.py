import pickle
from pathlib import Path

import pandas as pd
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

with open("params.yaml") as fh:
    params = yaml.safe_load(fh)["train"]
frame = pd.read_csv("data/train.csv")
features = frame.drop(columns=["id", "target"])
model = make_pipeline(StandardScaler(), LogisticRegression(C=params["C"], max_iter=5000))
model.fit(features, frame["target"])
Path("model").mkdir(exist_ok=True)
with open("model/model.pkl", "wb") as fh:
    pickle.dump(model, fh)
