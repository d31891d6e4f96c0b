"""The params a model's stages track, base -> working tree, read as `dvc params diff`
reads them: from the params files (YAML, JSON or TOML), not from dvc.lock."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from typing import Any

from mlgate.config.declarations import Reader
from mlgate.config.dvcfiles import DvcYaml
from mlgate.config.yamlio import load_bytes
from mlgate.errors import MlgateError
from mlgate.plumbing import git
from mlgate.pullrequest.compare import ValueChange, diff_values, flatten

DEFAULT_PARAMS = "params.yaml"


def _declared_params(stages: Sequence[str], *dvcs: DvcYaml | None) -> dict[str, list[str]]:
    """params file -> the keys the stages track in it ("" for the whole file, as
    `- other.yaml:` and dvc.yaml's top-level `params:` track it)."""
    declared: dict[str, list[str]] = {}
    for dvc in dvcs:
        entries = [e for s in (dvc.stages if dvc else ()) if s.name in stages
                   for e in s.params]
        entries += [f"{file}:" for file in (dvc.params if dvc else ())]
        for entry in entries:
            file, sep, key = entry.rpartition(":")
            if not sep or not file.endswith((".yaml", ".yml", ".json", ".toml")):
                file, key = DEFAULT_PARAMS, entry
            keys = declared.setdefault(file, [])
            if key not in keys:
                keys.append(key)
    return declared


def params_changes(head: Reader, base: git.RevReader, base_ref: str, stages: Sequence[str],
                   *dvcs: DvcYaml | None) -> list[ValueChange]:
    """Tracked params added, removed or changed; names outside params.yaml say their file."""
    changes: list[ValueChange] = []
    for file, keys in _declared_params(stages, *dvcs).items():
        new = flatten(_params_file(head(file), file))
        old = flatten(_params_file(base(file), f"{base_ref}:{file}"))
        for change in diff_values(_tracked(old, keys), _tracked(new, keys)):
            shown = change.name if file == DEFAULT_PARAMS else f"{file}:{change.name}"
            changes.append(ValueChange(shown, change.base, change.head))
    return changes


def _tracked(flat: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {k: v for k, v in flat.items()
            if any(not key or k == key or k.startswith(f"{key}.") for key in keys)}


def _params_file(raw: bytes | None, shown: str) -> Any:
    if raw is None:
        return {}
    try:
        if shown.endswith(".json"):
            return json.loads(raw)
        if shown.endswith(".toml"):
            return tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise MlgateError(f"cannot read params: {exc}", path=shown,
                          hint="fix the params file; `dvc params diff` reads it too") from None
    return load_bytes(raw, shown).data or {}
