"""Writes the scenario's DVC-tracked inputs: data/raw.csv and data/parts/*.parquet."""

import argparse
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

parser = argparse.ArgumentParser()
parser.add_argument("--version", type=int, choices=(1, 2), required=True)
version = parser.parse_args().version

rows = 300 if version == 1 else 1500
rng, ages = random.Random(1), random.Random(2)
lines = ["id,x,group" + (",age" if version == 2 else "")]
for i in range(rows):
    x, group = round(rng.gauss(0, 1), 4), "a" if rng.random() < 0.5 else "b"
    lines.append(f"{i},{x},{group}" + (f",{ages.randint(18, 90)}" if version == 2 else ""))
Path("data").mkdir(exist_ok=True)
Path("data/raw.csv").write_text("\n".join(lines) + "\n")

parts = Path("data/parts")
parts.mkdir(exist_ok=True)
for old in parts.glob("*.parquet"):
    old.unlink()
if version == 1:
    pq.write_table(pa.table({"a": [1, 2, 3], "b": ["x", "y", "z"]}), parts / "one.parquet")
    pq.write_table(pa.table({"a": [4, 5]}), parts / "two.parquet")
else:
    pq.write_table(pa.table({"a": [1, 2, 3, 4, 5], "c": [0.5] * 5}), parts / "one.parquet")
    pq.write_table(pa.table({"a": [6]}), parts / "three.parquet")
