"""Score files read back: in the holdout's order (taken as is) or any other (joined by
id), the same aligned scores; a missing, repeated or foreign id is named either way."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from mlgate.errors import MlgateError
from mlgate.evaluation.holdout import Holdout
from mlgate.evaluation.scoring import read_scores

IDS = [f"r{i}" for i in range(50)]


def holdout() -> Holdout:
    features = pa.table({"id": IDS, "x": list(range(50))})
    return Holdout(features, pa.array(IDS), np.zeros(50), ".csv")


def write(path: Path, ids: list[str], scores: list[float]) -> Path:
    path.write_text("id,score\n" + "".join(f"{i},{s}\n" for i, s in zip(ids, scores, strict=True)))
    return path


def test_holdout_order_and_shuffled_order_align_the_same(tmp_path: Path) -> None:
    scores = list(np.linspace(0.01, 0.99, 50))
    same = read_scores(write(tmp_path / "a.csv", IDS, scores), holdout(), "id", "binary", (), "m")
    order = np.random.default_rng(0).permutation(50)
    shuffled = read_scores(write(tmp_path / "b.csv", [IDS[i] for i in order],
                                 [scores[i] for i in order]), holdout(), "id", "binary", (), "m")
    assert same.tolist() == scores
    assert shuffled.tolist() == scores


@pytest.mark.parametrize(("ids", "said"), [
    (IDS[:-1], "1 of 50 holdout ids have no score, e.g. r49"),
    ([*IDS[:-1], "r0"], "id 'r0' appears more than once"),
    ([*IDS[:-1], "zz"], "id 'zz' is not a holdout id"),
])
def test_bad_ids_are_named(tmp_path: Path, ids: list[str], said: str) -> None:
    path = write(tmp_path / "s.csv", ids, [0.5] * len(ids))
    with pytest.raises(MlgateError, match=said):
        read_scores(path, holdout(), "id", "binary", (), "m")


def test_a_nan_score_in_holdout_order_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", IDS, [0.5] * 49 + [float("nan")])
    with pytest.raises(MlgateError, match="id r49"):
        read_scores(path, holdout(), "id", "binary", (), "m")
