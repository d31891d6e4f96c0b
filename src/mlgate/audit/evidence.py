"""A record against the commit it names: dvc.lock there, and the artifact in the DVC cache.

Every dvc.lock is read through one `git cat-file --batch` and parsed once per distinct
blob, so that checking ten thousand records costs two git processes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from mlgate.audit.trail import Record
from mlgate.plumbing import git
from mlgate.plumbing.dvccache import bytes_md5, cache_dir, object_path

_OBJECT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


class LockIndex:
    """dvc.lock at any number of commits, read in batches and kept."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._exists: dict[str, bool] = {}
        self._raw: dict[str, bytes | None] = {}
        self._parsed: dict[str, LockFacts | None] = {}
        self._sha256: dict[str, str | None] = {}
        self._md5: dict[str, str] = {}  # commit -> md5 of its dvc.lock

    def preload(self, commits: list[str]) -> None:
        wanted = sorted({c for c in commits if c and c not in self._exists})
        if not wanted:
            return
        for commit, found in zip(wanted, commits_exist(wanted, cwd=self.root), strict=True):
            self._exists[commit] = found
        present = [c for c in wanted if self._exists[c]]
        blobs = git.cat_files([f"{c}:dvc.lock" for c in present], cwd=self.root)
        for commit, blob in zip(present, blobs, strict=True):
            self._raw[commit] = blob.data if blob else None
            if blob:
                self._md5[commit] = bytes_md5(blob.data)

    def exists(self, commit: str) -> bool:
        self.preload([commit])
        return self._exists.get(commit, False)

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
        key = self._md5[commit]
        if key not in self._parsed:
            self._parsed[key] = lock_facts(raw)
        return self._parsed[key]

    def lock_md5(self, commit: str) -> str | None:
        """md5 of dvc.lock at ``commit``, which :meth:`preload` has read; None when the
        commit is not here or has no dvc.lock."""
        return self._md5.get(commit)

    @cached_property
    def _cache(self) -> Path:
        return cache_dir(self.root)

    def cached_sha256(self, md5: str) -> str | None:
        """sha256 of the DVC cache's object with this md5; None when it is not cached."""
        if md5 not in self._sha256:
            path = object_path(self._cache, md5)
            self._sha256[md5] = file_sha256(path) if path.is_file() else None
        return self._sha256[md5]

    def subject_problems(self, record: Record) -> list[str]:
        """How the record's dvc.lock digest and artifact digests differ from its commit's."""
        commit = record.commit
        if not commit:
            return ["names no commit"]
        at = commit[:12]
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
            if cached is not None and cached != digests["sha256"]:
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


def lock_facts(raw: bytes) -> LockFacts | None:
    """What a dvc.lock says (see :class:`LockFacts`); None when it is not readable YAML.
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
                    found.setdefault(str(entry["path"]), entry.get("md5") or entry.get("etag")
                                     or entry.get("checksum"))
        params = stage.get("params")
        for file, values in params.items() if isinstance(params, dict) else []:
            facts.params.setdefault(file, {}).update(values if isinstance(values, dict) else {})
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
