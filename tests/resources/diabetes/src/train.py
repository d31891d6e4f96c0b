import pickle
from pathlib import Path

import pandas as pd
import yaml
from sklearn.linear_model import Ridge

with open("params.yaml") as fh:
    params = yaml.safe_load(fh)["train"]
frame = pd.read_csv("data/train.csv")
features = frame.drop(columns=["id", "target"])
model = Ridge(alpha=params["alpha"]).fit(features, frame["target"])
Path("model").mkdir(exist_ok=True)
with open("model/model.pkl", "wb") as fh:
    pickle.dump(model, fh)
