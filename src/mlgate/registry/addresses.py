"""Which declared model a subdirectory artifact's tags belong to.

A model whose `dvc_artifact` is `models/a:churn` (an artifact of models/a/dvc.yaml) is
tagged `models/a=churn@v1.0.0`, as GTO and DVC Studio tag it, while mlgate's commands,
records and ledger name it by its declaration (`pipelines/churn-a.yaml`). Readers of the
tags map one to the other here. Root models are tagged by their declaration's name, so a
registry without a `:` in any model's name needs none of this, and reads no declaration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlgate.config.root import PIPELINES_DIR, declaration_paths
from mlgate.errors import NotFound


def _fields(path: Path) -> dict[str, Any]:
    """The top-level mapping of a declaration, or {} when it does not parse (`mlgate
    validate` is where a broken declaration is reported, not every registry read)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(path.read_bytes(), Loader=loader)
    except (OSError, yaml.YAMLError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def declared_addresses(root: Path) -> dict[str, str]:
    """Address -> declaration name, for every declared model whose tags name it by a
    subdirectory artifact's address (the first declaration, by name, when two claim one)."""
    from mlgate.config.model import registry_address

    found: dict[str, str] = {}
    for path in declaration_paths(root):
        data = _fields(path)
        artifact = data.get("dvc_artifact")
        address = registry_address(path.stem, artifact if isinstance(artifact, str) else None)
        if address != path.stem:
            found.setdefault(address, path.stem)
    return found


def declared_name(root: Path, name: str) -> str:
    """The declared model a command's argument means: the declaration that claims the
    address ``name`` when it is one; ``name`` otherwise."""
    return declared_addresses(root).get(name, name) if ":" in name else name


def declared_model(root: Path, name: str) -> str:
    """The declaration a command that needs one acts on (`promote`, `rollback`, `retire`,
    `matrix`): ``name``, or the one that claims the address ``name``. An address that no
    declaration claims is bad input: it names no file under pipelines/ either."""
    if ":" not in name:
        return name
    claimed = declared_addresses(root)
    if name in claimed:
        return claimed[name]
    shown = ", ".join(f"{address} ({declared})" for address, declared in sorted(claimed.items()))
    raise NotFound(f"no declared model has the address {name!r}",
                   path=f"{PIPELINES_DIR}/",
                   hint=f"addresses declared (dvc_artifact): {shown}" if shown else
                   "no declaration names a subdirectory artifact as its dvc_artifact; name "
                   "the model by its declaration, pipelines/MODEL.yaml")
