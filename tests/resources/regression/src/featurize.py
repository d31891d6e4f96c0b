"""Raw houses -> numeric features (area, rooms, age) and the price."""
import csv
import math
import os

import yaml

with open("params.yaml") as fh:
    params = yaml.safe_load(fh)["featurize"]
with open("data/raw/houses.csv", newline="") as fh:
    rows = list(csv.DictReader(fh))
os.makedirs("data", exist_ok=True)
with open("data/features.csv", "w", newline="") as fh:
    out = csv.writer(fh, lineterminator="\n")
    out.writerow(["area", "rooms", "age", "price"])
    for row in rows:
        area = float(row["area_m2"])
        out.writerow([round(math.log(area), 6) if params["log_area"] else area,
                      row["rooms"], row["age_years"], row["price_k"]])
