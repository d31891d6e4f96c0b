"""Command line: parse, dispatch, and the one place errors become exit codes.

Command modules are imported only once chosen, so `mlgate --help` stays fast
and never imports DVC.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import itertools
import json
import os
import sys
from collections.abc import Callable, Sequence

from mlgate import __version__
from mlgate.errors import EXIT_BUG, EXIT_USAGE, MlgateError
from mlgate.plumbing import progress
from mlgate.render import progress_bars

EXIT_SIGPIPE = 141  # as a shell reports a process ended by SIGPIPE

FORMATS = ("table", "json")

# command name -> (one-line help, function that adds its arguments)
Configure = Callable[[argparse.ArgumentParser], None]
COMMANDS: dict[str, tuple[str, Configure]] = {}


def command(name: str, help_text: str) -> Callable[[Configure], Configure]:
    def register(configure: Configure) -> Configure:
        COMMANDS[name] = (help_text, configure)
        return configure

    return register


# a subdirectory artifact's model may be named as GTO names it
BY_NAME_OR_ADDRESS = ("model name (pipelines/MODEL.yaml), or its dvc_artifact's address "
                      "(models/a:churn)")


def _format(parser: argparse.ArgumentParser, choices: Sequence[str] = FORMATS) -> None:
    parser.add_argument("--format", choices=choices, default=choices[0], dest="fmt",
                        help=f"output format (default: {choices[0]})")


@command("validate", "check model declarations against the schema and dvc.yaml")
def _validate(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="declarations to check (default: every pipelines/*.yaml)")
    _format(p)


@command("run", "reproduce a model's stages with DVC and show its metrics")
def _run(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", nargs="?", help="model name (default: every declared model)")
    p.add_argument("--force", action="store_true", help="reproduce even if nothing changed")
    _format(p)


@command("check", "evaluate a model's gates for an environment (exit 1 when a gate fails)")
def _check(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="model name (pipelines/MODEL.yaml)")
    p.add_argument("--env", required=True, help="environment whose gates apply")
    p.add_argument("--rev", help="judge this commit instead of the working tree, without "
                   "checking it out: its dvc.lock against its own deps, params and commands, "
                   "and its outputs in the DVC cache")
    p.add_argument("--policy-ref", help="read the policy from this git ref (e.g. the pull "
                   "request's base), so that a change cannot weaken the gates that judge it")
    _format(p, ("table", "json", "markdown"))
    p.add_argument("--out", help="also write the report to this file")


@command("evaluate", "score the candidate and the incumbent on the default branch's holdout "
         "with its scorer, and compare them on the same rows")
def _evaluate(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="model name (pipelines/MODEL.yaml)")
    p.add_argument("--rev", help="evaluate this commit's artifact (its dvc.lock) instead of "
                   "the working tree's")
    p.add_argument("--against", metavar="ENV", help="compare with what this environment "
                   "serves (default: the model's last environment)")
    p.add_argument("--policy-ref", metavar="REF", help="read the evaluation (holdout, scorer) "
                   "at this ref (default: the default branch)")
    _format(p, ("text", "json"))


def _registry_change(p: argparse.ArgumentParser) -> None:
    p.add_argument("--push", action="store_true",
                   help="push tags and ledger in one atomic push (and record refusals)")
    p.add_argument("--remote", default="origin", help="git remote to push to (default: origin)")
    p.add_argument("--policy-ref", metavar="REF",
                   help="read the policy (and pipelines/_policy.yaml) at this ref, which must "
                   "reach the commit (default: the remote's default branch, "
                   "refs/remotes/REMOTE/HEAD's target, else its main or master; with no such "
                   "remote, refs/heads/main or master)")
    p.add_argument("--dry-run", action="store_true", help="evaluate and show; write nothing")
    _format(p)


@command("promote", "evaluate the gates and, on pass, tag the version into an environment")
def _promote(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help=BY_NAME_OR_ADDRESS)
    p.add_argument("--env", required=True, help="environment to promote into")
    p.add_argument("--rev", help="promote this commit without checking it out (default: "
                   "HEAD, with a clean tree); its dvc.lock is judged against its own deps, "
                   "params and commands, and the DVC remote is asked for what it records")
    p.add_argument("--version", help="version to register, vX.Y.Z (default: next minor)")
    p.add_argument("--approvals", metavar="FILE",
                   help="approvals as GitHub's review-deployments API returns them")
    p.add_argument("--reason", help="why; recorded in the deployment record")
    _registry_change(p)


@command("rollback", "serve an earlier version again (default: the previous one), recorded")
def _rollback(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help=BY_NAME_OR_ADDRESS)
    p.add_argument("--env", required=True, help="environment to roll back")
    p.add_argument("--to", metavar="vX.Y.Z", help="version to serve (default: the previous one "
                   "in that environment)")
    p.add_argument("--reason", required=True, help="why; recorded in the deployment record")
    p.add_argument("--approvals", metavar="FILE",
                   help="approvals, when the policy asks for them on rollback")
    _registry_change(p)


@command("retire", "take a model out of an environment (GTO's unassign), recorded")
def _retire(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help=BY_NAME_OR_ADDRESS)
    p.add_argument("--env", required=True, help="environment to take the model out of")
    p.add_argument("--reason", required=True, help="why; recorded in the deployment record")
    _registry_change(p)


@command("show", "what each environment serves now: version, since, by whom, key metrics")
def _show(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", nargs="?", help="model name (default: every model)")
    _format(p)


@command("init", "adopt mlgate in a DVC repository: a model declaration, workflows, "
                 "CODEOWNERS")
def _init(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="model name (default: the one artifact in dvc.yaml)")
    p.add_argument("--pipeline", default="dvc.yaml", metavar="PATH",
                   help="the dvc.yaml to adopt, for a monorepo with one pipeline per model "
                        "(e.g. models/a/dvc.yaml; default: the root's dvc.yaml)")
    p.add_argument("--force", action="store_true",
                   help="overwrite files that exist with other content")
    _format(p)


@command("matrix", "the models a workflow acts on, and their environment (JSON for a CI "
                   "matrix)")
def _matrix(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="only this model, by name or address (default: every "
                   "declared model)")
    p.add_argument("--env", help="this environment (default: each model's first, or with "
                   "--monitored its last)")
    p.add_argument("--since", metavar="REV",
                   help="only models whose declaration or stages changed since REV")
    p.add_argument("--monitored", action="store_true",
                   help="only models that declare monitoring")
    _format(p, ("json", "lines", "table"))


@command("verify-artifact", "check that the artifact is the one an assignment tag's record "
                            "names (exit 1 when not)")
def _verify_artifact(p: argparse.ArgumentParser) -> None:
    p.add_argument("tag", help="an assignment tag, MODEL#ENV#N")
    p.add_argument("--pull", action="store_true", help="dvc pull the artifact first")
    p.add_argument("--deploy", action="store_true",
                   help="then run the model's deploy.command, unless a later assignment "
                        "has superseded the tag")
    p.add_argument("--ledger", default="refs/heads/mlgate/ledger", metavar="REF",
                   help="ledger the record must be on (default: refs/heads/mlgate/ledger)")
    p.add_argument("--record", action="store_true",
                   help="with --deploy: append a deploy record (success, failure or skipped; "
                        "the artifact's sha256; Python and installed packages) to the ledger")
    p.add_argument("--push", action="store_true",
                   help="with --record: push the ledger in one atomic push")
    p.add_argument("--remote", default="origin", help="git remote to push to (default: origin)")
    _format(p)


@command("report", "a pull request's report: params, data and metrics against the base and "
                   "the deployed version, and every environment's gates (exit 1 when one of "
                   "the first environment's would fail)")
def _report(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", nargs="?",
                   help="model name (default: the one model declared in pipelines/)")
    p.add_argument("--base", metavar="REF", help="branch or commit to compare with, whose "
                   "policy judges the change (default: origin/main if it exists, else main)")
    p.add_argument("--env", help="judge this environment alone, and compare with what it "
                   "serves (default: every environment judged, the first deciding; compared "
                   "with what the last serves)")
    _format(p, ("markdown", "json"))
    p.add_argument("--out", metavar="FILE", help="also write the report to this file")


@command("history", "every promotion, rollback, retirement and refusal, monitoring run and "
                    "deploy, newest first")
def _history(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", nargs="?", help="model name (default: every model)")
    p.add_argument("--env", help="only this environment")
    p.add_argument("--events", choices=("all", "promotion", "monitoring", "deploy"),
                   default="all", help="which records: promotion (promote, rollback, retire, "
                   "refused), monitoring (monitor --record), deploy (verify-artifact --deploy "
                   "--record), or all (default)")
    p.add_argument("--no-cache", dest="cache", action="store_false",
                   help="make every row from git, neither reading nor writing the rows "
                        "kept by the last `history` (.git/mlgate/history-memo, never evidence)")
    _format(p)


class _Intermixed(argparse.ArgumentParser):
    """Positionals may follow options, as in `audit at TIME --env ENV MODEL` (plain argparse
    takes TIME and an empty MODEL at once, then rejects MODEL)."""

    _mixing = False

    def parse_known_args(  # type: ignore[override]
            self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        namespace = namespace or argparse.Namespace()
        if self._mixing:  # the two passes of parse_known_intermixed_args
            return super().parse_known_args(args, namespace)
        self._mixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._mixing = False

    def error(self, message: str) -> None:  # type: ignore[override]
        raise MlgateError(message, hint=f"see `{self.prog} --help`")


@command("audit", "the auditor's view: what served when, verify, diff, export")
def _audit(p: argparse.ArgumentParser) -> None:
    subs = p.add_subparsers(dest="sub", metavar="SUBCOMMAND", required=True,
                            parser_class=_Intermixed)
    at = subs.add_parser("at", help="what served an environment at a time, with its lineage",
                         description="what served ENV at TIME, found by replaying the ledger "
                         "(and, where no record covers a model there, from the registry's "
                         "tags, marked 'tag only')")
    at.add_argument("time", metavar="TIME", help="ISO date (its start, UTC) or date and time "
                    "(UTC unless it has an offset), e.g. 2026-03-01T14:30:00Z")
    at.add_argument("model", nargs="?", metavar="MODEL", help="model name (default: every "
                    "model)")
    at.add_argument("--env", required=True, help="environment")
    _format(at)
    verify = subs.add_parser("verify", help="check tags and ledger for tampering "
                             "(exit 1 with every finding)",
                             description="check tags and ledger for tampering")
    verify.add_argument("--ledger", dest="ledger_ref", metavar="REF",
                        help="ledger to verify (default: mlgate/ledger, else origin's)")
    _format(verify)
    diff = subs.add_parser("diff", help="what changed between two deployments",
                           description="params, data, code, policy, metrics and gates of two "
                                       "deployments")
    diff.add_argument("a", metavar="A", help="a tag (MODEL#ENV#N, MODEL@vX.Y.Z) or a version")
    diff.add_argument("b", metavar="B", help="a tag (MODEL#ENV#N, MODEL@vX.Y.Z) or a version")
    _format(diff)
    export = subs.add_parser("export", help="write an HTML report, JSON and CSV for auditors",
                             description="write audit.html (self-contained), audit.json and "
                                         "CSV files")
    export.add_argument("--out", required=True, metavar="DIR", help="directory to write")
    _format(export)


@command("reproduce", "re-run a deployed version's pipeline in a temporary worktree and "
                      "compare every output digest (exit 1 when one differs)")
def _reproduce(p: argparse.ArgumentParser) -> None:
    p.add_argument("ref", metavar="REF", help="a version or assignment tag, e.g. model@v1.2.0 "
                   "or model#production#7")
    _format(p)


@command("inventory", "every declared model: owner, risk tier, use, versions per "
                      "environment, validation dates")
def _inventory(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", nargs="?", help="model name (default: every model)")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when any listed model's validation is overdue")
    _format(p)


# Monitoring commands (profile, monitor) are registered below this line.


def _names(text: str) -> list[str]:
    """`a,b` -> ['a', 'b'] (for column lists)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected column names separated by commas")
    return names


def _engine(p: argparse.ArgumentParser) -> None:
    """The options that choose where profiles are computed (`--engine spark`)."""
    p.add_argument("--engine", choices=("local", "spark"), default="local",
                   help="local: stream the files in this process (default); spark: profile "
                        "each partition where it lies (needs mlgate[spark] and Java 17+)")
    p.add_argument("--table", metavar="NAME",
                   help="with --engine spark: read this catalog table instead of paths")
    p.add_argument("--where", metavar="CONDITION",
                   help="with --engine spark: only the rows matching this SQL condition")
    p.add_argument("--spark-master", default="local[*]", metavar="URL",
                   help="with --engine spark: the master (default local[*]; ignored when a "
                        "session is already active, e.g. under spark-submit)")
    p.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE",
                   help="with --engine spark: a Spark setting (repeatable)")


@command("profile", "write a reference profile (JSON) of Parquet or CSV files, streamed")
def _profile(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", nargs="*", metavar="DATA",
                   help="files, directories or glob patterns (Parquet or CSV); with "
                        "--engine spark, Parquet paths or globs Spark reads (s3a://...)")
    p.add_argument("--out", required=True, metavar="FILE", help="the profile to write (.json)")
    p.add_argument("--categorical", type=_names, default=[], metavar="COL,...",
                   help="numeric columns to treat as categories (strings always are)")
    p.add_argument("--score-column", metavar="COL",
                   help="the model's score, compared as prediction drift")
    p.add_argument("--columns", type=_names, metavar="COL,...",
                   help="profile only these columns (and the score column)")
    p.add_argument("--exclude", type=_names, default=[], metavar="COL,...",
                   help="leave these columns out, e.g. the row id and the label")
    _engine(p)
    _format(p)


@command("monitor", "drift, schema and performance gap of production batches "
                    "(exit 1 on alert)")
def _monitor(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="model name (pipelines/MODEL.yaml)")
    p.add_argument("--current", nargs="+", default=[], metavar="PATH",
                   help="the batches: Parquet or CSV files, directories or glob patterns "
                        "(with --engine spark: Parquet paths, or --table)")
    p.add_argument("--labels", nargs="+", metavar="PATH",
                   help="label files, joined to the batches on monitoring.id")
    p.add_argument("--env", help="environment whose deployed version is watched "
                   "(default: the last declared)")
    p.add_argument("--out", metavar="DIR",
                   help="write monitor.json, summary.md and report.html here")
    p.add_argument("--record", action="store_true",
                   help="append the run's monitoring record to the ledger (mlgate/ledger)")
    p.add_argument("--push", action="store_true",
                   help="with --record: push the ledger in one atomic push (retried when a "
                        "concurrent registry change wins)")
    p.add_argument("--remote", default="origin", help="git remote to push to (default: origin)")
    _engine(p)
    _format(p, ("table", "json", "markdown"))


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors go through mlgate's funnel (exit 2, a hint)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise MlgateError(message, hint=f"see `{self.prog} --help`")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mlgate",
        description="Declarative promotion gates and an audit trail for ML models, on git and DVC.",
    )
    parser.add_argument("--version", action="version", version=f"mlgate {__version__}")
    parser.add_argument("--traceback", action="store_true", help="show tracebacks of bugs")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (help_text, configure) in COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # A short-lived process that decodes thousands of records makes millions of objects
    # and little cyclic garbage: collecting every 700 allocations cost the audit commands
    # a fifth of their time at 10,000 records.
    gc.set_threshold(100_000, 50, 100)
    args_list = list(sys.argv[1:] if argv is None else argv)
    want_json = _wants_json(args_list)
    show_traceback = "--traceback" in args_list
    try:
        parser = build_parser()
        args = parser.parse_args(args_list)
        if args.command is None:
            parser.print_help()
            sys.stdout.flush()
            return EXIT_USAGE
        options = {k: v for k, v in vars(args).items() if k not in ("command", "traceback")}
        module = importlib.import_module(f"mlgate.commands.{args.command.replace('-', '_')}")
        try:
            with progress.shown(progress_bars.for_terminal()):  # stderr, a terminal only
                code: int = module.main(**options)
        finally:
            gc.unfreeze()  # what a command froze (gcpause) is freed by now, or soon will be
        sys.stdout.flush()  # a closed pipe fails here, in the funnel, not at exit
        return code
    except MlgateError as exc:
        if want_json:
            print(json.dumps({"error": exc.message,
                              "problems": [p.as_dict() for p in exc.problems]}, indent=2))
        else:
            print(exc.render(), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("mlgate: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader left (`mlgate history | head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that flushing at exit cannot fail again
        return EXIT_SIGPIPE
    except Exception as exc:  # the funnel for bugs: a short message, not a traceback
        if show_traceback:
            raise
        print(f"mlgate: internal error: {type(exc).__name__}: {exc}\n"
              "  this is a bug in mlgate; re-run with --traceback and report it",
              file=sys.stderr)
        return EXIT_BUG


def _wants_json(argv: list[str]) -> bool:
    return "--format=json" in argv or any(
        a == "--format" and b == "json" for a, b in itertools.pairwise(argv)
    )


if __name__ == "__main__":
    sys.exit(main())
