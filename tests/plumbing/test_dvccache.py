"""object_intact: the bytes a cache holds under a digest are those the digest names."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mlgate.plumbing import dvccache


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


@pytest.mark.parametrize("chunk", [1, 2, 3, 1 << 20])
def test_dvc2_text_hash_holds_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            chunk: int) -> None:
    """DVC 2 hashed a text file with CRLF read as LF; a CR ending one chunk and its LF
    starting the next still read as one line end."""
    monkeypatch.setattr(dvccache, "CHUNK", chunk)
    path = tmp_path / "object"
    path.write_bytes(b"a\r\nbc\r\n\r\r\nd\r")
    assert dvccache.object_intact(path, md5(b"a\r\nbc\r\n\r\r\nd\r"))
    assert dvccache.object_intact(path, md5(b"a\nbc\n\r\nd\r"))
    assert not dvccache.object_intact(path, md5(b"a\nbc\n\nd\r"))


def test_a_listing_is_checked_under_its_hash_less_dir(tmp_path: Path) -> None:
    listing = b'[{"md5": "60b725f10c9c85c70d97880dfe8191b3", "relpath": "a.csv"}]'
    path = tmp_path / "object.dir"
    path.write_bytes(listing)
    assert dvccache.object_intact(path, md5(listing) + ".dir")
    path.write_bytes(listing.replace(b"a.csv", b"b.csv"))
    assert not dvccache.object_intact(path, md5(listing) + ".dir")


def test_a_missing_object_is_not_intact(tmp_path: Path) -> None:
    assert not dvccache.object_intact(tmp_path / "absent", md5(b""))
