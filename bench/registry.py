"""Reading the registry at scale: `mlgate show`, `history` and `audit verify` against the
floor (one `git for-each-ref` of the tags) and against `gto show`.

Builds, with `git fast-import`, repositories of 1,000 and 10,000 GTO-format tags whose
messages carry mlgate records (80% promotions, 20% refusals, a new version every fourth
promotion), and a ledger branch holding the same records, hash-chained and indexed as
mlgate writes them; then times (median of a few runs) each command in the same process.
Targets (issue 5), at 10,000 tags: mlgate within 1.5x the floor plus its start-up; at
least 100x faster than `gto show`; `audit verify` over 10,000 records under 5 s.

With monitoring (issue 19, `--monitoring`): the 10,000-tag registry's ledger also holds,
after each deployment record, a monitoring record of that model and environment (the
version it serves, 12 features' statistics, the production metric and gap), chained and
indexed as mlgate writes them: as many monitoring records as deployment records. Timed:
`history` (every event), `history --events promotion`, `history --events monitoring` and
`audit verify`; target: `history` within 1.5x the floor plus start-up, as promotions alone.

`history` keeps the rows a whole reading made in a memo (.git/mlgate/history-memo) and
reads them back while the ledger head and the tags are what they were; new ledger commits
extend it. Each `history` case is timed three ways: with no memo (the first `history` on
a machine, which also writes the memo; the memo removed before each run), with the memo
(the median of the runs), and, with a ledger, one commit after the memo's (the ledger
moved back one commit and `history` run, untimed, before each timed run).

A GTO-only case (issue 20) builds 10,000 tags as GTO writes them (annotated tags, what
`git tag -a` makes, with GTO's messages and no record: `model@v1.2.0` registers,
`model#env#N` assigns) and no ledger, as DVC Studio users have, and times `mlgate history`
against the same floor; target: within 1.5x the floor plus start-up.

Run from the repository root:
`.venv/bin/python bench/registry.py [--gto-at-10k] [--gto-only] [--monitoring]`
(`gto show` at 10,000 tags takes minutes, so it is timed there only when asked).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import compile_mlgate

from mlgate.plumbing.git import blob_id
from mlgate.registry import ledger

PYTHON = sys.executable
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "ITERATIVE_DO_NOT_TRACK": "1",
       "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
       "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
MODELS = 20
START = 1_700_000_000
FORMAT = ("%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objectname)%00"
          "%(taggerdate:unix)%00%(creatordate:unix)%00%(taggername)%00%(taggeremail)%00"
          "%(contents)%00")


def git(args: list[str], cwd: Path, data: bytes | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, input=data, capture_output=True,
                          check=True).stdout.decode()


def lock_text(i: int) -> bytes:
    md5 = hashlib.md5(f"model {i}".encode(), usedforsecurity=False).hexdigest()
    data = hashlib.md5(f"data {i}".encode(), usedforsecurity=False).hexdigest()
    return (f"schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    deps:\n"
            f"    - path: data/train.csv\n      md5: {data}\n      size: 10\n"
            f"    params:\n      params.yaml:\n        train.depth: 6\n        train.seed: {i}\n"
            f"    outs:\n    - path: model.bin\n      md5: {md5}\n      size: 10\n").encode()


def metrics_text(i: int) -> bytes:
    return json.dumps({"roc_auc": 0.9, "accuracy": 0.8, "log_loss": 0.3 + i / 1e6}).encode()


def declaration(model: str) -> bytes:
    """A model's declaration, as `audit verify` reads it to find the metrics files."""
    return (f"name: {model}\ndescription: A stand-in.\nowner:\n  name: Bench\n"
            f"  email: bench@example.com\nrisk_tier: low\nintended_use: Benchmarks.\n"
            f"review:\n  last_validated: \"2026-01-01\"\n  interval_days: 365\n"
            f"artifact: model.bin\nmetrics:\n  files: [metrics.json]\npromotion:\n"
            f"  environments:\n    - name: staging\n      gates:\n        - kind: threshold\n"
            f"          metric: roc_auc\n          min: 0.7\n    - name: production\n"
            f"      gates:\n        - kind: threshold\n          metric: roc_auc\n"
            f"          min: 0.75\n").encode()


def data_block(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def model_commits(repo: Path, count: int) -> list[str]:
    """``count`` commits on main, each with its own dvc.lock and metrics; the first also
    declares the models."""
    stream = bytearray()
    for i in range(count):
        stream += b"commit refs/heads/main\nmark :%d\n" % (i + 1)
        stream += b"committer Bench <bench@example.com> %d +0000\n" % (START + i)
        stream += data_block(b"version %d" % i)
        if i:
            stream += b"from :%d\n" % i
        stream += b"M 100644 inline dvc.lock\n" + data_block(lock_text(i))
        stream += b"M 100644 inline metrics.json\n" + data_block(metrics_text(i))
        for m in range(MODELS) if not i else ():
            stream += f"M 100644 inline pipelines/model-{m}.yaml\n".encode()
            stream += data_block(declaration(f"model-{m}"))
    git(["fast-import", "--quiet"], repo, bytes(stream))
    return git(["rev-list", "--reverse", "main"], repo).split()


def record(seq: int, model: str, env: str, action: str, version: str, commit: str,
           index: int, previous: str | None, tags: list[str], when: int) -> dict[str, Any]:
    """A record true to its commit (the index-th): what `audit verify` checks it against."""
    lock = lock_text(index)
    md5 = hashlib.md5(lock, usedforsecurity=False).hexdigest()
    out_md5 = lock.decode().split("path: model.bin\n      md5: ")[1].split()[0]
    data_md5 = lock.decode().split("md5: ")[1].split()[0]
    gates = [{"gate": f"threshold {m}", "kind": "threshold", "index": i, "observed": 0.9,
              "expected": ">= 0.8", "passed": action != "refused", "why": "...", "details": {}}
             for i, m in enumerate(("roc_auc", "accuracy", "f1", "log_loss"))]
    return ledger.statement("model.bin", hashlib.sha256(out_md5.encode()).hexdigest(), out_md5, {
        "model": model, "version": version, "environment": env, "action": action, "seq": seq,
        "commit": commit, "dvc_lock": {"path": "dvc.lock", "md5": md5},
        "params": {"params.yaml": {"train.depth": 6, "train.seed": index}},
        "data": [{"path": "data/train.csv", "md5": data_md5}],
        "metrics": json.loads(metrics_text(index)),
        "decision": {"model": model, "environment": env, "action": "promote",
                     "passed": action != "refused", "results": gates},
        "policy": {"path": f"pipelines/{model}.yaml", "ref": "refs/heads/main",
                   "commit": commit, "blob": blob_id(declaration(model))},
        "ci": {"actor": "ci-bot", "run_id": str(seq)}, "approvals": ["reviewer"],
        "reason": None, "previous": previous, "tags": tags,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))})


FEATURES = [f"feature_{i}" for i in range(12)]


def monitoring_record(seq: int, model: str, env: str, serving: dict[str, Any] | None,
                      previous: str | None, when: int) -> dict[str, Any]:
    """A monitoring record of the size `monitor --record` writes for 12 features."""
    pred = serving["predicate"] if serving else {}
    verdict = "alert" if seq % 7 == 0 else "ok"
    stats = {"psi": {"value": 0.01 + seq % 13 / 100, "level": "ok"},
             "wasserstein": {"value": 0.02, "level": "ok"},
             "null_rate_jump": {"value": 0.0, "level": "ok"}}
    digest = hashlib.sha256(f"batch {seq}".encode()).hexdigest()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))
    return {"_type": ledger.STATEMENT_TYPE,
            "subject": [{"name": f"batches/{seq}.parquet", "digest": {"sha256": digest}}],
            "predicateType": ledger.MONITORING_TYPE, "predicate": {
                "model": model, "version": pred.get("version"), "environment": env,
                "action": "monitor", "seq": seq, "commit": pred.get("commit"),
                "deployment": ledger.digest(serving) if serving else None,
                "reference": {"path": "monitoring/reference.json", "sha256": digest,
                              "rows": 50_000},
                "batches": [{"path": f"batches/{seq}.parquet", "sha256": digest,
                             "rows": 10_000}],
                "rows": 10_000, "window": {"from": stamp, "to": stamp},
                "labels": {"labelled": 9_000, "unlabelled": 1_000, "coverage": 0.9},
                "verdict": verdict,
                "actions": ["open_issue", "retrain"] if verdict == "alert" else [],
                "drift": {"level": verdict, "alerting": int(verdict == "alert"), "warning": 0,
                          "watched": len(FEATURES), "max_psi": 0.13, "score_psi": 0.02},
                "schema": [],
                "features": [{"column": f, "kind": "numeric", "level": "ok",
                              "statistics": stats} for f in FEATURES],
                "score": {"column": "score", "kind": "numeric", "level": "ok",
                          "statistics": stats},
                "performance": {"metric": "roc_auc", "direction": "higher",
                                "production": 0.88, "recorded": 0.9, "gap": 0.02,
                                "max_gap": 0.05, "level": "ok",
                                "recorded_source": "the deployment record", "note": None},
                "notes": [], "ci": {"actor": "ci-bot", "run_id": str(seq)}, "time": stamp,
                "previous": previous}}


def ledger_commit(stream: bytearray, rec: dict[str, Any], parent_mark: int, when: int,
                  index_path: str, chain: str) -> int:
    """Append ``rec``'s ledger commit to the fast-import stream; returns its mark."""
    seq = rec["predicate"]["seq"]
    path = ledger.record_path(rec)
    body = json.dumps(rec, sort_keys=True, indent=2).encode() + b"\n"
    env_index = json.dumps({"digest": chain, "path": path, "seq": seq},
                           sort_keys=True, indent=2).encode() + b"\n"
    stream += b"commit refs/heads/mlgate/ledger\nmark :%d\n" % (100_000 + seq)
    stream += b"committer Bench <bench@example.com> %d +0000\n" % when
    stream += data_block(ledger.commit_message(rec).encode())
    if parent_mark:
        stream += b"from :%d\n" % parent_mark
    stream += f"M 100644 inline {path}\n".encode() + data_block(body)
    stream += f"M 100644 inline {index_path}\n".encode() + data_block(env_index)
    stream += b"M 100644 inline index/head.json\n" + data_block(
        json.dumps({"seq": seq}, indent=2).encode() + b"\n")
    return 100_000 + seq


def build(repo: Path, tags_wanted: int, monitoring: bool = False) -> int:
    """A registry of about ``tags_wanted`` tags; returns the number of records. With
    ``monitoring``, a monitoring record follows each deployment record on the ledger."""
    git(["init", "-q", "-b", "main"], repo)
    commits = model_commits(repo, max(tags_wanted // 8, 2))
    stream = bytearray()
    chain: dict[tuple[str, str], str] = {}
    counters: dict[str, int] = {}
    versions: dict[str, int] = {}
    parent_mark = 0
    seq = tags = step = 0
    serving: dict[tuple[str, str], dict[str, Any]] = {}
    watched: dict[tuple[str, str], str] = {}
    while tags < tags_wanted:
        seq += 1
        step += 1
        model = f"model-{step % MODELS}"
        env = ("staging", "production")[step // MODELS % 2]
        action = "refused" if step % 5 == 0 else "promote"
        index = (step // MODELS) % len(commits)
        names: list[str] = []
        if action == "promote":
            if step // MODELS % 4 == 0 or model not in versions:
                versions[model] = versions.get(model, 0) + 1
                names.append(f"{model}@v1.{versions[model]}.0")
            counters[model] = counters.get(model, 0) + 1
            names.append(f"{model}#{env}#{counters[model]}")
        version = f"1.{versions.get(model, 1)}.0"
        when = START + 10_000 + seq
        rec = record(seq, model, env, action, version, commits[index], index,
                     chain.get((model, env)), names, when)
        chain[(model, env)] = ledger.digest(rec)
        parent_mark = ledger_commit(stream, rec, parent_mark, when, f"index/{model}/{env}.json",
                                    chain[(model, env)])
        if action == "promote":
            serving[(model, env)] = rec
        if monitoring:
            seq += 1
            run = monitoring_record(seq, model, env, serving.get((model, env)),
                                    watched.get((model, env)), when)
            watched[(model, env)] = ledger.digest(run)
            parent_mark = ledger_commit(stream, run, parent_mark, when,
                                        f"index/{model}/{env}.monitoring.json",
                                        watched[(model, env)])
        message = ledger.tag_message(rec).encode()
        for name in names:
            stream += f"tag {name}\nfrom {commits[index]}\n".encode()
            stream += b"tagger Bench <bench@example.com> %d +0000\n" % when
            stream += data_block(message)
            tags += 1
    git(["fast-import", "--quiet"], repo, bytes(stream))
    return seq


def build_gto_only(repo: Path, tags_wanted: int) -> None:
    """``tags_wanted`` record-less tags in GTO's formats and messages, with no ledger."""
    git(["init", "-q", "-b", "main"], repo)
    commits = model_commits(repo, max(tags_wanted // 8, 2))
    stream = bytearray()
    counters: dict[str, int] = {}
    versions: dict[str, int] = {}
    tags = seq = 0
    while tags < tags_wanted:
        seq += 1
        model = f"model-{seq % MODELS}"
        env = ("staging", "production")[seq // MODELS % 2]
        commit = commits[(seq // MODELS) % len(commits)]
        made: list[tuple[str, str]] = []
        if seq // MODELS % 4 == 0 or model not in versions:
            versions[model] = versions.get(model, 0) + 1
            version = f"v1.{versions[model]}.0"
            made.append((f"{model}@{version}",
                         f"Registering artifact {model} version {version}"))
        counters[model] = counters.get(model, 0) + 1
        made.append((f"{model}#{env}#{counters[model]}",
                     f"Assigning stage {env} to artifact {model} version v1.{versions[model]}.0"))
        for name, message in made:
            stream += f"tag {name}\nfrom {commit}\n".encode()
            stream += b"tagger Bench <bench@example.com> %d +0000\n" % (START + 10_000 + seq)
            stream += data_block(message.encode())
            tags += 1
    git(["fast-import", "--quiet"], repo, bytes(stream))


def gto_only_case(mlgate: list[str], startup: float, runs: int, size: int = 10_000) -> None:
    with tempfile.TemporaryDirectory(prefix="mlgate-bench-") as scratch:
        repo = Path(scratch)
        started = time.perf_counter()
        build_gto_only(repo, size)
        built = time.perf_counter() - started
        print(f"\n{size:,} tags made by GTO alone, no records (built in {built:.1f} s)")
        floor = wall(["git", "for-each-ref", f"--format={FORMAT}", "refs/tags"], repo, runs)
        print(f"  git for-each-ref (floor)   {floor:7.3f} s")
        budget = 1.5 * floor + startup
        for label, took in timed_history(mlgate, repo, [], runs):
            print(f"  {label:<27}{took:7.3f} s   {took / floor:6.1f}x floor, "
                  f"{took / (floor + startup):5.2f}x (floor + start-up); target 1.5x floor "
                  f"+ start-up = {budget:.3f} s")


def monitoring_case(mlgate: list[str], startup: float, runs: int, size: int = 10_000) -> None:
    with tempfile.TemporaryDirectory(prefix="mlgate-bench-") as scratch:
        repo = Path(scratch)
        started = time.perf_counter()
        records = build(repo, size, monitoring=True)
        built = time.perf_counter() - started
        print(f"\n{size:,} tags, {records:,} records of which {records // 2:,} monitoring "
              f"(built in {built:.1f} s)")
        floor = wall(["git", "for-each-ref", f"--format={FORMAT}", "refs/tags"], repo, runs)
        print(f"  git for-each-ref (floor)   {floor:7.3f} s")
        budget = 1.5 * floor + startup
        for args in ([], ["--events", "promotion"], ["--events", "monitoring"]):
            for label, took in timed_history(mlgate, repo, args, runs, ledger=True):
                print(f"  {label:<42}{took:7.3f} s   {took / (floor + startup):5.2f}x (floor "
                      f"+ start-up); target 1.5x floor + start-up = {budget:.3f} s")
        verify = wall([*mlgate, "audit", "verify"], repo, runs)
        print(f"  {'mlgate audit verify':<27}{verify:7.3f} s   {records / verify:,.0f} "
              "records/s")


MEMO = Path(".git/mlgate/history-memo")
LEDGER_REF = "refs/heads/mlgate/ledger"


def timed_history(mlgate: list[str], repo: Path, args: list[str], runs: int, *,
                  ledger: bool = False) -> list[tuple[str, float]]:
    """`history ARGS` with no memo, with the memo, and (``ledger``) one commit after it."""
    argv = [*mlgate, "history", *args]
    name = " ".join(["history", *args])
    timed = [(f"{name} (no memo)", wall(argv, repo, runs,
                                        before=lambda: (repo / MEMO).unlink(missing_ok=True)))]
    # a whole reading writes the memo (one with --events, or a model, reads it only)
    subprocess.run([*mlgate, "history"], cwd=repo, env=ENV, stdout=subprocess.DEVNULL,
                   check=True)
    timed.append((f"{name} (memo)", wall(argv, repo, runs)))
    if ledger:
        head = git(["rev-parse", LEDGER_REF], repo).strip()

        def one_behind() -> None:
            git(["update-ref", LEDGER_REF, f"{head}~1"], repo)
            subprocess.run([*mlgate, "history"], cwd=repo, env=ENV, stdout=subprocess.DEVNULL,
                           check=True)
            git(["update-ref", LEDGER_REF, head], repo)

        timed.append((f"{name} (memo, 1 commit behind)", wall(argv, repo, runs,
                                                              before=one_behind)))
    return timed


def wall(argv: list[str], cwd: Path, runs: int,
         before: Callable[[], object] | None = None) -> float:
    """The median wall time of ``runs`` runs of ``argv``, ``before`` run (untimed) before
    each."""
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, check=False)
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr.decode()[-2000:]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gto-at-10k", action="store_true", help="time `gto show` at 10,000")
    parser.add_argument("--gto-only", action="store_true",
                        help="only the registry made by GTO alone (10,000 record-less tags)")
    parser.add_argument("--monitoring", action="store_true",
                        help="only the 10,000-tag registry with as many monitoring records")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    mlgate = [PYTHON, "-m", "mlgate"]
    compile_mlgate()
    startup = wall([*mlgate, "--version"], Path.cwd(), args.runs)
    print(f"mlgate start-up (--version)  {startup:.3f} s")
    if args.monitoring:
        monitoring_case(mlgate, startup, args.runs)
        return
    gto_only_case(mlgate, startup, args.runs)
    for size in () if args.gto_only else (1_000, 10_000):
        with tempfile.TemporaryDirectory(prefix="mlgate-bench-") as scratch:
            repo = Path(scratch)
            started = time.perf_counter()
            records = build(repo, size)
            built = time.perf_counter() - started
            print(f"\n{size:,} tags, {records:,} records (built in {built:.1f} s)")
            floor = wall(["git", "for-each-ref", f"--format={FORMAT}", "refs/tags"], repo,
                         args.runs)
            print(f"  git for-each-ref (floor)   {floor:7.3f} s")
            budget = 1.5 * floor + startup
            timed = {"mlgate show": wall([*mlgate, "show"], repo, args.runs)}
            for label, took in timed_history(mlgate, repo, [], args.runs, ledger=True):
                timed[label] = took
            timed["mlgate history"] = timed["history (no memo)"]
            for label, took in timed.items():
                if label != "mlgate history":
                    print(f"  {label:<34}{took:7.3f} s   {took / (floor + startup):5.2f}x "
                          f"(floor + start-up); target 1.5x floor + start-up = {budget:.3f} s")
            verify = wall([*mlgate, "audit", "verify"], repo, args.runs)
            print(f"  {'mlgate audit verify':<25}  {verify:7.3f} s   "
                  f"{records / verify:,.0f} records/s; target < 5 s at 10,000 records")
            if size < 10_000 or args.gto_at_10k:
                gto = wall([PYTHON, "-m", "gto.cli", "show", "--json"], repo, 1)
                print(f"  gto show                   {gto:7.3f} s   "
                      f"{gto / timed['mlgate show']:6.1f}x mlgate show, "
                      f"{gto / timed['mlgate history']:6.1f}x mlgate history")


if __name__ == "__main__":
    main()
