"""What `dvc status` would say of a commit that is not checked out.

DVC answers only for the working tree (`Repo(rev=...)` cannot compute a status), so for
`check --rev` and `promote --rev` mlgate compares, stage by stage, what the commit's
dvc.lock recorded with what the commit holds: the command in dvc.yaml, the values of the
tracked params, and the md5 of every dependency. A dependency is found, at that commit,
as an output of another stage (its md5 in the same dvc.lock), as a `.dvc` file's output,
or in git: a file's md5 is that of its bytes, a directory's is DVC's `.dir` hash of its
listing (files that the root .dvcignore excludes left out, as DVC leaves them out).
Three git processes in all, whatever the number of stages and dependencies.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlgate.config.declarations import Reader
from mlgate.config.dvcfiles import DvcLock, DvcYaml, LockEntry
from mlgate.config.yamlio import load_bytes
from mlgate.errors import InvalidFile
from mlgate.plumbing import git
from mlgate.plumbing.dvccache import bytes_md5, dir_md5

_MISSING = object()


def stale_stages(root: Path, commit: str, read: Reader, dvc_yaml: DvcYaml | None,
                 lock: DvcLock | None, stages: Sequence[str]) -> list[str]:
    """``stages`` whose dvc.lock entry the commit does not match, each with what differs
    (as `dvc status` words it): an empty list when every one is up to date."""
    if dvc_yaml is None or lock is None:
        return []  # reported elsewhere: no pipeline, or no dvc.lock
    judged = [(name, stage, lock.stages.get(name)) for name in stages
              if (stage := dvc_yaml.stage(name)) is not None]
    in_repo = sorted({d.path for _, _, locked in judged if locked for d in locked.deps
                      if d.md5 and dvc_yaml.producer(d.path) is None})
    current = _md5s(root, commit, read, in_repo)
    params = _Params(read)
    found = []
    for name, stage, locked in judged:
        if locked is None:
            found.append(f"{name} (not in dvc.lock: run `dvc repro` and commit dvc.lock)")
            continue
        changes = []
        if stage.cmd != locked.cmd:
            changes.append("changed command")
        changed_params = params.changed(locked.params)
        if changed_params:
            changes.append("changed params: " + ", ".join(changed_params))
        deps = [f"{d.path} {why}" for d in locked.deps
                if (why := _dep_change(d, current, dvc_yaml, lock))]
        if deps:
            changes.append("changed deps: " + ", ".join(deps))
        if changes:
            found.append(f"{name} ({'; '.join(changes)})")
    return found


class _Params:
    """Params files at the commit, each read and parsed once."""

    def __init__(self, read: Reader) -> None:
        self.read = read
        self._parsed: dict[str, Any] = {}

    def _data(self, file: str) -> Any:
        if file not in self._parsed:
            raw = self.read(file)
            try:
                self._parsed[file] = _MISSING if raw is None else load_bytes(raw, file).data
            except InvalidFile:
                self._parsed[file] = None  # unreadable
        return self._parsed[file]

    def changed(self, recorded: dict[str, Any]) -> list[str]:
        changed: list[str] = []
        for file, values in sorted(recorded.items()):
            if not isinstance(values, dict):
                continue
            current = self._data(file)
            if current is _MISSING:
                changed.extend(f"{file}:{key} deleted" for key in sorted(values))
                continue
            if current is None:
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


def _dep_change(entry: LockEntry, current: dict[str, str | None], dvc_yaml: DvcYaml,
                lock: DvcLock) -> str | None:
    if entry.md5 is None:
        return None  # not a hash DVC compares by md5 (an etag, say): not judged here
    producer = dvc_yaml.producer(entry.path)
    if producer is None:
        now = current.get(entry.path)
    else:
        out = next((o for o in lock.stages[producer.name].outs if o.path == entry.path),
                   None) if producer.name in lock.stages else None
        if out is None:  # a file inside another stage's output directory: not judged here
            return None
        now = out.md5
    if now is None:
        return "deleted"
    return None if now == entry.md5 else "modified"


def _md5s(root: Path, commit: str, read: Reader, paths: Sequence[str]
          ) -> dict[str, str | None]:
    """DVC's md5 of each of ``paths`` at the commit: a `.dvc` file's output, else the file or
    directory git holds, else None. One `git cat-file` for the .dvc files, one
    `git ls-tree` and one `git cat-file` for what git holds."""
    if not paths:
        return {}
    dvc_files = git.cat_files([f"{commit}:{p}.dvc" for p in paths], cwd=root)
    found: dict[str, str | None] = {p: _dvc_file_md5(b.data, f"{p}.dvc") if b else None
                                    for p, b in zip(paths, dvc_files, strict=True)}
    in_git = [p for p in paths if found[p] is None]
    files = git.ls_tree(commit, in_git, cwd=root) if in_git else []
    contents = git.cat_files([oid for oid, _ in files], cwd=root)
    md5_of = {name: bytes_md5(blob.data if blob else b"")
              for (_, name), blob in zip(files, contents, strict=True)}
    ignored = None
    for path in in_git:
        if path in md5_of:
            found[path] = md5_of[path]
            continue
        ignored = ignored or _dvcignore(read)  # read once, for the first directory
        prefix = path.rstrip("/") + "/"
        listing = [(name[len(prefix):], md5) for name, md5 in md5_of.items()
                   if name.startswith(prefix) and not ignored(name)]
        found[path] = dir_md5(listing) if listing else None
    return found


def _dvc_file_md5(raw: bytes, path: str) -> str | None:
    try:
        data = load_bytes(raw, path).data
    except InvalidFile:
        return None
    outs = data.get("outs") if isinstance(data, dict) else None
    first = outs[0] if isinstance(outs, list) and outs else None
    md5 = first.get("md5") if isinstance(first, dict) else None
    return str(md5) if md5 else None


def _dvcignore(read: Reader) -> Any:
    """Whether a path is one the root .dvcignore excludes (as DVC reads it)."""
    import pathspec  # a dependency of DVC's, for its own .dvcignore

    raw = read(".dvcignore") or b""
    spec = pathspec.GitIgnoreSpec.from_lines(raw.decode("utf-8", "replace").splitlines())
    return spec.match_file
