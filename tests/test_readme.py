"""The README's YAML reference is generated from the schema and must not drift from it."""

from __future__ import annotations

from mlgate.render.reference import splice
from tests.support.project import REPO_ROOT


def test_yaml_reference_matches_the_schema() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert splice(readme) == readme, (
        "README.md's YAML reference is stale: run "
        "`.venv/bin/python -m mlgate.render.reference README.md`"
    )
