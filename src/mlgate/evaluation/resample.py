"""The Poisson bootstrap's weights, drawn in chunks of resamples, reproducibly.

In each resample every row gets an independent Poisson(1) weight. It has the same limit
as the classical multinomial bootstrap, but rows are independent, so the weights of a
chunk of resamples are one vectorised draw: a lookup table of Poisson(1) on 16-bit
uniforms, exact to 2**-16 per count. Chunks run on a few threads (numpy releases the
GIL); each chunk has its own seed, spawned from ``seed``, so that what a bootstrap finds
depends on the seed alone, not on the threads or the order the chunks ran in.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
CHUNK_CELLS = 1 << 19  # weights per chunk of resamples: bounds memory, stays in cache
WORKERS = min(4, os.cpu_count() or 1)  # numpy drops the GIL in the heavy loops


@cache
def poisson_table() -> npt.NDArray[np.uint8]:
    """Poisson(1) count for each 16-bit uniform: inverse CDF rounded to 2**-16."""
    cdf = np.cumsum([math.exp(-1) / math.factorial(k) for k in range(12)])
    return np.searchsorted(np.round(cdf * 65536), np.arange(65536), side="right").astype(
        np.uint8
    )


def weight_rows(rng: np.random.Generator, rows: int, n: int) -> npt.NDArray[np.uint8]:
    """``rows`` resamples of Poisson(1) weights for ``n`` rows."""
    uniform = rng.integers(0, 65536, size=(rows, n), dtype=np.uint16)
    return np.take(poisson_table(), uniform.astype(np.intp))


def chunk_rows(n: int) -> int:
    """Resamples per chunk for ``n`` rows."""
    return max(1, CHUNK_CELLS // max(n, 1))


def chunked(
    seed: int, resamples: int, chunk: int, work: Callable[[np.random.Generator, int], Floats]
) -> Floats:
    """``work(rng, rows)`` over chunks of resamples, each with its own child seed."""
    chunk = min(chunk, resamples)
    starts = range(0, resamples, chunk)
    seeds = np.random.SeedSequence(seed).spawn(len(starts))

    def one(i: int) -> Floats:
        return work(np.random.default_rng(seeds[i]), min(chunk, resamples - starts[i]))

    if len(starts) == 1:
        return one(0)
    with ThreadPoolExecutor(WORKERS) as pool:
        return np.concatenate(list(pool.map(one, range(len(starts)))))


def dot(weights: npt.NDArray[Any], values: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """``weights @ values``, one sum per row of weights. A single row (a metric's value)
    is summed without BLAS, whose threads cost more than the sum on a busy machine."""
    if weights.shape[0] == 1:
        return np.einsum("ij,j->i", weights, values)  # type: ignore[no-any-return]
    return weights @ values  # type: ignore[no-any-return]
