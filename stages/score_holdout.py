"""The example's independent scorer: one probability per row of the holdout, for mlgate.

`mlgate evaluate` (and check, report, promote) runs this file as the default branch holds
it, once for the candidate's model and once for production's, on the holdout without its
label column (pipelines/employment.yaml, `evaluation.score`)::

    python stages/score_holdout.py --model MODEL --data FEATURES --out SCORES

It writes exactly what mlgate reads back: the id column and `score`, the probability of
being employed, rounded to 6 decimals as the pipeline's own scores are.
"""

import argparse
from pathlib import Path

import joblib
import pandas as pd

ID = "id"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="the model file (joblib)")
    parser.add_argument("--data", required=True, help="the features, Parquet or CSV")
    parser.add_argument("--out", required=True, help="the scores to write, Parquet or CSV")
    args = parser.parse_args()

    data = Path(args.data)
    features = pd.read_csv(data) if data.suffix == ".csv" else pd.read_parquet(data)
    model = joblib.load(args.model)
    scores = pd.DataFrame({ID: features[ID],
                           "score": model.predict_proba(features)[:, 1].round(6)})
    out = Path(args.out)
    if out.suffix == ".csv":
        scores.to_csv(out, index=False, float_format="%.6f", lineterminator="\n")
    else:
        scores.to_parquet(out, index=False)


if __name__ == "__main__":
    main()
