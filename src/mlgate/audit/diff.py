"""`audit diff A B`: what changed between two deployments, from their records and git.

A and B name deployments by tag (`MODEL#ENV#N`, or `MODEL@vX.Y.Z` for the promotion that
registered that version) or by bare version (`v1.2.0`, when the model is clear from the
other side or the registry has one model). A tag deleted since is still found through the
ledger record that names it.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any

from mlgate.audit.records import Record
from mlgate.audit.timeline import iso
from mlgate.audit.trail import Trail
from mlgate.config.metricsfile import flatten
from mlgate.errors import MlgateError, suggest
from mlgate.plumbing import git
from mlgate.registry.ledger import digest
from mlgate.registry.tags import Version, parse_tag

HINT = "name a deployment by its tag (MODEL#ENV#N or MODEL@vX.Y.Z) or by version (vX.Y.Z); " \
       "`mlgate history` lists them"


@dataclass(frozen=True)
class Side:
    named: str  # as the user wrote it
    tag: str
    record: Record


def resolve_pair(trail: Trail, a: str, b: str) -> tuple[Side, Side]:
    models = [p.model for p in (parse_tag(a), parse_tag(b)) if p is not None]
    hint = models[0] if models else None
    return resolve(trail, a, hint), resolve(trail, b, hint)


def resolve(trail: Trail, text: str, model: str | None) -> Side:
    tag = text
    if parse_tag(text) is None:
        version = Version.parse(text)
        if version is None:
            raise MlgateError(f"{text!r} is neither a registry tag nor a version", hint=HINT)
        known = trail.models()
        if model is None and len(known) != 1:
            raise MlgateError(f"{text!r} could be a version of any model",
                              hint=f"write MODEL@v{version} (models: {', '.join(known) or 'none'})")
        tag = f"{model or known[0]}@v{version}"
    record = _record(trail, tag)
    if record is None:
        names = sorted(trail.registry.names | set(trail.naming()))
        close = suggest(tag, names)
        tip = f"did you mean {close!r}? " if close else ""
        raise MlgateError(f"no deployment record for {tag!r}", hint=tip + HINT)
    return Side(text, tag, record)


def _record(trail: Trail, tag: str) -> Record | None:
    named = trail.naming().get(tag)
    if named is not None:
        return named
    parsed = parse_tag(tag)
    assert parsed is not None
    event = next((e for e in trail.registry.model(parsed.model).events if e.name == tag), None)
    if event is None or event.record is None:
        return None
    return trail.by_digest.get(digest(event.record)) or Record(event.record)


def _side(side: Side) -> dict[str, Any]:
    r = side.record
    return {"named": side.named, "tag": side.tag, "model": r.model, "version": r.version,
            "environment": r.env, "action": r.action, "commit": r.commit,
            "time": iso(r.time), "record_digest": r.digest, "seq": r.seq,
            "approvals": r.listing("approvals"), "reason": r.pred.get("reason")}


def _changes(a: dict[str, Any], b: dict[str, Any], *, all_keys: bool = False
             ) -> list[dict[str, Any]]:
    keys = list(a) + [k for k in b if k not in a]
    return [{"key": k, "a": a.get(k), "b": b.get(k)} for k in keys
            if all_keys or a.get(k) != b.get(k)]


def _params(record: Record) -> dict[str, Any]:
    params = record.mapping("params")
    return {f"{file}:{key}": value for file, values in params.items()
            if isinstance(values, dict) for key, value in flatten(values).items()}


def _data(record: Record) -> dict[str, Any]:
    return {str(d.get("path")): d.get("md5") for d in record.listing("data")
            if isinstance(d, dict)}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _metrics(a: Record, b: Record) -> list[dict[str, Any]]:
    rows = _changes(flatten(a.mapping("metrics")), flatten(b.mapping("metrics")),
                    all_keys=True)
    for row in rows:
        x, y = _number(row["a"]), _number(row["b"])
        row["change"] = None if x is None or y is None else round(y - x, 12)
    return rows


def _gates(a: Record, b: Record) -> list[dict[str, Any]]:
    def by_name(record: Record) -> dict[str, Any]:
        results = record.mapping("decision").get("results")
        return {str(g.get("gate")): {"observed": g.get("observed"), "passed": g.get("passed"),
                                     "expected": g.get("expected")}
                for g in results if isinstance(g, dict)} if isinstance(results, list) else {}

    return _changes(by_name(a), by_name(b), all_keys=True)


def _code(trail: Trail, a: str, b: str) -> list[dict[str, str]] | None:
    if not (a and b and all(git.git_ok(["cat-file", "-e", f"{c}^{{commit}}"], cwd=trail.root)
                            for c in (a, b))):
        return None
    out = git.git(["diff", "--name-status", "--no-renames", a, b, "--"], cwd=trail.root)
    return [{"status": s, "path": p} for s, _, p in
            (line.partition("\t") for line in out.splitlines()) if p]


def _policy(trail: Trail, a: Record, b: Record) -> dict[str, Any]:
    pa, pb = a.mapping("policy"), b.mapping("policy")
    result: dict[str, Any] = {"a": pa, "b": pb, "changed": pa.get("blob") != pb.get("blob"),
                              "diff": None}
    if result["changed"]:
        blobs = git.cat_files([str(pa.get("blob")), str(pb.get("blob"))], cwd=trail.root)
        if all(blobs):
            old, new = (blob.data.decode("utf-8", "replace").splitlines(keepends=True)
                        for blob in blobs if blob)
            path = pa.get("path") or "policy"
            result["diff"] = "".join(difflib.unified_diff(old, new, f"A/{path}",
                                                          f"B/{pb.get('path') or path}"))
    return result


def compare(trail: Trail, a: Side, b: Side) -> dict[str, Any]:
    ra, rb = a.record, b.record
    return {
        "a": _side(a), "b": _side(b),
        "params": _changes(_params(ra), _params(rb)),
        "data": _changes(_data(ra), _data(rb)),
        "code": _code(trail, ra.commit, rb.commit),
        "policy": _policy(trail, ra, rb),
        "metrics": _metrics(ra, rb),
        "gates": _gates(ra, rb),
        "artifact": {"a": ra.digests, "b": rb.digests},
        "evaluation": _evaluation(ra, rb),
    }


def evaluation_facts(record: Record) -> dict[str, Any]:
    """A record's independent evaluation, flat: what judged (holdout, scorer, blob ids),
    the candidate's holdout metrics, each paired difference with its interval and seed."""
    ev = record.mapping("evaluation")
    if not ev:
        return {}
    hold: dict[str, Any] = ev["holdout"] if isinstance(ev.get("holdout"), dict) else {}
    found: dict[str, Any] = {"holdout": f"{hold.get('path')} md5 {hold.get('md5')}",
                             "rows": ev.get("rows"), "ref": ev.get("ref"),
                             "commit": ev.get("commit"), "command": ev.get("command")}
    code: dict[str, Any] = ev["code"] if isinstance(ev.get("code"), dict) else {}
    found.update({f"code {path}": blob for path, blob in code.items()})
    cand = ev.get("candidate")
    metrics = cand.get("metrics") if isinstance(cand, dict) else None
    if isinstance(metrics, dict):
        found.update({f"candidate {k}": v for k, v in flatten(metrics).items()})
    paired = ev.get("paired")
    for p in paired if isinstance(paired, list) else []:
        if isinstance(p, dict):
            found[f"paired {p.get('metric')} vs {p.get('incumbent_version')}"] = (
                f"{p.get('difference')} [{p.get('low')}, {p.get('high')}] "
                f"{p.get('method')} seed {p.get('seed')}")
    return found


def _evaluation(a: Record, b: Record) -> list[dict[str, Any]] | None:
    """Every fact of the two records' evaluations; None when neither has one."""
    fa, fb = evaluation_facts(a), evaluation_facts(b)
    if not fa and not fb:
        return None
    return _changes(fa, fb, all_keys=True)
