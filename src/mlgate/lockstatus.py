"""What `dvc status` would say of a commit that is not checked out.

DVC answers only for the working tree (`Repo(rev=...)` cannot compute a status), so for
`check --rev` and `promote --rev` mlgate compares, stage by stage, what the commit's
dvc.lock recorded with what the commit holds: the command in dvc.yaml, the values of the
tracked params, and the md5 of every dependency. A dependency is found, at that commit,
as an output of another stage (its md5 in the same dvc.lock), as a `.dvc` file's output,
or in git: a file's md5 is that of its bytes, a directory's is DVC's `.dir` hash of its
listing (files that the root .dvcignore excludes left out, as DVC leaves them out).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mlgate import git
from mlgate.config.dvcfiles import DvcLock, DvcYaml, LockEntry
from mlgate.config.yamlio import load_bytes
from mlgate.errors import MlgateError

Reader = Callable[[str], bytes | None]  # a file's bytes at the commit, None when absent
DIR_SUFFIX = ".dir"
_MISSING = object()


def stale_stages(root: Path, commit: str, read: Reader, dvc_yaml: DvcYaml | None,
                 lock: DvcLock | None, stages: Sequence[str]) -> list[str]:
    """``stages`` whose dvc.lock entry the commit does not match, each with what differs
    (as `dvc status` words it): an empty list when every one is up to date."""
    if dvc_yaml is None or lock is None:
        return []  # reported elsewhere: no pipeline, or no dvc.lock
    tree = _Tree(root, commit, read)
    found = []
    for name in stages:
        stage, locked = dvc_yaml.stage(name), lock.stages.get(name)
        if stage is None:
            continue
        if locked is None:
            found.append(f"{name} (not in dvc.lock: run `dvc repro` and commit dvc.lock)")
            continue
        changes = []
        if stage.cmd != locked.cmd:
            changes.append("changed command")
        params = _changed_params(locked.params, read)
        if params:
            changes.append("changed params: " + ", ".join(params))
        deps = [f"{d.path} {why}" for d in locked.deps
                if (why := _dep_change(d, tree, dvc_yaml, lock))]
        if deps:
            changes.append("changed deps: " + ", ".join(deps))
        if changes:
            found.append(f"{name} ({'; '.join(changes)})")
    return found


def _changed_params(recorded: dict[str, Any], read: Reader) -> list[str]:
    changed: list[str] = []
    for file, values in sorted(recorded.items()):
        if not isinstance(values, dict):
            continue
        raw = read(file)
        if raw is None:
            changed.extend(f"{file}:{key} deleted" for key in sorted(values))
            continue
        try:
            current = load_bytes(raw, file).data
        except MlgateError:
            changed.append(f"{file} unreadable")
            continue
        for key, value in sorted(values.items()):
            now = _lookup(current, str(key))
            if now is _MISSING:
                changed.append(f"{file}:{key} deleted")
            elif now != value:
                changed.append(f"{file}:{key} modified")
    return changed


def _lookup(data: Any, key: str) -> Any:
    for part in key.split("."):
        if not isinstance(data, dict) or part not in data:
            return _MISSING
        data = data[part]
    return data


def _dep_change(entry: LockEntry, tree: _Tree, dvc_yaml: DvcYaml, lock: DvcLock) -> str | None:
    if entry.md5 is None:
        return None  # not a hash DVC compares by md5 (an etag, say): not judged here
    producer = dvc_yaml.producer(entry.path)
    if producer is not None:
        out = next((o for o in lock.stages[producer.name].outs if o.path == entry.path),
                   None) if producer.name in lock.stages else None
        if out is None:  # a file inside another stage's output directory: not judged here
            return None
        current = out.md5
    else:
        current = tree.dvc_file_md5(entry.path) or tree.md5(entry.path)
    if current is None:
        return "deleted"
    return None if current == entry.md5 else "modified"


class _Tree:
    """Files at one commit, through git plumbing (one process per question)."""

    def __init__(self, root: Path, commit: str, read: Reader) -> None:
        self.root, self.commit, self.read = root, commit, read
        self._ignore: Any = None

    def dvc_file_md5(self, path: str) -> str | None:
        raw = self.read(f"{path}.dvc")
        if raw is None:
            return None
        try:
            data = load_bytes(raw, f"{path}.dvc").data
        except MlgateError:
            return None
        outs = data.get("outs") if isinstance(data, dict) else None
        first = outs[0] if isinstance(outs, list) and outs else None
        md5 = first.get("md5") if isinstance(first, dict) else None
        return str(md5) if md5 else None

    def md5(self, path: str) -> str | None:
        entries = self._ls(path)
        if not entries:
            return None
        if len(entries) == 1 and entries[0][1] == path:
            return _md5(self._blobs([entries[0][0]])[0])
        prefix = path.rstrip("/") + "/"
        files = [(oid, name[len(prefix):]) for oid, name in entries
                 if name.startswith(prefix) and not self._ignored(name)]
        contents = self._blobs([oid for oid, _ in files])
        listing = sorted(({"md5": _md5(data), "relpath": rel}
                          for (_, rel), data in zip(files, contents, strict=True)),
                         key=lambda item: item["relpath"])
        return _md5(json.dumps(listing, sort_keys=True).encode("utf-8")) + DIR_SUFFIX

    def _ls(self, path: str) -> list[tuple[str, str]]:
        """(blob id, path) of the files at ``path``: itself, or everything under it."""
        out = git.git(["ls-tree", "-r", "-z", self.commit, "--", path], cwd=self.root)
        found = []
        for item in out.split("\0"):
            meta, _, name = item.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob":
                found.append((parts[2], name))
        return found

    def _blobs(self, oids: list[str]) -> list[bytes]:
        return [blob.data if blob else b"" for blob in git.cat_files(oids, cwd=self.root)]

    def _ignored(self, path: str) -> bool:
        if self._ignore is None:
            import pathspec  # a dependency of DVC's, for its own .dvcignore

            raw = self.read(".dvcignore") or b""
            self._ignore = pathspec.GitIgnoreSpec.from_lines(
                raw.decode("utf-8", "replace").splitlines())
        return bool(self._ignore.match_file(path))


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()
