"""Each record against what its commit holds: the metrics a promotion judged (the metrics
files its policy declares, read at the commit from git or, failing that, from the DVC
cache), the params and data digests (dvc.lock at the commit), and the policy it names
(the declaration at the policy's commit). A record written by hand with numbers its
commit never had is a `record_mismatch`, however well it is chained and indexed.

Approvals and the CI context cannot be checked against a commit: only a signature on the
tag vouches for them (see :mod:`mlgate.audit.signatures`).

Reads are batched: one `git cat-file --batch` for every policy and one for every metrics
file, each distinct blob parsed once, so ten thousand records cost a few processes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.audit.evidence import LockIndex, lock_at
from mlgate.audit.findings import Findings
from mlgate.audit.records import Record
from mlgate.config.imports import import_source
from mlgate.config.metricsfile import flatten, parse_metrics
from mlgate.config.model import lock_beside
from mlgate.config.root import PIPELINES_DIR
from mlgate.errors import MlgateError
from mlgate.plumbing import git
from mlgate.plumbing.dvccache import cache_dir, dir_member, object_path

_OBJECT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_SAFE_PATH = re.compile(r"[^\n\0]+")
_SHOWN = 3  # differing values named per record


def check_records(records: Sequence[Record], locks: LockIndex, out: Findings) -> list[str]:
    """Findings for the records (not refusals) whose metrics, params, data or policy are
    not their commit's. A record whose commit or dvc.lock is already reported by the
    subject check (`subject_digest`) is not checked again here. Returns notes: metrics
    that are in no local DVC cache cannot be checked (as the artifact's sha256)."""
    locks.preload([lock_at(r) for r in records])
    checked = [r for r in records
               if r.action != "refused" and (md5 := locks.lock_md5(lock_at(r))) is not None
               and r.mapping("dvc_lock").get("md5") == md5]
    declared = _declared_metrics(checked, locks.root)
    files = _MetricsFiles(locks, [(r.commit, path) for r in checked
                                  for path in declared.get(id(r), ([], None))[0]])
    unchecked = 0
    for record in checked:
        problems = _inputs(record, locks)
        paths, policy_problem = declared[id(record)]
        if policy_problem:
            problems.append(policy_problem)
        else:
            metrics = _metrics(record, paths, files)
            unchecked += metrics is None
            problems += metrics or []
        for problem in problems:
            out.add("record_mismatch", record.label, problem)
    if not unchecked:
        return []
    return [f"the metrics of {unchecked} record(s) were not checked: their metrics files are "
            "not in git and not in the local DVC cache (`dvc fetch` them, then verify again)"]


def _inputs(record: Record, locks: LockIndex) -> list[str]:
    """The record's params and data digests against dvc.lock at its commit."""
    facts = locks.facts(lock_at(record))
    at = record.commit[:12]
    if facts is None:
        return [f"dvc.lock at {at} is not readable, so its params and data cannot be checked"]
    problems = []
    expected = facts.params
    recorded = record.pred.get("params")
    if recorded != expected:
        problems.append(f"params: {_differences(expected, recorded, f'dvc.lock at {at}')}")
    data = record.pred.get("data")
    if not isinstance(data, list):
        return [*problems, f"data: {data!r} is not a list of data dependencies"]
    for entry in data:
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str):
            problems.append(f"data: {entry!r} names no path")
            continue
        md5 = facts.deps.get(path)
        if entry.get("md5") != md5:
            problems.append(f"data: {path}: dvc.lock at {at} has md5 {md5}, the record says "
                            f"{entry.get('md5')}")
        if "source" in entry:  # records before imports were recorded have no source
            problems.extend(_source(record, path, entry["source"], locks.root))
    return problems


def _source(record: Record, path: str, claimed: Any, root: Path) -> list[str]:
    """A recorded import source against the `.dvc` file at the record's commit."""
    if not _SAFE_PATH.fullmatch(path):
        return [f"data: {path!r} is not a path"]
    found = import_source(git.RevReader(record.commit, cwd=root), path)
    expected = None if found is None else found.as_record()
    if claimed == expected:
        return []
    at = record.commit[:12]
    return [f"data: {path}: the record says it was imported from {claimed!r}, the "
            f"commit {at} says {expected if expected is not None else 'it is no import'}"]


def _declared_metrics(records: list[Record], root: Path
                      ) -> dict[int, tuple[list[str], str | None]]:
    """id(record) -> (the metrics files its policy declares, or a problem with the policy).
    The policy is read where the record says it was (its commit and path), and must be the
    blob it names and the declaration of its model; the record's subject and dvc.lock must
    be that declaration's artifact and the dvc.lock beside its pipeline (else a record of
    one model could name another's artifact, or another pipeline's dvc.lock, which verify
    correctly against their own commit)."""
    specs: dict[int, str] = {}
    found: dict[int, tuple[list[str], str | None]] = {}
    for record in records:
        policy = record.mapping("policy")
        commit, path, blob = policy.get("commit"), policy.get("path"), policy.get("blob")
        want = f"{PIPELINES_DIR}/{record.model}.yaml"
        if path != want:
            found[id(record)] = ([], f"policy: names {path!r}, not {want}, the declaration "
                                     f"of {record.model}")
        elif not (isinstance(commit, str) and _OBJECT_ID.fullmatch(commit)
                  and isinstance(blob, str) and _SAFE_PATH.fullmatch(want)):
            found[id(record)] = ([], f"policy: names no commit and blob ({commit!r}, {blob!r})")
        else:
            specs[id(record)] = f"{commit}:{path}"
    distinct = sorted(set(specs.values()))
    oids = {spec: found[0] if found and found[1] == "blob" else None
            for spec, found in zip(distinct, git.object_kinds(distinct, cwd=root), strict=True)}
    wanted = sorted({oid for oid in oids.values() if oid})
    parsed = {oid: _declaration(blob.data if blob else b"")
              for oid, blob in zip(wanted, git.cat_files(wanted, cwd=root), strict=True)}
    for record in records:
        if id(record) in found:
            continue
        oid = oids[specs[id(record)]]
        policy = record.mapping("policy")
        if oid is None:
            found[id(record)] = ([], f"policy: {policy['path']} does not exist at "
                                     f"{policy['commit'][:12]}")
        elif oid != policy["blob"]:
            found[id(record)] = ([], f"policy: {policy['path']} at {policy['commit'][:12]} is "
                                     f"blob {oid}, the record says {policy['blob']}")
        else:
            declared = parsed[oid]
            if isinstance(declared, str):
                found[id(record)] = ([], f"policy: {policy['path']} ({oid[:12]}) {declared}")
            elif problem := _not_its_own(record, declared):
                found[id(record)] = ([], problem)
            else:
                found[id(record)] = (declared.files, None)
    return found


def _not_its_own(record: Record, declared: _Declared) -> str | None:
    """How the record's subject or dvc.lock is not its declaration's; None when both are."""
    name = record.subject.get("name")
    if name != declared.artifact:
        return (f"subject: names {name!r}, but {record.model}'s declaration at the policy's "
                f"commit has the artifact {declared.artifact!r}")
    lock = record.mapping("dvc_lock").get("path", "dvc.lock")
    if lock != declared.lock_file:
        return (f"dvc_lock: names {lock!r}, but {record.model}'s pipeline at the policy's "
                f"commit is {declared.pipeline!r}, whose dvc.lock is {declared.lock_file!r}")
    return None


@dataclass(frozen=True)
class _Declared:
    """What a record is checked against in its model's declaration."""

    files: list[str]  # metrics files
    artifact: str
    pipeline: str

    @property
    def lock_file(self) -> str:
        return lock_beside(self.pipeline)


def _declaration(raw: bytes) -> _Declared | str:
    """The metrics files, artifact and pipeline a declaration (valid when it judged) names;
    a problem (text) when they cannot be read. Read with libyaml's safe loader: the files
    are few, but the strict loader and the schema would cost more than the rest of this
    check."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(raw, Loader=loader)
    except yaml.YAMLError:
        return "is not readable YAML"
    if not isinstance(data, dict):
        return "is not a mapping"
    metrics = data.get("metrics")
    files = metrics.get("files") if isinstance(metrics, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) and _SAFE_PATH.fullmatch(f)
                                              for f in files):
        return "declares no list of metrics files"
    artifact, pipeline = data.get("artifact"), data.get("pipeline", "dvc.yaml")
    if not isinstance(artifact, str) or not isinstance(pipeline, str):
        return "declares no artifact or pipeline path"
    return _Declared(list(files), artifact, pipeline)


class _MetricsFiles:
    """Metrics files at commits: from git in one `git cat-file --batch`, else from the DVC
    cache through the md5 dvc.lock gives them there; each distinct content parsed once."""

    def __init__(self, locks: LockIndex, wanted: list[tuple[str, str]]) -> None:
        self.locks = locks
        distinct = sorted(set(wanted))
        specs = [f"{commit}:{path}" for commit, path in distinct]
        self._git = dict(zip(distinct, git.cat_files(specs, cwd=locks.root), strict=True))
        self._parsed: dict[str, dict[str, Any] | str] = {}
        self._cache: Path | None = None

    def read(self, commit: str, path: str, lock: str | None = None
             ) -> dict[str, Any] | str | None:
        """The file's metrics; a problem (text) when it is missing or does not parse; None
        when it is in DVC's keeping but not in the local cache."""
        blob = self._git.get((commit, path))
        if blob is not None:
            key, raw = blob.oid, blob.data
        else:
            facts = self.locks.facts(lock or commit)
            outs = facts.outs if facts else {}
            md5 = outs.get(path)
            holder = None if md5 else next(
                (out for out in outs if path.startswith(out.rstrip("/") + "/")), None)
            if not md5 and holder is None:
                return f"{path} is neither in git nor in dvc.lock at {commit[:12]}"
            if holder is not None:  # a file in a directory output, as DVCLive keeps them
                listing = outs[holder]
                md5 = listing and dir_member(self.locks.root, listing,
                                             path[len(holder.rstrip("/")) + 1:])
                if not md5:
                    return None  # the directory's listing is not in the local cache
            if self._cache is None:
                self._cache = cache_dir(self.locks.root)
            assert md5 is not None
            cached = object_path(self._cache, md5)
            if not cached.is_file():
                return None
            key, raw = "md5:" + md5, cached.read_bytes()
        if key not in self._parsed:
            try:
                self._parsed[key] = _plain(parse_metrics(raw, path))
            except MlgateError as exc:
                self._parsed[key] = f"{path} at {commit[:12]} does not parse: {exc.message}"
        return self._parsed[key]


def _metrics(record: Record, paths: list[str], files: _MetricsFiles) -> list[str] | None:
    """How the record's metrics differ from its commit's; None when they cannot be read."""
    merged: dict[str, Any] = {}
    for path in paths:
        found = files.read(record.commit, path, lock_at(record))
        if found is None:
            return None
        if isinstance(found, str):
            return [f"metrics: {found}"]
        merged.update(found)
    recorded = record.pred.get("metrics")
    if recorded == merged:
        return []
    where = f"{', '.join(paths) or '(no metrics files)'} at {record.commit[:12]}"
    return [f"metrics: {_differences(merged, recorded, where)}"]


def _differences(expected: dict[str, Any], recorded: Any, where: str) -> str:
    """`roc_auc: evaluation/metrics.json at ab12 has 0.91, the record says 0.99; ...`"""
    if not isinstance(recorded, dict):
        return f"the record has {recorded!r}, {where} has {expected!r}"
    ours, theirs = flatten(expected), flatten(recorded)
    keys = [k for k in sorted(set(ours) | set(theirs)) if ours.get(k, _NONE) !=
            theirs.get(k, _NONE)]
    shown = [f"{k}: {where} has {_show(ours.get(k, _NONE))}, the record says "
             f"{_show(theirs.get(k, _NONE))}" for k in keys[:_SHOWN]]
    more = f" (and {len(keys) - _SHOWN} more)" if len(keys) > _SHOWN else ""
    return "; ".join(shown) + more if shown else f"{where} has {expected!r}"


_NONE = object()


def _show(value: Any) -> str:
    return "nothing" if value is _NONE else json.dumps(value)


def _plain(data: dict[str, Any]) -> Any:
    """As the record holds it: through JSON (keys become text, tuples lists)."""
    try:
        return json.loads(json.dumps(data, default=str))
    except ValueError:  # NaN and the like: compared as they are
        return data
