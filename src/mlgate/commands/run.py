"""`mlgate run [MODEL]`: reproduce what produces a model with DVC, then show its metrics."""

from __future__ import annotations

from mlgate.config.root import find_root
from mlgate.config.stages import run_models
from mlgate.errors import EXIT_OK
from mlgate.render.text import table, to_json


def main(*, model: str | None, force: bool, fmt: str) -> int:
    results = run_models(find_root(), [model] if model else [], force=force)
    if fmt == "json":
        print(to_json(results))
        return EXIT_OK
    for name, metrics in results.items():
        shown = {k: v for k, v in metrics.items() if not k.startswith("slices.")}
        print(f"\n{name}")
        print(table(["metric", "value"], sorted(shown.items())))
    return EXIT_OK
