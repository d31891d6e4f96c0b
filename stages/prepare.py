"""Select the training years from the upstream export and split them into train and test.

Both outputs are sorted by ``id`` so that they are byte-identical on every run.
"""

import argparse
from pathlib import Path

import pandas as pd
import yaml
from sklearn.model_selection import train_test_split

LABEL = "employed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--source", default="data/source")
    parser.add_argument("--out", default="data/prepared")
    args = parser.parse_args()

    params = yaml.safe_load(Path(args.params).read_text())
    years = sorted(params["data"]["train_years"])
    split = params["prepare"]

    source = Path(args.source)
    frames = [pd.read_parquet(source / f"acs_employment_ma_{year}.parquet") for year in years]
    data = pd.concat(frames, ignore_index=True).sort_values("id", ignore_index=True)

    train, test = train_test_split(
        data, test_size=split["test_size"], random_state=split["seed"], stratify=data[LABEL]
    )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    train.sort_values("id").to_parquet(out / "train.parquet", index=False)
    test.sort_values("id").to_parquet(out / "test.parquet", index=False)


if __name__ == "__main__":
    main()
