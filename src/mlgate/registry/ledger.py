"""Deployment records: build, canonical JSON, digests, the hash chain, and the ledger branch.

A record is an in-toto Statement v1 whose subject is the model artifact and whose
predicate says what happened (promote, rollback, retire, refused), to which version and
environment, on what evidence. Its digest is the sha256 of its canonical JSON; each
record names the digest of the previous record for the same model and environment, so
that removing or editing one breaks the chain.

The ledger is the branch `mlgate/ledger`: one commit per record, each adding
`records/<seq>-<model>-<env>-<action>.json`, built with plumbing (a temporary index,
`write-tree`, `commit-tree`), never a checkout.

Besides deployment records the ledger holds what was observed: monitoring records (action
`monitor`, :data:`MONITORING_TYPE`) and deploy records (action `deploy`,
:data:`DEPLOY_TYPE`). They share the sequence numbers (one total order) but each kind has
its own chain per model and environment, with its own index file
(`index/<model>/<env>.<kind>.json`; deployment records keep `index/<model>/<env>.json`).
They are ledger commits only, never tags: a tag in the registry's grammar is an event to
GTO (a registration or an assignment), and one tag per daily monitoring run would make
every registry read, clone and fetch grow with time for no registry event.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.errors import InvalidFile
from mlgate.plumbing import git, jsonread

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://mlgate.dev/deployment/v1"
LEDGER_BRANCH = "mlgate/ledger"
LEDGER_REF = f"refs/heads/{LEDGER_BRANCH}"
MONITORING_TYPE = "https://mlgate.dev/monitoring/v1"
DEPLOY_TYPE = "https://mlgate.dev/deploy/v1"
ACTIONS = ("promote", "rollback", "retire", "refused")
# the kind of record each predicate type is, and the one action a record of it takes
KINDS = {PREDICATE_TYPE: "deployment", MONITORING_TYPE: "monitoring", DEPLOY_TYPE: "deploy"}
KIND_ACTIONS = {"monitoring": ("monitor",), "deploy": ("deploy",), "deployment": ACTIONS}


def canonical(data: Any) -> bytes:
    """Canonical JSON: sorted keys, no insignificant white space, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def digest(record: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical(record)).hexdigest()


def statement(subject_path: str, sha256: str | None, md5: str | None,
              predicate: dict[str, Any], predicate_type: str = PREDICATE_TYPE
              ) -> dict[str, Any]:
    digests = {k: v for k, v in (("sha256", sha256), ("md5", md5)) if v}
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": subject_path, "digest": digests}],
        "predicateType": predicate_type,
        "predicate": predicate,
    }


def kind(record: dict[str, Any]) -> str:
    """"deployment", "monitoring" or "deploy"; "deployment" for an unknown type (whose
    record `audit verify` reports)."""
    of = record.get("predicateType")
    return KINDS.get(of, "deployment") if isinstance(of, str) else "deployment"


def summary(record: dict[str, Any]) -> str:
    p = record["predicate"]
    version = f" v{p['version']}" if p.get("version") else ""
    where = {"promote": "to", "rollback": "in", "retire": "from", "refused": "for",
             "monitor": "in", "deploy": "to"}[p["action"]]
    said = f": {p['verdict']}" if isinstance(p.get("verdict"), str) else ""
    address = f" ({p['address']})" if isinstance(p.get("address"), str) else ""
    return f"{p['action']} {p['model']}{address}{version} {where} {p['environment']}{said}"


RECORD_TRAILER = "mlgate-record: "
SUMMARY_TRAILER = "mlgate-summary: "
_SUMMARY_KEYS = ("model", "address", "environment", "action", "version", "commit", "seq",
                 "tags", "time", "approvals", "reason", "verdict", "actions", "route",
                 "deployment", "outcome", "detail")


def projection(record: dict[str, Any]) -> dict[str, Any]:
    """What `mlgate history` shows of a record: a part of its predicate, with the same keys
    and shapes (the CI actor, metrics that are not nested, the verdict and the gates' names).
    Ledger commits carry it, so that the history of 10,000 records is one `git log`;
    `audit verify` checks that it is the projection of the record the commit adds. Records
    are untrusted input here: whatever does not have the expected shape is left out."""
    pred = record.get("predicate")
    pred = pred if isinstance(pred, dict) else {}
    out: dict[str, Any] = {k: pred[k] for k in _SUMMARY_KEYS if k in pred}
    ci = pred.get("ci")
    if isinstance(ci, dict) and "actor" in ci:
        out["ci"] = {"actor": ci["actor"]}
    metrics = pred.get("metrics")
    if isinstance(metrics, dict):
        out["metrics"] = {k: v for k, v in metrics.items() if not isinstance(v, dict | list)}
    decision = pred.get("decision")
    if isinstance(decision, dict):
        results = decision.get("results")
        out["decision"] = {
            "passed": decision.get("passed"),
            "results": [r.get("gate") for r in results if isinstance(r, dict)]
            if isinstance(results, list) else [],
        }
    performance = pred.get("performance")
    if isinstance(performance, dict):  # a monitoring record's production metric and gap
        out["performance"] = {k: performance[k] for k in ("metric", "production", "gap")
                              if k in performance and not isinstance(performance[k],
                                                                     dict | list)}
    drift = pred.get("drift")
    if isinstance(drift, dict):
        out["drift"] = {k: v for k, v in drift.items() if not isinstance(v, dict | list)}
    return out


def commit_message(record: dict[str, Any]) -> str:
    """A ledger commit's message: a one-line summary, then trailers naming the record the
    commit adds and carrying its :func:`projection` as canonical JSON (one line)."""
    shown = canonical(projection(record)).decode("utf-8")
    return (f"{summary(record)}\n\n{SUMMARY_TRAILER}{shown}\n"
            f"{RECORD_TRAILER}{record_path(record)}\n")


def tag_message(record: dict[str, Any]) -> str:
    """A tag's message: a one-line summary, a blank line, the record as canonical JSON."""
    return summary(record) + "\n\n" + canonical(record).decode("utf-8") + "\n"


def record_from_message(message: str) -> dict[str, Any] | None:
    """The record in a tag message, or None (a tag made by GTO alone, or by hand)."""
    _, sep, body = message.partition("\n\n")
    body = body.strip()
    if not sep or not body.startswith("{"):
        return None
    end = body.rfind("}")  # a signature block may follow
    try:
        data = jsonread.loads(body[: end + 1], max_depth=jsonread.RECORD_DEPTH)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or data.get("predicateType") != PREDICATE_TYPE:
        return None
    return data


@dataclass(frozen=True)
class Entry:
    """One ledger commit and the record it added."""

    commit: str
    parent: str | None
    path: str
    record: dict[str, Any]
    raw: bytes

    @property
    def seq(self) -> int:
        return int(self.record["predicate"].get("seq", 0))


def record_path(record: dict[str, Any]) -> str:
    p = record["predicate"]
    return f"records/{p['seq']:08d}-{p['model']}-{p['environment']}-{p['action']}.json"


def ledger_head(*, cwd: Path) -> str | None:
    out = git.git(["rev-parse", "--verify", "--quiet", LEDGER_REF], cwd=cwd, check=False)
    return out.strip() or None


def _index_paths(model: str, env: str, of: str = "deployment") -> tuple[str, str]:
    """(the chain's index, the head's index). Environment names hold no dot, so a kind's
    `<env>.<kind>.json` is never another environment's `<env>.json`."""
    suffix = "" if of == "deployment" else f".{of}"
    return (f"index/{model}/{env}{suffix}.json", "index/head.json")


def index_path(record: dict[str, Any]) -> str:
    """The index file that the record's chain keeps (see :func:`_index_paths`)."""
    p = record["predicate"]
    return _index_paths(p["model"], p["environment"], kind(record))[0]


@dataclass(frozen=True)
class ChainHead:
    """Where the ledger stands: its last sequence number, and the last record's digest for
    one model and environment (None when it has none)."""

    seq: int
    previous: str | None


def chain_head(model: str, env: str, *, cwd: Path, ref: str = LEDGER_REF,
               of: str = "deployment") -> ChainHead:
    """Read in O(1) from the small index files the ledger keeps beside its records; ``of``
    is the kind of record whose chain is meant."""
    env_index, head_index = _index_paths(model, env, of)
    blobs = git.cat_files([f"{ref}:{env_index}", f"{ref}:{head_index}"], cwd=cwd)
    env_data = _index(blobs[0].data, f"{ref}:{env_index}") if blobs[0] else {}
    head_data = _index(blobs[1].data, f"{ref}:{head_index}") if blobs[1] else {}
    seq, previous = head_data.get("seq", 0), env_data.get("digest")
    if type(seq) is not int or not (previous is None or isinstance(previous, str)):
        raise InvalidFile("expected {\"seq\": <integer>} and {\"digest\": <string>}",
                          path=f"{ref}:{head_index}", hint=_INDEX_HINT)
    return ChainHead(seq, previous)


_INDEX_HINT = "the ledger was not written by mlgate; `mlgate audit verify` says where"


def _index(raw: bytes, path: str) -> dict[str, Any]:
    """An index file of the ledger, which whoever can push the ledger branch controls."""
    data = jsonread.load_file(raw, path, hint=_INDEX_HINT)
    if not isinstance(data, dict):
        raise InvalidFile("expected a JSON object", path=path, line=1, hint=_INDEX_HINT)
    return data


def _blob_text(data: Any) -> str:
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def build_commit(record: dict[str, Any], parent: str | None, *, cwd: Path) -> str:
    """A ledger commit adding ``record`` on top of ``parent``; refs are not touched.
    Five git processes: blobs, a scratch index read from ``parent``, the three new
    entries, the tree, the commit."""
    path = record_path(record)
    p = record["predicate"]
    env_index, head_index = _index_paths(p["model"], p["environment"], kind(record))
    files = [(path, _blob_text(record)),
             (env_index, _blob_text({"digest": digest(record), "path": path, "seq": p["seq"]})),
             (head_index, _blob_text({"seq": p["seq"]}))]
    with tempfile.TemporaryDirectory(prefix="mlgate-ledger-") as scratch:
        sources = []
        for i, (_, text) in enumerate(files):
            source = Path(scratch, f"blob-{i}")
            source.write_bytes(text.encode("utf-8"))
            sources.append(str(source))
        blobs = git.git(["hash-object", "-w", "--no-filters", "--stdin-paths"], cwd=cwd,
                        input_bytes=("\n".join(sources) + "\n").encode()).split()
        env = {"GIT_INDEX_FILE": str(Path(scratch, "index"))}  # git creates it
        git.git(["read-tree", parent] if parent else ["read-tree", "--empty"], cwd=cwd, env=env)
        infos = [arg for (name, _), blob in zip(files, blobs, strict=True)
                 for arg in ("--cacheinfo", f"100644,{blob},{name}")]
        git.git(["update-index", "--add", *infos], cwd=cwd, env=env)
        tree = git.git(["write-tree"], cwd=cwd, env=env).strip()
    args = ["commit-tree", tree, "-m", commit_message(record)]
    if parent:
        args[2:2] = ["-p", parent]
    return git.git(args, cwd=cwd).strip()


def read_entries(*, cwd: Path, ref: str = LEDGER_REF) -> list[Entry]:
    """Every ledger record, oldest first: one `git log` and one `git cat-file --batch`."""
    if ".." not in ref and not git.git_ok(["rev-parse", "--verify", "--quiet", ref], cwd=cwd):
        return []
    out = git.git(["log", "--reverse", "--format=%x00%H %P", "--name-only",
                   "--diff-filter=A", ref], cwd=cwd)
    commits: list[tuple[str, str | None, list[str]]] = []
    for chunk in out.split("\0")[1:]:
        head, *rest = [line for line in chunk.splitlines() if line]
        names = [line for line in rest if line.startswith("records/")]
        sha, *parents = head.split()
        commits.append((sha, parents[0] if parents else None, names))
    specs = [f"{sha}:{paths[0]}" for sha, _, paths in commits if paths]
    blobs = iter(git.cat_files(specs, cwd=cwd))
    entries = []
    for sha, parent, paths in commits:
        if not paths:
            continue
        blob = next(blobs)
        if blob is None:
            continue
        try:
            record = jsonread.loads(blob.data, max_depth=jsonread.RECORD_DEPTH)
        except json.JSONDecodeError:
            record = {}
        entries.append(Entry(sha, parent, paths[0], record, blob.data))
    return entries
