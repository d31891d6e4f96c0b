"""`mlgate init [--model NAME] [--pipeline DVC_YAML] [--force]`: adopt mlgate in an
existing DVC repository.

Writes the model's declaration (inferred from dvc.yaml; one per `type: model` artifact),
the workflows and CODEOWNERS, and turns DVC's analytics and update checks off. Checks
everything first and writes nothing when a file exists with other content, unless --force.
Running it again changes nothing.
"""

from __future__ import annotations

from mlgate.adopt.adoption import DVC_SETTINGS, adopt
from mlgate.config.declarations import PIPELINES_DIR
from mlgate.config.root import find_root
from mlgate.errors import EXIT_OK
from mlgate.render.text import table, to_json


def main(*, model: str | None, force: bool, fmt: str, pipeline: str = "dvc.yaml") -> int:
    names, rows = adopt(find_root(), model, force=force, pipeline=pipeline)
    _report(rows, names, fmt)
    return EXIT_OK


def _report(rows: list[tuple[str, str]], names: list[str], fmt: str) -> None:
    if fmt == "json":
        print(to_json({"model": names[0], "models": names, "files": dict(rows),
                       "dvc_config": {f"{s}.{k}": v for s, k, v in DVC_SETTINGS}}))
        return
    print(table(["file", "state"], rows))
    print("DVC: core.analytics false, core.check_update false")
    files = ", ".join(f"{PIPELINES_DIR}/{n}.yaml" for n in names)
    print(f"\nnext: review the TODOs in {files}, `mlgate validate`, "
          "commit, and set up the GitHub environments and secrets the workflows name")
