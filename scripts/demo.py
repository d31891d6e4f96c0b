"""`make demo`: the employment model's life, year by year, through the real mlgate CLI.

Builds a sandbox in ``demo-sandbox/`` (a new git repo made from this repository's
example, a bare ``origin``, a local DVC remote) and plays:

1. train on 2015; promote to staging, then to production with an approvals file;
2. the 2016, 2017 and 2018 batches arrive: monitor each, with labels, each run recorded
   on the ledger;
3. a pull request adds 2016 to the training years: report and check against production;
   merge; promote through staging to production;
4. a batch with a schema change arrives (a re-coded category, a renamed column): monitor
   alerts, each cause routed as declared; roll back, with the reason recorded; the
   model's validation lapses and a promotion is refused with the date;
5. audit: what served at a time between the promotions, the history, what changed
   between the two production versions, verify the registry, catch a tag moved by hand,
   the model inventory; then, in an auditor's fresh clone, reproduce the version the
   rollback put back in production byte for byte, and export the auditor's report.

Every step runs `mlgate` (or git, DVC, the pipeline's own scripts) as a user would, and
stops the demo when an exit code is not the one the story expects.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The example, as a user's repository would hold it (no mlgate source in it).
EXAMPLE = [".dvc/.gitignore", ".dvc/config", ".dvcignore", "data/prepared/.gitignore",
           "data/scored/.gitignore", "data/source", "data/holdout/.gitignore",
           "data/holdout/acs_employment_ma_2018.parquet.dvc", "data/validation-remote",
           "dvc.lock", "dvc.yaml",
           "evaluation/.gitignore", "evaluation/metrics.json", "models/.gitignore",
           "monitoring/.gitignore", "params.yaml", "pipelines", "stages"]
AUTHOR = ("Dana Scientist", "dana@example.com")
STEPS = 5


class DemoError(Exception):
    pass


class Demo:
    def __init__(self, root: Path, verbose: bool) -> None:
        self.root = root
        self.project = root / "project"
        self.origin = root / "origin.git"
        self.remote = root / "dvc-remote"
        self.reports = root / "reports"
        self.verbose = verbose
        self.started = time.monotonic()
        self.env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                    "DVC_NO_ANALYTICS": "1", "ITERATIVE_DO_NOT_TRACK": "1",
                    "GIT_AUTHOR_NAME": AUTHOR[0], "GIT_AUTHOR_EMAIL": AUTHOR[1],
                    "GIT_COMMITTER_NAME": AUTHOR[0], "GIT_COMMITTER_EMAIL": AUTHOR[1]}
        for var in [v for v in self.env if v.startswith("GITHUB_")]:
            del self.env[var]

    # -- output ------------------------------------------------------------------------

    def step(self, n: int, title: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"\n[{n}/{STEPS}] {title}  ({elapsed:.0f} s)", flush=True)

    def say(self, text: str) -> None:
        print(f"  {text}", flush=True)

    # -- running -----------------------------------------------------------------------

    def run(self, *argv: str, expect: int | None = 0, show: int = 0, save: str | None = None,
            quiet: bool = False, cwd: Path | None = None) -> str:
        """Run a command in the project (or ``cwd``); show its first ``show`` lines; stop
        the demo when its exit code is not ``expect`` (None: any code is part of the story)."""
        shown = " ".join(a if " " not in a else repr(a) for a in argv)
        if not quiet:
            where = f"({cwd.name}) " if cwd else ""
            print(f"  {where}$ {shown}", flush=True)
        proc = subprocess.run(argv, cwd=cwd or self.project, env=self.env,
                              capture_output=True, text=True, check=False)
        if save:
            self.reports.mkdir(parents=True, exist_ok=True)
            (self.reports / save).write_text(proc.stdout)
        if expect is not None and proc.returncode != expect:
            raise DemoError(f"`{shown}` exited {proc.returncode}, expected {expect}:\n"
                            f"{proc.stdout}\n{proc.stderr}")
        lines = proc.stdout.rstrip("\n").splitlines()
        limit = len(lines) if self.verbose else show
        for line in lines[:limit]:
            print(f"    {line}", flush=True)
        if 0 < limit < len(lines):
            print(f"    ... ({len(lines) - limit} more lines"
                  + (f", in {self.reports / save}" if save else "") + ")", flush=True)
        return proc.stdout

    def mlgate(self, *args: str, **kw: object) -> str:
        return self.run("mlgate", *args, **kw)  # type: ignore[arg-type]

    def git(self, *args: str) -> str:
        return self.run("git", *args, quiet=True).strip()

    def python(self, *args: str, **kw: object) -> str:
        return self.run("python", *args, **kw)  # type: ignore[arg-type]

    # -- the sandbox -------------------------------------------------------------------

    def build(self) -> None:
        if self.root.exists():
            shutil.rmtree(self.root)
        self.project.mkdir(parents=True)
        self.remote.mkdir()
        for rel in EXAMPLE:
            src, dst = REPO / rel, self.project / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst)
            else:
                shutil.copy2(src, dst)
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(self.origin)],
                       check=True, env=self.env)
        self.run("git", "init", "-q", "-b", "main", quiet=True)
        self.git("remote", "add", "origin", str(self.origin))
        self.run("dvc", "remote", "add", "-d", "local", str(self.remote), quiet=True)
        # the validators' holdout, from the remote the example commits (no network)
        self.run("dvc", "pull", "-q", "-r", "validation",
                 "data/holdout/acs_employment_ma_2018.parquet.dvc", quiet=True)

    def write(self, rel: str, text: str) -> Path:
        path = self.project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "--short", "HEAD")

    def approvals(self, reviewer: str) -> str:
        """What the promote workflow fetches from GitHub's review-deployments API."""
        path = self.root / f"approvals-{reviewer}.json"
        path.write_text(json.dumps({"author": "dana", "approvals": [{
            "state": "approved", "user": {"login": reviewer},
            "environments": [{"name": "production"}], "comment": "validated, see MRM-142"}]},
            indent=2))
        return str(path)

    def batch(self, year: int, name: str, *, recode: bool = False) -> tuple[str, str]:
        """A year's records as production would log them: the features and the score the
        deployed model gave, without the label; the labels arrive in a file of their own."""
        import pandas as pd

        source = pd.read_parquet(self.project / f"data/source/acs_employment_ma_{year}.parquet")
        if recode:  # an upstream system re-codes schooling and renames age
            source["SCHL"] = "S" + source["SCHL"].astype(str).str.zfill(2)
        inputs = self.root / "batches" / f"{name}-inputs.parquet"
        inputs.parent.mkdir(exist_ok=True)
        source.drop(columns=["employed"]).to_parquet(inputs)
        scored = self.root / "batches" / f"{name}.parquet"
        self.python("stages/score.py", "--data", str(inputs), "--out", str(scored), quiet=True)
        if recode:
            frame = pd.read_parquet(scored).rename(columns={"AGEP": "AGE"})
            frame.to_parquet(scored)
        labels = self.root / "batches" / f"{name}-labels.parquet"
        source[["id", "employed"]].to_parquet(labels)
        inputs.unlink()
        return str(scored), str(labels)


def largest_drift(result: dict[str, object]) -> str:
    """The feature statistic that came closest to its alert threshold, as `column, name value`."""
    thresholds: dict[str, dict[str, float]] = result["thresholds"]  # type: ignore[assignment]
    best = ("", "", 0.0, 0.0)
    for feature in result["features"]:  # type: ignore[attr-defined]
        for name, stat in feature["statistics"].items():
            alert = thresholds.get(name, {}).get("alert")
            if alert and stat["value"] is not None and stat["value"] / alert > best[3]:
                best = (feature["column"], name, stat["value"], stat["value"] / alert)
    column, name, value, _ = best
    shown = STATISTICS.get(name, name)
    return f"largest drift {column}, {shown} {value:.3f}" if column else "no drift"


STATISTICS = {"psi": "PSI", "jensen_shannon": "Jensen-Shannon", "wasserstein": "Wasserstein"}


def play(demo: Demo) -> None:
    demo.step(1, "Train on 2015; promote to staging, then to production")
    demo.build()
    demo.say("a new repo from the example, with a bare origin and a local DVC remote: "
             f"{demo.project}")
    demo.mlgate("validate", show=3)
    demo.mlgate("run", "employment", show=8)
    first = demo.commit("Employment model trained on 2015")
    demo.git("push", "-q", "origin", "main")
    demo.run("dvc", "push", "-q", quiet=True)
    demo.say(f"committed {first} and pushed; `dvc push` put the data and model in the remote")
    demo.mlgate("promote", "employment", "--env", "staging", "--push",
                "--reason", "first model", show=4, save="promote-1-staging.txt")
    demo.mlgate("promote", "employment", "--env", "production", "--push",
                "--approvals", demo.approvals("mrm-reviewer"),
                "--reason", "first model", show=14, save="promote-1-production.txt")
    time.sleep(1.5)
    between = datetime.now(UTC).replace(microsecond=0)
    time.sleep(1.5)

    demo.step(2, "The 2016, 2017 and 2018 batches arrive: monitor them, with labels")
    for year in (2016, 2017, 2018):
        batch, labels = demo.batch(year, str(year))
        demo.mlgate("monitor", "employment", "--env", "production", "--current", batch,
                    "--labels", labels, "--out", str(demo.reports / f"monitor-{year}"),
                    "--record", "--push", show=0)
        out = json.loads((demo.reports / f"monitor-{year}" / "monitor.json").read_text())
        perf = out.get("performance") or {}
        demo.say(f"{year}: {out['current']['rows']:,} rows, verdict {out['verdict']}: "
                 f"production roc_auc {perf.get('production', 0):.4f} vs "
                 f"{perf.get('recorded', 0):.4f} recorded; {largest_drift(out)}")

    demo.step(3, "A pull request adds 2016 to the training years")
    demo.git("checkout", "-q", "-b", "train-on-2016")
    params = (demo.project / "params.yaml").read_text()
    demo.write("params.yaml", params.replace("train_years: [2015]", "train_years: [2015, 2016]"))
    demo.mlgate("run", "employment", show=0)
    demo.commit("Train on 2015 and 2016")
    # the pull request's comment: against main and against what production serves, every
    # production gate judged by main's policy (`requires` and `approval` wait for promotion)
    demo.reports.mkdir(parents=True, exist_ok=True)
    report = demo.mlgate("report", "employment", "--base", "main", "--env", "production",
                         "--format", "markdown", "--out", str(demo.reports / "pr-report.md"),
                         show=0)
    demo.say((report.splitlines() or ["(empty report)"])[0])
    # main's scorer on main's holdout, both models on the same rows: the paired comparison
    for line in report.splitlines():
        if line.startswith("- ") and " on the same " in line:
            demo.say("independent evaluation: " + line[2:])
    # what the pull-request workflow fails on: the gates of the environment a merge enters
    demo.mlgate("check", "employment", "--env", "staging", "--policy-ref", "main", show=8)
    demo.git("checkout", "-q", "main")
    demo.git("merge", "-q", "--no-ff", "-m", "Merge pull request: train on 2015 and 2016",
             "train-on-2016")
    demo.git("push", "-q", "origin", "main")
    demo.run("dvc", "push", "-q", quiet=True)
    demo.mlgate("promote", "employment", "--env", "staging", "--push",
                "--reason", "adds 2016 to the training data", show=2,
                save="promote-2-staging.txt")
    promoted = demo.mlgate("promote", "employment", "--env", "production", "--push",
                           "--approvals", demo.approvals("mrm-reviewer"),
                           "--reason", "adds 2016 to the training data", show=2,
                           save="promote-2-production.txt")
    for line in promoted.splitlines():  # judged on the holdout, against v1.0.0, paired
        if line.startswith("no_regression"):
            cells = re.split(r"\s{2,}", line.strip())
            demo.say(f"{cells[0]}: {cells[-1]}")
    demo.mlgate("show", show=6)

    demo.step(4, "A batch with a schema change arrives: monitor alerts; roll back")
    batch, labels = demo.batch(2018, "2018-recoded", recode=True)
    demo.mlgate("monitor", "employment", "--env", "production", "--current", batch,
                "--labels", labels, "--out", str(demo.reports / "monitor-schema-change"),
                "--record", "--push", expect=1, show=8)
    alert = json.loads((demo.reports / "monitor-schema-change" / "monitor.json").read_text())
    demo.say("routed by cause (monitoring.on_alert): " + "; ".join(
        f"{cause} -> {', '.join(actions) or 'no action'}"
        for cause, actions in alert["route"].items()))
    demo.mlgate("rollback", "employment", "--env", "production", "--push", "--reason",
                "2018 feed: SCHL re-coded and AGEP renamed upstream; back to v1.0.0 until "
                "the feed is fixed", show=6, save="rollback.txt")
    # Model risk's validation lapses (an edit of the declaration on main, undone below):
    # every promotion is refused with the date until the model is revalidated.
    declaration = (demo.project / "pipelines/employment.yaml").read_text()
    demo.write("pipelines/employment.yaml", declaration.replace(
        'last_validated: "2026-11-01"', 'last_validated: "2024-11-01"'))
    demo.commit("Validation of 2024-11-01 lapsed after a year")
    demo.git("push", "-q", "origin", "main")
    demo.mlgate("promote", "employment", "--env", "staging", expect=1, show=6,
                save="promote-lapsed.txt")
    demo.git("revert", "--no-edit", "HEAD")
    demo.git("push", "-q", "origin", "main")
    demo.say("revalidated: the declaration's dates are restored")

    demo.step(5, "Audit: what served when, what changed, verify, tamper, reproduce, export")
    at = between.isoformat().replace("+00:00", "Z")
    demo.mlgate("audit", "at", at, "--env", "production", "employment", show=10,
                save="audit-at.txt")
    demo.mlgate("history", "employment", "--events", "promotion", show=10, save="history.txt")
    # production as it was monitored, run by run, from the ledger
    demo.mlgate("history", "employment", "--env", "production", "--events", "monitoring",
                show=6, save="monitoring-history.txt")
    demo.mlgate("audit", "diff", "employment@v1.0.0", "employment@v1.1.0", show=12,
                save="audit-diff.txt")
    demo.mlgate("audit", "verify", show=3)
    tag = demo.git("tag", "--list", "employment#production#*", "--sort=-creatordate")
    newest = tag.splitlines()[0]
    original = demo.git("rev-parse", f"refs/tags/{newest}")
    demo.say(f"moving {newest} by hand to another commit ...")
    demo.git("tag", "-f", "-a", newest, "-m", "moved", "HEAD~1")
    demo.mlgate("audit", "verify", expect=1, show=4)
    demo.git("update-ref", f"refs/tags/{newest}", original)
    demo.say("... and putting it back; verify passes again")
    demo.mlgate("audit", "verify", show=1)
    demo.mlgate("inventory", show=4, save="inventory.txt")
    auditor = demo.root / "auditor"
    demo.say(f"an auditor clones origin into {auditor}: git alone, then DVC to reproduce")
    demo.run("git", "clone", "-q", str(demo.origin), str(auditor), quiet=True)
    demo.mlgate("audit", "verify", show=1, cwd=auditor)
    # reproduce scores again on the holdout the record pins: the auditor fetches it
    demo.run("dvc", "fetch", "-q", "data/holdout/acs_employment_ma_2018.parquet.dvc",
             cwd=auditor)
    demo.mlgate("reproduce", "employment@v1.0.0", show=6, save="reproduce.txt", cwd=auditor)
    demo.mlgate("audit", "export", "--out", str(demo.reports / "audit"), show=4, cwd=auditor)

    elapsed = time.monotonic() - demo.started
    print(f"\nDone in {elapsed:.0f} s. Reports:")
    for path in sorted(demo.reports.rglob("*")):
        if path.is_file():
            print(f"  {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    print(f"The sandbox repository: {demo.project} (try `mlgate show` or `mlgate history` "
          "there)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=str(REPO / "demo-sandbox"),
                        help="where to build the sandbox (replaced on every run)")
    parser.add_argument("--verbose", action="store_true", help="show every command's output")
    args = parser.parse_args(argv)
    demo = Demo(Path(args.dir).resolve(), args.verbose)
    try:
        play(demo)
    except DemoError as exc:
        print(f"\ndemo stopped: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
