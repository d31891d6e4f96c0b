"""A stand-in training stage: the "model" is the seed of its noisy score."""

import json
import os

import yaml

with open("params.yaml") as fh:
    seed = yaml.safe_load(fh)["train"]["seed"]
os.makedirs("model", exist_ok=True)
with open("model/model.bin", "w") as fh:
    json.dump({"seed": seed}, fh)
    fh.write("\n")
