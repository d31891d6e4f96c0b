"""Score a dataset with the trained model: the input's rows and columns, plus ``score``.

The pipeline scores the training data with it, so that the reference profile holds the
model's score distribution next to its features. The same script plays "production"
in the example: score a later year's file and hand it to ``mlgate monitor``, as a
serving system would log each request with the score it returned::

    python stages/score.py --data data/source/acs_employment_ma_2016.parquet \\
        --drop employed --out batches/2016.parquet

Scores are rounded to 6 decimals, as in ``stages/evaluate.py``, so that they are the same
bytes on every run. Parquet in, Parquet out (or CSV, by the file suffix).
"""

import argparse
from pathlib import Path

import joblib
import pandas as pd

SCORE = "score"


def read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path)
    return pd.read_parquet(path)


def write(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False, float_format="%.6f", lineterminator="\n")
    else:
        frame.to_parquet(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/employment.joblib")
    parser.add_argument("--data", required=True, help="Parquet or CSV file to score")
    parser.add_argument("--out", required=True, help="where to write it, with a score column")
    parser.add_argument("--drop", action="append", default=[], metavar="COLUMN",
                        help="leave this column out of the output (repeatable), e.g. the label")
    args = parser.parse_args()

    data = read(Path(args.data))
    if SCORE in data.columns:
        parser.error(f"{args.data} already has a {SCORE!r} column")
    model = joblib.load(args.model)
    scored = data.drop(columns=args.drop)
    scored[SCORE] = model.predict_proba(data)[:, 1].round(6)
    write(scored, Path(args.out))


if __name__ == "__main__":
    main()
