"""`mlgate promote` in a repository whose registry already holds 10,000 tags.

Builds a tiny-like repo (tests/resources/tiny, reproduced, outputs in a local DVC remote,
a bare origin), then writes 10,000 registry tags (200 models x 25 versions, each
registered and assigned: 5,000 promotions; tiny is one of the models) with one
`git fast-import`, every tag carrying a full-size deployment record, and a ledger commit
holding the 5,000 records; refs are packed, as in a clone.

What is timed (each a median, each run promoting a new commit, so a new version):

- promote, as a user runs it: `mlgate promote tiny --env staging` in a process;
- DVC's status: the two `dvc status` calls promote makes (`--cloud` for the remote gate),
  run side by side the way promote runs them;
- mlgate's own time (the figure against the target): the same process, but with
  `facts.DvcStatus` answering "in sync" at once, so that the run is everything promote
  does except DVC's status: start-up, policy, registry read, facts, gates, record, tags,
  ledger commit, one ref transaction (the script asserts that DVC is not even imported);
  the same before the 10,000 tags were written; and the same with --push (fetch the
  registry from an origin that has the 10,000 tags, one atomic push: this figure also
  holds the work of the origin's own git processes, which GitHub does in production);
- the registry steps in this process: read_registry, chain_head, build, apply.

Target (issue 4): mlgate's own promote time under 0.5 s at 10,000 tags.

`--at-once` times instead what a merge that touches many models starts (issue 20): 20
`mlgate promote --push` processes at once, each in its own clone of one bare origin (15
models once, and 5 merged commits of tiny, with --rev), until the last has landed; every
one must end promoted, and origin's ledger must hold 20 records. For scale: one promotion
alone, from a clone, and its 20 times.
`--gto` adds, for reference, `gto assign` in a repo with 2,000 such tags (GTO took 21 s).

Run from the repository root: `.venv/bin/python bench/promote.py [--gto]`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import compile_mlgate

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.5
RUNS = 5
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "ITERATIVE_DO_NOT_TRACK": "1",
       "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Bench", "GIT_COMMITTER_NAME": "Bench",
       "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_EMAIL": "bench@example.com",
       "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
for _name in [n for n in ENV if n.startswith("GITHUB_") or n == "MLGATE_FAILPOINT"]:
    del ENV[_name]

# mlgate's CLI with DVC's status answered at once: what remains is mlgate's own work
WITHOUT_DVC_STATUS = """
import sys
from mlgate.gates import facts

class InSync:
    def __init__(self, root, stages, *, cloud=False):
        pass
    def result(self):
        return True, ()
    def cancel(self):
        pass

facts.DvcStatus = InSync
from mlgate.cli import main
code = main(sys.argv[1:])
assert "dvc" not in sys.modules, "DVC was imported"
sys.exit(code)
"""


def run(argv: list[str], cwd: Path, *, stdin: bytes | None = None) -> str:
    proc = subprocess.run(argv, cwd=cwd, env=ENV, input=stdin, capture_output=True,
                          check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} failed:\n{proc.stdout.decode()}"
                         f"{proc.stderr.decode()}")
    return proc.stdout.decode()


def git(*args: str, cwd: Path, stdin: bytes | None = None) -> str:
    return run(["git", *args], cwd, stdin=stdin).strip()


def make_repo(where: Path) -> Path:
    work, origin, remote = where / "work", where / "origin.git", where / "dvc-remote"
    shutil.copytree(ROOT / "tests" / "resources" / "tiny", work)
    remote.mkdir()
    git("init", "-q", "--bare", "-b", "main", str(origin), cwd=where)
    git("init", "-q", "-b", "main", cwd=work)
    dvc = [sys.executable, "-m", "dvc"]
    run([*dvc, "init", "-q"], work)
    run([*dvc, "config", "core.analytics", "false"], work)
    run([*dvc, "remote", "add", "-d", "local", str(remote)], work)
    run([*dvc, "repro", "-q"], work)
    run([*dvc, "push", "-q"], work)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "initial", cwd=work)
    git("remote", "add", "origin", str(origin), cwd=work)
    git("push", "-q", "origin", "main", cwd=work)
    return work


def template_record(work: Path) -> dict[str, Any]:
    out = run([sys.executable, "-m", "mlgate", "promote", "tiny", "--env", "staging",
               "--dry-run", "--format", "json"], work)
    record: dict[str, Any] = json.loads(out)["record"]
    return record


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def write_registry(work: Path, models: int, versions: int, template: dict[str, Any]) -> int:
    """``models`` x ``versions`` x 2 tags and a ledger commit with their records, in one
    `git fast-import`. Version i of every model is on commit i of a history of its own
    (not HEAD, so that the candidate is new to the registry; one commit per version,
    as GTO requires)."""
    empty_tree = git("hash-object", "-t", "tree", "-w", "--stdin", cwd=work, stdin=b"")
    history = [git("commit-tree", empty_tree, "-m", "registry history 0", cwd=work)]
    for i in range(1, versions):
        history.append(git("commit-tree", empty_tree, "-p", history[-1], "-m",
                           f"registry history {i}", cwd=work))
    stamp, ident = 1_700_000_000, "Bench <bench@example.com>"
    stream: list[bytes] = []
    files: dict[str, bytes] = {}
    previous: dict[tuple[str, str], str] = {}
    seq = 0

    def data(payload: bytes) -> None:
        stream.append(b"data %d\n" % len(payload) + payload + b"\n")

    names = ["tiny"] + [f"model-{i:04d}" for i in range(1, models)]
    for model in names:
        for i in range(versions):
            env = ("staging", "production")[i % 2]
            seq += 1
            version, counter = f"1.{i}.0", i + 1
            tags = [f"{model}@v{version}", f"{model}#{env}#{counter}"]
            record = json.loads(json.dumps(template))
            record["predicate"].update(model=model, version=version, environment=env,
                                       seq=seq, tags=tags, commit=history[i],
                                       previous=previous.get((model, env)))
            raw = canonical(record)
            digest = "sha256:" + hashlib.sha256(raw).hexdigest()
            previous[(model, env)] = digest
            path = f"records/{seq:08d}-{model}-{env}-promote.json"
            files[path] = json.dumps(record, sort_keys=True, indent=2).encode() + b"\n"
            files[f"index/{model}/{env}.json"] = canonical(
                {"digest": digest, "path": path, "seq": seq})
            message = f"promote {model} v{version} to {env}\n\n".encode() + raw + b"\n"
            for name in tags:
                stream.append(f"tag {name}\nfrom {history[i]}\n"
                              f"tagger {ident} {stamp + seq} +0000\n".encode())
                data(message)
    files["index/head.json"] = canonical({"seq": seq})
    stream.append(f"commit refs/heads/mlgate/ledger\ncommitter {ident} {stamp} +0000\n"
                  .encode())
    data(b"registry history, squashed into one commit for the bench")
    for path, body in files.items():
        stream.append(f"M 100644 inline {path}\n".encode())
        data(body)
    git("fast-import", "--quiet", cwd=work, stdin=b"".join(stream))
    git("pack-refs", "--all", cwd=work)  # as a clone has them
    return 2 * models * versions


def new_candidate(work: Path, n: int) -> None:
    (work / "NOTES.md").write_text(f"candidate {n}\n")
    git("add", "NOTES.md", cwd=work)
    git("commit", "-q", "-m", f"candidate {n}", cwd=work)
    # merged, as promote requires: the default branch (origin's main) must reach it
    git("push", "-q", "origin", "HEAD:main", cwd=work)


def median_wall(make: Callable[[int], list[str]], cwd: Path, runs: int,
                prepare: Callable[[int], None] | None = None) -> float:
    times = []
    for n in range(runs):
        if prepare:
            prepare(n)
        argv = make(n)
        start = time.perf_counter()
        run(argv, cwd)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def dvc_status_pair(work: Path) -> float:
    """The two status calls of one promote, side by side, as promote runs them."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-m", "dvc", "status", "--json", *extra,
                                   "train"], cwd=work, env=ENV, stdout=subprocess.DEVNULL)
                 for extra in ([], ["--cloud"])]
        for proc in procs:
            proc.wait()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def steps_in_process(work: Path) -> dict[str, float]:
    from mlgate.registry import ledger, publish
    from mlgate.registry.state import read_registry

    record = json.loads(git("cat-file", "blob",
                            "mlgate/ledger:records/00000001-tiny-staging-promote.json",
                            cwd=work))
    record["predicate"]["seq"] = 10**8
    head = git("rev-parse", "HEAD", cwd=work)
    tags = [("tiny@v99.0.0", head), ("tiny#staging#9999", head)]
    timings: dict[str, list[float]] = {}

    def timed(label: str, step: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = step()
        timings.setdefault(label, []).append(time.perf_counter() - start)
        return result

    for _ in range(RUNS):
        registry = timed("read_registry, all tags", lambda: read_registry(cwd=work))
        assert len(registry.names) >= 10_000
        timed("read_registry, tiny's tags only", lambda: read_registry(
            cwd=work, pattern="refs/tags/tiny[@#]*"))
        timed("chain_head (two index blobs)", lambda: ledger.chain_head("tiny", "staging",
                                                                       cwd=work))
        plan = timed("build (2 tag objects, 1 ledger commit)",
                     lambda: publish.build([(record, tags)], cwd=work))
        timed("apply (one update-ref transaction)",
              lambda plan=plan: publish.apply(plan, cwd=work))
        publish.undo(plan, cwd=work)
    return {label: statistics.median(values) for label, values in timings.items()}


def gto_assign(where: Path, template: dict[str, Any]) -> float:
    """`gto assign` once, in a repo with 2,000 registry tags."""
    work = where / "gto"
    work.mkdir()
    git("init", "-q", "-b", "main", cwd=work)
    (work / "README.md").write_text("gto\n")
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "initial", cwd=work)
    write_registry(work, 40, 25, template)
    head = git("rev-parse", "HEAD", cwd=work)
    start = time.perf_counter()
    run([sys.executable, "-m", "gto.cli", "assign", "tiny", head, "--version", "v9.0.0",
         "--stage", "staging"], work)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gto", action="store_true",
                        help="also time `gto assign` at 2,000 tags (slow)")
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--versions", type=int, default=25)
    parser.add_argument("--at-once", action="store_true",
                        help="time 20 promotions started at once instead (issue 20)")
    args = parser.parse_args()
    compile_mlgate()
    if args.at_once:
        at_once()
        return
    with tempfile.TemporaryDirectory(prefix="mlgate-bench-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        ENV["HOME"] = str(home)
        os.environ.clear()
        os.environ.update(ENV)  # the registry steps timed in this process run git too
        work = make_repo(Path(tmp))
        template = template_record(work)
        mlgate = [sys.executable, "-m", "mlgate"]
        own = [sys.executable, "-c", WITHOUT_DVC_STATUS]
        promote = ["promote", "tiny", "--env", "staging"]
        counter = iter(range(1000))

        def fresh(_: int) -> None:
            new_candidate(work, next(counter))

        empty = median_wall(lambda _: [*own, *promote], work, RUNS, fresh)
        git("tag", "--delete", *git("tag", "--list", cwd=work).split(), cwd=work)
        git("update-ref", "-d", "refs/heads/mlgate/ledger", cwd=work)
        start = time.perf_counter()
        count = write_registry(work, args.models, args.versions, template)
        made = time.perf_counter() - start
        git("push", "-q", "origin", "--tags", "mlgate/ledger", cwd=work)
        git("pack-refs", "--all", cwd=work.parent / "origin.git")
        print(f"registry: {count:,} tags and a ledger of {count // 2:,} records "
              f"(written in {made:.2f} s with git fast-import)")

        full = median_wall(lambda _: [*mlgate, *promote], work, 3, fresh)
        status = dvc_status_pair(work)
        local = median_wall(lambda _: [*own, *promote], work, RUNS, fresh)
        pushed = median_wall(lambda _: [*own, *promote, "--push"], work, RUNS, fresh)
        passes = median_wall(lambda _: ["git", "for-each-ref", "--format=%(refname)%00"
                                        "%(*objectname)%00%(contents)", "refs/tags"], work, RUNS)
        print(f"promote, as run (with DVC's status)      {full:6.3f} s (median of 3)")
        print(f"  DVC's status (2 calls, side by side)   {status:6.3f} s")
        print(f"mlgate's own promote time                {local:6.3f} s (median of {RUNS})"
              f"   {local / TARGET:.2f}x the target of {TARGET} s")
        print(f"  the same with an empty registry        {empty:6.3f} s"
              f"   ({count:,} tags cost {local - empty:+.3f} s)")
        print(f"  one `git for-each-ref` over all tags   {passes:6.3f} s   (for scale)")
        print(f"mlgate's own promote time, with --push   {pushed:6.3f} s (median of {RUNS})"
              f"   {pushed / TARGET:.2f}x the target")
        print("registry steps, in process (median):")
        for label, took in steps_in_process(work).items():
            print(f"  {label:<40} {took:6.3f} s")
        if args.gto:
            took = gto_assign(Path(tmp), template)
            print(f"gto assign at 2,000 tags (reference)     {took:6.3f} s"
                  f"   ({took / local:.0f}x mlgate's own promote at 10,000)")


AT_ONCE_MODELS, AT_ONCE_COMMITS = 15, 5


def at_once() -> None:
    with tempfile.TemporaryDirectory(prefix="mlgate-bench-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        ENV["HOME"] = str(home)
        work = make_repo(Path(tmp))
        declared = (work / "pipelines/tiny.yaml").read_text()
        names = [f"model-{n:02d}" for n in range(AT_ONCE_MODELS)]
        for name in names:
            (work / f"pipelines/{name}.yaml").write_text(
                declared.replace("name: tiny", f"name: {name}"))
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", "more models", cwd=work)
        commits = []
        for n in range(AT_ONCE_COMMITS):
            (work / "NOTES.md").write_text(f"candidate {n}\n")
            git("add", "-A", cwd=work)
            git("commit", "-q", "-m", f"candidate {n}", cwd=work)
            commits.append(git("rev-parse", "HEAD", cwd=work))
        git("push", "-q", "origin", "main", cwd=work)
        origin = Path(tmp) / "origin.git"
        first = Path(tmp) / "clone-00"
        git("clone", "-q", str(origin), str(first), cwd=Path(tmp))
        run([sys.executable, "-m", "dvc", "pull", "-q"], first)
        clones = [first]
        for n in range(1, AT_ONCE_MODELS + AT_ONCE_COMMITS + 1):
            clones.append(Path(tmp) / f"clone-{n:02d}")
            shutil.copytree(first, clones[-1], symlinks=True)
        mlgate = [sys.executable, "-m", "mlgate", "promote", "--env", "staging", "--push"]
        alone = clones.pop()  # one promotion alone, for scale (--dry-run: it writes nothing)
        start = time.perf_counter()
        run([*mlgate, "model-00", "--dry-run"], alone)
        one = time.perf_counter() - start
        jobs = [[*mlgate, name] for name in names]
        jobs += [[*mlgate, "tiny", "--rev", commit] for commit in commits]
        start = time.perf_counter()
        procs = [subprocess.Popen(job, cwd=where, env=ENV, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
                 for job, where in zip(jobs, clones, strict=True)]
        outputs = [proc.communicate()[0] for proc in procs]
        landed = time.perf_counter() - start
        failed = [out.decode() for proc, out in zip(procs, outputs, strict=True)
                  if proc.returncode != 0]
        if failed:
            raise SystemExit(f"{len(failed)} promotion(s) failed:\n" + "\n".join(failed))
        records = int(git("rev-list", "--count", "mlgate/ledger", cwd=origin))
        if records != len(jobs):
            raise SystemExit(f"origin's ledger holds {records} records, expected {len(jobs)}")
        print(f"{len(jobs)} promotions at once ({AT_ONCE_MODELS} models, {AT_ONCE_COMMITS} "
              f"commits of one), each in its own clone, one origin, {os.cpu_count()} cores")
        print(f"  all {len(jobs)} landed after                {landed:7.2f} s")
        print(f"  one promotion alone (--dry-run)        {one:7.2f} s"
              f"   (x{len(jobs)} = {one * len(jobs):.2f} s; at once: "
              f"{landed / (one * len(jobs)):.2f} of that)")


if __name__ == "__main__":
    main()
