"""Scoring command: `python src/score.py --model M --data FEATURES --out SCORES` writes
`id` and one probability column per class for every row of FEATURES."""
import argparse
import pickle

import pandas as pd

parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True)
parser.add_argument("--data", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()
with open(args.model, "rb") as fh:
    model = pickle.load(fh)
frame = pd.read_csv(args.data)
p = model.predict_proba(frame[model.feature_names_in_])
out = pd.DataFrame({"id": frame["id"], **{str(c): p[:, i] for i, c in enumerate(model.classes_)}})
out.to_csv(args.out, index=False, float_format="%.8f")
