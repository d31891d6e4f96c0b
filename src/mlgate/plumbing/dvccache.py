"""Where DVC keeps an object, and md5 digests computed the way DVC 3 computes them for files."""

from __future__ import annotations

import configparser
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

CHUNK = 1 << 20
DIR_SUFFIX = ".dir"  # how DVC names a directory's hash: that of its listing, then ".dir"


def file_md5(path: Path) -> str | None:
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
    except (FileNotFoundError, IsADirectoryError):
        return None
    return digest.hexdigest()


def object_intact(path: Path, md5: str) -> bool:
    """Whether the bytes at ``path`` are those DVC stores under ``md5`` (a directory's
    listing under its hash less ".dir"), or DVC 2's legacy hash of a text file (its CRLF
    read as LF). DVC checks neither what it fetches nor what sits in its cache, and a
    change's stage or a `.dvc/config` naming another cache can write there: whatever is
    read under a digest that someone else vouched for is checked with this first."""
    raw = hashlib.md5(usedforsecurity=False)
    text = hashlib.md5(usedforsecurity=False)
    held = b""  # a CR that ends a chunk: the next chunk may start with its LF
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                raw.update(chunk)
                chunk = held + chunk
                held = b"\r" if chunk.endswith(b"\r") else b""
                text.update(chunk[:len(chunk) - len(held)].replace(b"\r\n", b"\n"))
    except OSError:
        return False
    text.update(held)
    return md5.removesuffix(DIR_SUFFIX) in (raw.hexdigest(), text.hexdigest())


def bytes_md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def dir_md5(files: Iterable[tuple[str, str]]) -> str:
    """DVC's hash of a directory from its (relative path, md5) files: the md5 of the
    listing as DVC writes it (JSON, sorted by path, keys sorted), with ".dir"."""
    listing = [{"md5": md5, "relpath": rel} for rel, md5 in sorted(files)]
    return bytes_md5(json.dumps(listing, sort_keys=True).encode("utf-8")) + DIR_SUFFIX


def cache_dir(root: Path) -> Path:
    """The local cache directory: `cache.dir` from .dvc/config(.local), else .dvc/cache."""
    found = root / ".dvc" / "cache"
    for name in ("config", "config.local"):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        try:
            parser.read(root / ".dvc" / name)
        except configparser.Error:
            continue
        if parser.has_option("cache", "dir"):
            found = (root / ".dvc" / parser.get("cache", "dir")).resolve()
    return found


def cached_file(root: Path, md5: str) -> Path:
    """Path of a file object in DVC 3's cache layout."""
    return object_path(cache_dir(root), md5)


def object_path(cache: Path, md5: str) -> Path:
    """Path of a file object under the cache directory ``cache`` (DVC 3's layout)."""
    return cache / "files" / "md5" / md5[:2] / md5[2:]


def dir_member(root: Path, dir_hash: str, relpath: str) -> str | None:
    """The md5 of ``relpath`` in the directory whose hash is ``dir_hash`` (its listing
    read from the local cache); None when the listing is not there or does not name it."""
    try:
        listing = json.loads(cached_file(root, dir_hash).read_bytes())
    except (OSError, ValueError):
        return None
    for item in listing if isinstance(listing, list) else ():
        if isinstance(item, dict) and item.get("relpath") == relpath:
            md5 = item.get("md5")
            return md5 if isinstance(md5, str) else None
    return None
