"""Fit the employment classifier (a scikit-learn Pipeline) and save it with joblib.

``train.model`` picks the estimator: ``hist_gradient_boosting`` (native categorical
splits) or ``logistic_regression`` (one-hot encoding).
"""

import argparse
from pathlib import Path

import joblib
import pandas as pd
import yaml
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from threadpoolctl import threadpool_limits

LABEL = "employed"
NUMERIC = ["AGEP"]
CATEGORICAL = [
    "SCHL",
    "MAR",
    "RELP",
    "DIS",
    "ESP",
    "CIT",
    "MIG",
    "MIL",
    "ANC",
    "NATIVITY",
    "DEAR",
    "DEYE",
    "DREM",
    "SEX",
    "RAC1P",
]


def hist_gradient_boosting(params: dict) -> Pipeline:
    # Unseen categories become -1, which the classifier treats as missing.
    codes = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    encode = ColumnTransformer(
        [("numeric", "passthrough", NUMERIC), ("categorical", codes, CATEGORICAL)],
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    classifier = HistGradientBoostingClassifier(
        learning_rate=params["learning_rate"],
        max_iter=params["max_iter"],
        max_leaf_nodes=params["max_leaf_nodes"],
        l2_regularization=params["l2_regularization"],
        categorical_features=CATEGORICAL,
        early_stopping=False,
        random_state=params["seed"],
    )
    return Pipeline([("encode", encode), ("classify", classifier)])


def logistic_regression(params: dict) -> Pipeline:
    encode = ColumnTransformer(
        [
            ("numeric", StandardScaler(), NUMERIC),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]
    )
    classifier = LogisticRegression(
        C=params["C"], max_iter=params["max_iter"], random_state=params["seed"]
    )
    return Pipeline([("encode", encode), ("classify", classifier)])


MODELS = {
    "hist_gradient_boosting": hist_gradient_boosting,
    "logistic_regression": logistic_regression,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--train", default="data/prepared/train.parquet")
    parser.add_argument("--out", default="models/employment.joblib")
    args = parser.parse_args()

    params = yaml.safe_load(Path(args.params).read_text())["train"]
    if params["model"] not in MODELS:
        parser.error(f"train.model: expected one of {sorted(MODELS)}, got {params['model']!r}")

    train = pd.read_parquet(args.train)
    model = MODELS[params["model"]](params)
    # HistGradientBoosting stores the thread count it ran with in the pickle; one thread
    # keeps the saved model byte-identical on every machine.
    with threadpool_limits(limits=1):
        model.fit(train[NUMERIC + CATEGORICAL], train[LABEL])

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, out)


if __name__ == "__main__":
    main()
