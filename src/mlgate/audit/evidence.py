"""A record against the commit it names: dvc.lock there, and the artifact in the DVC cache.

Every dvc.lock is read through one `git cat-file --batch` and parsed once per distinct
blob, so that checking ten thousand records costs two git processes. A record of a model
whose pipeline is in a subdirectory names its dvc.lock (`dvc_lock.path`,
`models/a/dvc.lock`): that file is read, its paths made relative to the repository root
as the promotion read them; a lock is addressed as its commit, or `COMMIT:PATH` for one
outside the root (:func:`lock_at`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from mlgate.audit.records import Record
from mlgate.config.dvcfiles import rooted
from mlgate.plumbing import git
from mlgate.plumbing.dvccache import bytes_md5, cache_dir, object_intact, object_path

CHANGED = "changed"  # a cached object whose bytes are not its md5's: no sha256 to compare
_OBJECT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_LOCK_PATH = re.compile(r"(?:[^/\x00:]+/)*dvc\.lock")


def lock_at(record: Record) -> str:
    """Where the record's dvc.lock is: its commit (the root's dvc.lock), or
    `COMMIT:models/a/dvc.lock` for a pipeline in a subdirectory. A path that is no
    dvc.lock inside the repository (the record's text is untrusted) is read as the root's."""
    path = record.mapping("dvc_lock").get("path")
    if isinstance(path, str) and path != "dvc.lock" and _LOCK_PATH.fullmatch(path) \
            and ".." not in path.split("/"):
        return f"{record.commit}:{path}"
    return record.commit


def _split(where: str) -> tuple[str, str]:
    commit, _, path = where.partition(":")
    return commit, path or "dvc.lock"


class LockIndex:
    """dvc.lock at any number of commits, read in batches and kept."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._exists: dict[str, bool] = {}
        self._raw: dict[str, bytes | None] = {}
        self._parsed: dict[str, LockFacts | None] = {}
        self._sha256: dict[str, str | None] = {}
        self._md5: dict[str, str] = {}  # commit -> md5 of its dvc.lock

    def preload(self, locks: list[str]) -> None:
        """Read the dvc.lock files at ``locks`` (see :func:`lock_at`) not read yet."""
        wanted = sorted({w for w in locks if w and _split(w)[0] and w not in self._raw})
        commits = sorted({_split(w)[0] for w in wanted} - self._exists.keys())
        for commit, found in zip(commits, commits_exist(commits, cwd=self.root), strict=True):
            self._exists[commit] = found
        present = [w for w in wanted if self._exists[_split(w)[0]]]
        blobs = git.cat_files(["{}:{}".format(*_split(w)) for w in present], cwd=self.root)
        for where, blob in zip(present, blobs, strict=True):
            self._raw[where] = blob.data if blob else None
            if blob:
                self._md5[where] = bytes_md5(blob.data)

    def exists(self, where: str) -> bool:
        self.preload([where])
        return self._exists.get(_split(where)[0], False)

    def raw(self, commit: str) -> bytes | None:
        self.preload([commit])
        return self._raw.get(commit)

    def outs(self, commit: str) -> dict[str, str | None] | None:
        """dvc.lock's outputs at ``commit``: path -> md5 (None: no readable dvc.lock)."""
        facts = self.facts(commit)
        return None if facts is None else facts.outs

    def facts(self, commit: str) -> LockFacts | None:
        """What dvc.lock at ``commit`` says (None: no readable dvc.lock); parsed once per
        distinct dvc.lock."""
        raw = self.raw(commit)
        if raw is None:
            return None
        folder = _split(commit)[1].rpartition("/")[0]
        key = f"{self._md5[commit]}:{folder}"
        if key not in self._parsed:
            self._parsed[key] = lock_facts(raw, folder)
        return self._parsed[key]

    def lock_md5(self, commit: str) -> str | None:
        """md5 of dvc.lock at ``commit``, which :meth:`preload` has read; None when the
        commit is not here or has no dvc.lock."""
        return self._md5.get(commit)

    @cached_property
    def _cache(self) -> Path:
        return cache_dir(self.root)

    def cached_sha256(self, md5: str) -> str | None:
        """sha256 of the DVC cache's object with this md5; None when it is not cached,
        :data:`CHANGED` when its bytes are not that md5's (DVC checks neither what it
        fetches nor its cache: other bytes there would vouch for a record naming them)."""
        if md5 not in self._sha256:
            path = object_path(self._cache, md5)
            self._sha256[md5] = None if not path.is_file() else \
                file_sha256(path) if object_intact(path, md5) else CHANGED
        return self._sha256[md5]

    def subject_problems(self, record: Record) -> list[str]:
        """How the record's dvc.lock digest and artifact digests differ from its commit's."""
        if not record.commit:
            return ["names no commit"]
        commit = lock_at(record)
        at = record.commit[:12]
        if not self.exists(commit):
            return [f"its commit {at} is not in this repository: the history was rewritten, "
                    "or it was never fetched"]
        raw = self.raw(commit)
        if raw is None:
            return [f"there is no dvc.lock at its commit {at}"]
        problems = []
        recorded_lock = record.mapping("dvc_lock").get("md5")
        if recorded_lock != self._md5[commit]:
            problems.append(f"dvc.lock at {at} has md5 {self._md5[commit]}, the record says "
                            f"{recorded_lock}")
        name = str(record.subject.get("name") or "")
        digests = record.digests
        outs = self.outs(commit) or {}
        if not name or name not in outs:
            return [*problems, f"dvc.lock at {at} has no output {name or '(unnamed subject)'}"]
        md5 = outs[name]
        if digests.get("md5") != md5:
            problems.append(f"{name}: dvc.lock at {at} has md5 {md5}, the record's "
                            f"subject says {digests.get('md5')}")
        elif record.action != "refused" and md5 and digests.get("sha256"):
            cached = self.cached_sha256(md5)
            if cached == CHANGED:
                problems.append(f"{name}: the DVC cache's copy under md5 {md5} is not those "
                                f"bytes, so the record's sha256 {digests['sha256']} cannot be "
                                "checked: delete it and fetch it from a remote you trust")
            elif cached is not None and cached != digests["sha256"]:
                problems.append(f"{name}: the DVC cache's copy has sha256 {cached}, the "
                                f"record's subject says {digests['sha256']}")
        return problems


@dataclass(frozen=True)
class LockFacts:
    """What a record takes from dvc.lock: outputs and dependencies (path -> md5, the
    first stage's entry for a path, as :class:`mlgate.config.dvcfiles.DvcLock` finds it)
    and params (file -> values, every stage's merged in order, as a promotion records,
    and as JSON gives them back: keys are text)."""

    outs: dict[str, str | None]
    deps: dict[str, str | None]
    params: dict[str, Any]


def lock_outs(raw: bytes) -> dict[str, str | None] | None:
    """Output path -> md5 of a dvc.lock; None when it is not readable YAML."""
    facts = lock_facts(raw)
    return None if facts is None else facts.outs


def lock_facts(raw: bytes, folder: str = "") -> LockFacts | None:
    """What a dvc.lock says (see :class:`LockFacts`), its paths relative to the root when it
    sits in ``folder``; None when it is not readable YAML.
    DVC writes these files, so libyaml's safe loader reads them: ten times faster than
    the strict loader that YAML written by people needs, which matters at thousands of
    records."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(raw, Loader=loader)
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return None
    facts = LockFacts({}, {}, {})
    stages = data.get("stages")
    for stage in stages.values() if isinstance(stages, dict) else []:
        if not isinstance(stage, dict):
            continue
        for key, found in (("outs", facts.outs), ("deps", facts.deps)):
            entries = stage.get(key)
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and "path" in entry:
                    found.setdefault(rooted(str(entry["path"]), folder),
                                     entry.get("md5") or entry.get("etag")
                                     or entry.get("checksum"))
        params = stage.get("params")
        for file, values in params.items() if isinstance(params, dict) else []:
            facts.params.setdefault(rooted(str(file), folder), {}).update(
                values if isinstance(values, dict) else {})
    try:
        plain = json.loads(json.dumps(facts.params, default=str))
    except ValueError:  # NaN and the like: compared as they are
        return facts
    return LockFacts(facts.outs, facts.deps, plain)


def commits_exist(commits: list[str], *, cwd: Path) -> list[bool]:
    """Whether each id names a commit here, in one `git cat-file --batch-check`."""
    ids = [c for c in commits if _OBJECT_ID.fullmatch(c)]  # a record's text is untrusted
    kinds = git.object_kinds([f"{c}^{{commit}}" for c in ids], cwd=cwd)
    found = {c for c, kind in zip(ids, kinds, strict=True) if kind and kind[1] == "commit"}
    return [c in found for c in commits]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
