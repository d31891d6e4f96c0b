"""The strict YAML loader gives the same data and the same locations whichever parser
PyYAML was built with (libyaml or pure Python)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlgate.config import yamlio
from mlgate.errors import MlgateError

ROOT = Path(__file__).resolve().parents[2]

DOCUMENTS = {
    "core scalars": "a: yes\nb: no\nc: on\nd: true\ne: False\nf: ~\ng:\nh: null\n",
    "numbers": "a: 0o17\nb: 0x1F\nc: 1e3\nd: .5\ne: -.inf\nf: .nan\ng: 012\nh: 1_000\n",
    "dates stay strings": "review:\n  last_validated: 2027-01-01\n  at: 2027-01-01T10:00:00Z\n",
    "quoted": "a: 'true'\nb: \"1.5\"\nc: '2027-01-01'\n",
    "nested": "x:\n  - {k: 1, v: [a, b]}\n  - name: two\n    gates:\n      - kind: threshold\n",
    "anchors": "base: &b {min: 0.7}\nstaging: *b\nproduction: {<<: *b, max: 1}\n",
    "block scalars": "run: |\n  python train.py\n  echo done\nnote: >\n  folded\n  text\n",
    "unicode": "owner: Zoë Ñandú\nnote: \"\\u00e9\"\n",
}


def _nodes(node: Any, path: str = "") -> list[tuple[str, int, int]]:
    out = [(path, node.start_mark.line, node.start_mark.column)]
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out += _nodes(value, f"{path}/{key.value}")
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            out += _nodes(child, f"{path}[{i}]")
    return out


def _pure(text: str) -> tuple[Any, Any]:
    loader = yamlio._StrictLoader(text)
    try:
        root = loader.get_single_node()
        return root, loader.construct_document(root)
    finally:
        loader.dispose()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _files() -> dict[str, str]:
    paths = [ROOT / "dvc.yaml", ROOT / "params.yaml", *sorted((ROOT / "pipelines").glob("*.yaml"))]
    return {str(p.relative_to(ROOT)): p.read_text("utf-8") for p in paths if p.exists()}


@pytest.mark.skipif(yamlio._FastLoader is None, reason="PyYAML built without libyaml")
@pytest.mark.parametrize(("name", "text"), [*DOCUMENTS.items(), *_files().items()],
                         ids=[*DOCUMENTS, *_files()])
def test_libyaml_and_pure_python_agree(name: str, text: str) -> None:
    doc = yamlio.load_text(text, name)
    root, data = _pure(text)
    assert _same(doc.data, data), (doc.data, data)
    assert _nodes(doc.root) == _nodes(root)
    fast, _ = yamlio._composed_fast(text)
    assert isinstance(fast, yaml.CSafeLoader)  # the document was read by libyaml
    fast.dispose()


def test_scalars_follow_yaml_1_2_core() -> None:
    data = yamlio.load_text(DOCUMENTS["core scalars"], "x.yaml").data
    assert data["a"] == "yes" and data["b"] == "no" and data["c"] == "on"
    assert data["d"] is True and data["e"] is False
    assert data["f"] is None and data["g"] is None and data["h"] is None
    numbers = yamlio.load_text(DOCUMENTS["numbers"], "x.yaml").data
    assert numbers["a"] == 15 and numbers["b"] == 31 and numbers["c"] == 1000.0
    assert numbers["e"] == -math.inf and math.isnan(numbers["f"])
    assert yamlio.load_text(DOCUMENTS["dates stay strings"], "x.yaml").data == {
        "review": {"last_validated": "2027-01-01", "at": "2027-01-01T10:00:00Z"}}


@pytest.mark.parametrize(("text", "line", "message"), [
    ("a: 1\nb: [1, 2\nc: 3\n", 3, "invalid YAML"),
    ("a:\n\t- 1\n", 2, "tab character"),
    ("a: 1\na: 2\n", 2, "duplicate key 'a' (first defined on line 1)"),
    ("a: 1\n---\nb: 2\n", 2, "invalid YAML"),
])
def test_errors_are_the_pure_python_parsers(text: str, line: int, message: str) -> None:
    with pytest.raises(MlgateError) as caught:
        yamlio.load_text(text, "bad.yaml")
    assert caught.value.line == line
    assert message in str(caught.value)
    try:  # the same message the pure-Python parser gives
        _pure(text)
    except yaml.MarkedYAMLError as exc:
        assert exc.problem in str(caught.value) or "tab" in message
