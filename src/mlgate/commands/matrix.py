"""`mlgate matrix`: the models a workflow should act on, with the environment for each,
as one line of JSON for a GitHub Actions matrix (or `MODEL ENV` lines for a shell loop);
see :mod:`mlgate.adopt.workflow_matrix`."""

from __future__ import annotations

import json
import sys

from mlgate.adopt.workflow_matrix import matrix
from mlgate.config.root import find_root
from mlgate.errors import EXIT_OK
from mlgate.render.text import table


def main(*, model: str | None, env: str | None, since: str | None, monitored: bool,
         fmt: str) -> int:
    entries, notes = matrix(find_root(), model=model, env=env, since=since,
                            monitored=monitored)
    for note in notes:
        print(f"mlgate: {note}", file=sys.stderr)
    if fmt == "lines":
        for entry in entries:
            print(entry["model"], entry["env"])
    elif fmt == "table":
        print(table(["model", "env"], [(e["model"], e["env"]) for e in entries]))
    else:
        print(json.dumps(entries, separators=(",", ":")))
    return EXIT_OK
