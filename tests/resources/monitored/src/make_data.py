"""Generate the scenario's data: training data, or a production batch with planted changes."""

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

COLORS = np.array(["red", "green", "blue", "grey"])
COLOR_SHARES = [0.4, 0.3, 0.2, 0.1]
COLOR_EFFECT = np.array([0.5, 0.0, -0.5, 1.0])


def generate(rows: int, seed: int, shift: float, flip: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, rows)
    z = rng.normal(5.0, 2.0, rows)
    color = rng.choice(len(COLORS), size=rows, p=COLOR_SHARES)
    score = 1 / (1 + np.exp(-(1.5 * x + COLOR_EFFECT[color])))
    y = (rng.random(rows) < score).astype(np.int64)
    flipped = rng.random(rows) < flip
    y[flipped] = rng.integers(0, 2, int(flipped.sum()))
    return pd.DataFrame({
        "id": np.arange(seed * 10_000_000, seed * 10_000_000 + rows),
        "x": x, "z": z, "color": COLORS[color], "y": y, "score": score.round(6),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--shift", type=float, default=0.0, help="move x by this many sd")
    parser.add_argument("--flip", type=float, default=0.0, help="share of labels made random")
    parser.add_argument("--recode-prefix", help="rename every colour to PREFIX + colour")
    parser.add_argument("--rename", action="append", default=[], metavar="OLD=NEW")
    parser.add_argument("--drop", action="append", default=[], metavar="COLUMN")
    parser.add_argument("--labels-out", help="also write id and y here")
    parser.add_argument("--out", required=True, help="Parquet or CSV")
    parser.add_argument("--metrics", help="write the recorded metrics (roc_auc) here")
    parser.add_argument("--model", help="write a stand-in model file here")
    args = parser.parse_args()

    data = generate(args.rows, args.seed, args.shift, args.flip)
    if args.labels_out:
        data[["id", "y"]].to_parquet(args.labels_out, index=False)
    if args.metrics:
        Path(args.metrics).parent.mkdir(parents=True, exist_ok=True)
        auc = round(float(roc_auc_score(data["y"], data["score"])), 6)
        Path(args.metrics).write_text(json.dumps({"roc_auc": auc, "n": args.rows}) + "\n")
    if args.model:
        Path(args.model).parent.mkdir(parents=True, exist_ok=True)
        Path(args.model).write_text(json.dumps({"x": 1.5, "color": COLOR_EFFECT.tolist()}) + "\n")
    if args.recode_prefix is not None:
        data["color"] = args.recode_prefix + data["color"]
    data = data.drop(columns=args.drop)
    data = data.rename(columns=dict(pair.split("=", 1) for pair in args.rename))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        data.to_csv(out, index=False, lineterminator="\n")
    else:
        data.to_parquet(out, index=False)


if __name__ == "__main__":
    main()
