"""Retraining for the example: train on every year the upstream export now holds.

The retrain workflow runs this (the model's `retrain.command`) before `dvc repro`. It adds
to `data.train_years` in params.yaml each year of data/source that is not there yet, and
changes nothing else in the file (its comments stay). Prints what it added.
"""

import argparse
import re
from pathlib import Path

import yaml

YEARS_LINE = re.compile(r"^(?P<lead>\s*train_years:\s*)\[[^\]\n]*\](?P<rest>.*)$", re.MULTILINE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--source", default="data/source")
    args = parser.parse_args()

    path = Path(args.params)
    text = path.read_text()
    trained = set(yaml.safe_load(text)["data"]["train_years"])
    available = {int(p.stem.rsplit("_", 1)[1])
                 for p in Path(args.source).glob("acs_employment_ma_*.parquet")}
    added = sorted(available - trained)
    if not added:
        print("retrain: no new year in", args.source)
        return
    years = ", ".join(str(y) for y in sorted(trained | available))
    new, count = YEARS_LINE.subn(lambda m: f"{m['lead']}[{years}]{m['rest']}", text, count=1)
    if count != 1:
        raise SystemExit(f"{path}: no `train_years: [...]` line to update")
    path.write_text(new)
    print("retrain: training on", years, "(added", ", ".join(map(str, added)) + ")")


if __name__ == "__main__":
    main()
