"""dvc.yaml's `artifacts:` section, DVC's own model registry, and how artifacts are
addressed: the one place that knows GTO's naming.

GTO, DVC and DVC Studio address artifact `name` of the root dvc.yaml as `name` and one of
`path/to/dir/dvc.yaml` as `path/to/dir:name`; in a tag the `:` is written `=`
(`path/to/dir=name@v1.0.0`). An entry's `path` is relative to its dvc.yaml's directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ADDRESS_SEPARATOR = ":"  # in an address: `path/to/dir:name`
TAG_SEPARATOR = "="  # the same separator in a tag, as GTO writes it


def artifact_address(dvc_dir: str, name: str) -> str:
    """The address of artifact ``name`` of ``dvc_dir``/dvc.yaml (relative to the
    repository root; "" or "." for the root)."""
    parts = [p for p in dvc_dir.replace("\\", "/").split("/") if p not in ("", ".")]
    return f"{'/'.join(parts)}{ADDRESS_SEPARATOR}{name}" if parts else name


def split_address(address: str) -> tuple[str, str]:
    """The inverse of :func:`artifact_address`: (directory, "" for the root; name)."""
    dvc_dir, sep, name = address.rpartition(ADDRESS_SEPARATOR)
    return (dvc_dir, name) if sep else ("", address)


def dvc_yaml_of(address: str) -> str:
    """The dvc.yaml whose `artifacts:` holds ``address``."""
    dvc_dir, _ = split_address(address)
    return f"{dvc_dir}/dvc.yaml" if dvc_dir else "dvc.yaml"


@dataclass(frozen=True)
class DvcArtifact:
    """One entry of `artifacts:`, its path made relative to the repository root."""

    address: str
    path: str
    type: str | None
    desc: str | None
    labels: tuple[str, ...]

    @property
    def is_model(self) -> bool:
        return self.type == "model"


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def dvc_artifacts(section: dict[str, Any], dvc_dir: str = "") -> list[DvcArtifact]:
    """The entries of one dvc.yaml's `artifacts:` that have a path, in file order."""
    found = []
    for name, body in section.items():
        if not isinstance(body, dict) or not isinstance(body.get("path"), str):
            continue
        labels = body.get("labels")
        path = body["path"].removeprefix("./")
        full = f"{dvc_dir.rstrip('/')}/{path}" if dvc_dir not in ("", ".") else path
        found.append(DvcArtifact(
            artifact_address(dvc_dir, str(name)), full, _text(body.get("type")),
            _text(body.get("desc")),
            tuple(str(x) for x in labels) if isinstance(labels, list) else ()))
    return found
