"""The workflows' security properties, each checked over the files themselves: this
repository's own, and the same templates rendered for another repository."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlgate.adopt import scaffold
from tests.support.project import REPO_ROOT
from tests.support.workflows import (
    PINS,
    USES,
    load,
    other_settings,
    rendered_elsewhere,
    repo_workflows,
    steps,
)

SETS = {"this repository": repo_workflows, "rendered elsewhere": rendered_elsewhere}
FILES = [(label, name) for label, load_set in SETS.items() for name in load_set()]
IDS = [f"{label}: {name}" for label, name in FILES]

# Every job, and exactly what its token may do. A new job or grant is a reviewed change here.
PERMISSIONS: dict[tuple[str, str], dict[str, str]] = {
    ("mlgate-pull-request.yml", "check"): {"contents": "read"},
    ("mlgate-pull-request.yml", "comment"): {"pull-requests": "write"},
    ("mlgate-promote.yml", "plan"): {"contents": "read"},
    ("mlgate-promote.yml", "promote"): {"contents": "write", "actions": "read"},
    ("mlgate-deploy.yml", "resolve"): {},
    # deploy and monitor append their records (never tags) to the ledger branch
    ("mlgate-deploy.yml", "deploy"): {"contents": "write"},
    ("mlgate-monitor.yml", "plan"): {"contents": "read"},
    ("mlgate-monitor.yml", "monitor"): {"contents": "write", "issues": "write",
                                        "actions": "write"},
    ("mlgate-retrain.yml", "retrain"): {"contents": "write", "pull-requests": "write"},
}

# Contexts an outsider (or anyone who can dispatch) controls: never part of a script.
UNTRUSTED = re.compile(r"github\.event\.|github\.head_ref|github\.base_ref|github\.ref_name"
                       r"|inputs\.|steps\.[^ ]*\.outputs|needs\.[^ ]*\.outputs|matrix\.|vars\.")
# Where such a context may appear: values GitHub itself reads, never a shell.
SAFE_KEYS = {"if", "name", "group", "environment", "include", "runs-on"}


def _workflow(label: str, name: str) -> tuple[str, dict[str, Any]]:
    text = SETS[label]()[name]
    return text, load(text)


def _strings(node: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in _strings(v, (*path, str(k)))]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v, path)]
    return [(path, node)]


def test_both_sets_hold_every_workflow() -> None:
    names = sorted(repo_workflows())
    assert names == ["mlgate-deploy.yml", "mlgate-monitor.yml", "mlgate-promote.yml",
                     "mlgate-pull-request.yml", "mlgate-retrain.yml"]
    assert sorted(rendered_elsewhere()) == names


@pytest.mark.parametrize(("label", "name"), FILES, ids=IDS)
def test_triggers_never_run_untrusted_code_with_secrets(label: str, name: str) -> None:
    _, wf = _workflow(label, name)
    triggers = wf["on"]
    assert isinstance(triggers, dict)
    assert "pull_request_target" not in triggers
    assert "workflow_run" not in triggers
    assert set(triggers) <= {"pull_request", "push", "workflow_dispatch", "schedule"}


@pytest.mark.parametrize(("label", "name"), FILES, ids=IDS)
def test_least_privilege(label: str, name: str) -> None:
    _, wf = _workflow(label, name)
    top = wf["permissions"]
    assert top == {} or all(v == "read" for v in top.values()), top
    for job_id, job in wf["jobs"].items():
        assert "permissions" in job, f"{job_id} must declare its permissions"
        assert job["permissions"] == PERMISSIONS[(name, job_id)], job_id
    assert {j for (n, j) in PERMISSIONS if n == name} == set(wf["jobs"])


@pytest.mark.parametrize(("label", "name"), FILES, ids=IDS)
def test_no_expression_in_any_script(label: str, name: str) -> None:
    """Contexts reach scripts only through `env:`, so that their values are data."""
    _, wf = _workflow(label, name)
    for job_id, step in steps(wf):
        if "run" in step:
            assert "${{" not in step["run"], f"{job_id}: {step.get('name')}"


@pytest.mark.parametrize(("label", "name"), FILES, ids=IDS)
def test_untrusted_contexts_only_where_no_shell_reads_them(label: str, name: str) -> None:
    _, wf = _workflow(label, name)
    for path, value in _strings(wf):
        if UNTRUSTED.search(value):
            assert path[-1] in SAFE_KEYS or "env" in path or "outputs" in path[-2:], (path, value)


@pytest.mark.parametrize(("label", "name"), FILES, ids=IDS)
def test_actions_are_pinned_to_commits_with_their_version(label: str, name: str) -> None:
    text, wf = _workflow(label, name)
    lines = [USES.match(line) for line in text.splitlines()]
    found = [(m.group(1), m.group(2).strip()) for m in lines if m]
    assert found, "every workflow checks out the repository"
    for ref, comment in found:
        action, _, sha = ref.partition("@")
        assert re.fullmatch(r"[0-9a-f]{40}", sha), ref
        assert (sha, comment) == (PINS[action][0], f"# {PINS[action][1]}"), ref
    for job_id, step in steps(wf):
        if "uses" in step:  # skipped when act runs the workflow on this machine
            condition = step.get("if", "")
            assert re.fullmatch(r"\$\{\{ !env\.ACT( && .*)? \}\}", condition), (
                f"{job_id}: {step['uses']}")


@pytest.mark.parametrize(("label", "name"), FILES, ids=IDS)
def test_what_only_the_tests_hand_in_never_reaches_github(label: str, name: str) -> None:
    """Steps that read the act tests' origin, approvals or artifact folder run under act
    only, so that on GitHub no variable can stand in for a deployment review."""
    _, wf = _workflow(label, name)
    act_only = [(job_id, step) for job_id, step in steps(wf)
                if "MLGATE_ACT_" in step.get("run", "")]
    assert act_only, "every workflow checks out the act tests' origin"
    for job_id, step in act_only:
        assert re.fullmatch(r"\$\{\{ env\.ACT( && .*)? \}\}", step.get("if", "")), (
            f"{job_id}: {step.get('name')}")


@pytest.mark.parametrize(("label", "name"), FILES, ids=IDS)
def test_jobs_are_bounded_and_keep_no_credentials_they_do_not_need(label: str,
                                                                   name: str) -> None:
    _, wf = _workflow(label, name)
    for job_id, job in wf["jobs"].items():
        assert int(job["timeout-minutes"]) <= 180
        writes = job["permissions"].get("contents") == "write"
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                persisted = step.get("with", {}).get("persist-credentials", "true") == "true"
                assert persisted == writes, f"{job_id} persists credentials: {persisted}"


def test_pull_request_gates_read_the_policy_from_the_base_branch() -> None:
    wf = load(repo_workflows()["mlgate-pull-request.yml"])
    check = wf["jobs"]["check"]
    assert check["env"]["BASE_REF"] == "${{ github.base_ref }}"
    script = next(s["run"] for s in check["steps"] if s.get("id") == "gates")
    # fully qualified: a tag `origin/<base>` made by the change's own code cannot stand in
    assert 'base="refs/remotes/origin/$BASE_REF"' in script
    assert '"origin/$BASE_REF' not in script  # no short name passed anywhere
    # Every environment is judged (no --env), by the base's policy (`report --base`); the
    # report's exit code, the first environment's, decides the check.
    assert re.search(r'if ! mlgate report "\$model" --base "\$base" --format markdown '
                     r'--out "\$OUT/\$model.md"\n\s+then\n\s+status=1\n', script)
    assert "--env" not in script and "mlgate check" not in script
    assert check["steps"][-1]["if"] == "${{ steps.gates.outputs.status != '0' }}"


SECRET = re.compile(r"secrets\.([A-Za-z0-9_]+)")
# Every job, and exactly the secrets it sees. The job that runs a pull request's code has
# only read-only DVC credentials; the DVC remote's write credentials and the bot's token
# reach only jobs that run the default branch's code.
SECRETS: dict[tuple[str, str], set[str]] = {
    ("mlgate-pull-request.yml", "check"): {"DVC_READ_AWS_ACCESS_KEY_ID",
                                           "DVC_READ_AWS_SECRET_ACCESS_KEY"},
    ("mlgate-pull-request.yml", "comment"): set(),
    ("mlgate-promote.yml", "plan"): set(),
    ("mlgate-promote.yml", "promote"): {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                        "MLGATE_BOT_TOKEN"},
    ("mlgate-deploy.yml", "resolve"): set(),
    ("mlgate-deploy.yml", "deploy"): {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
    ("mlgate-monitor.yml", "plan"): set(),
    ("mlgate-monitor.yml", "monitor"): {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
    ("mlgate-retrain.yml", "retrain"): {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                        "MLGATE_BOT_TOKEN"},
}


@pytest.mark.parametrize(("label", "name"), FILES, ids=IDS)
def test_each_job_sees_exactly_its_secrets(label: str, name: str) -> None:
    _, wf = _workflow(label, name)
    assert "secrets" not in str(wf.get("env", {})), "no secret for every job"
    for job_id, job in wf["jobs"].items():
        seen = {s for _, value in _strings(job) for s in SECRET.findall(value)}
        assert seen == SECRETS[(name, job_id)], job_id
        assert "github.token" not in str(job.get("env", {})), job_id  # steps only


@pytest.mark.parametrize(("label", "name"), FILES, ids=IDS)
def test_the_pull_request_code_runs_without_write_credentials(label: str, name: str) -> None:
    """On a pull request, only the check job runs the change's code (its stages, its
    install), with read-only credentials; the job that may write runs none of it."""
    if name != "mlgate-pull-request.yml":
        return
    _, wf = _workflow(label, name)
    check, comment = wf["jobs"]["check"], wf["jobs"]["comment"]
    assert check["env"]["AWS_ACCESS_KEY_ID"] == "${{ secrets.DVC_READ_AWS_ACCESS_KEY_ID }}"
    assert check["env"]["AWS_SECRET_ACCESS_KEY"] == (
        "${{ secrets.DVC_READ_AWS_SECRET_ACCESS_KEY }}")
    assert all("secrets." not in value and "github.token" not in value
               for path, value in _strings(check["steps"]))
    assert check["permissions"] == {"contents": "read"}
    # The comment job checks nothing out and runs no mlgate, DVC, Python or pip: it reads
    # the check job's files with jq and posts them with gh.
    assert comment["needs"] == "check"
    for step in comment["steps"]:
        assert not step.get("uses", "").startswith("actions/checkout@")
        commands = [line for line in step.get("run", "").splitlines()
                    if not line.strip().startswith(("#", "echo "))]
        assert not re.search(r"(?<![\w-])(mlgate|dvc|python3?|pip3?|make|source|eval)(?![\w-])",
                             "\n".join(commands)), step["name"]


ATTACK = ("<!-- mlgate-report:tiny -->\n### @org/admins see [click](https://evil.example) "
          "<img src=x> &#64;org/team #12 [ref]: http://a www.evil.example a@b.example\n"
          "<a href=\"https://evil.example\">x</a> <!-- hidden --> ![i](data:x) <script>\n")


def _neutralise(text: str) -> str:
    wf = load(repo_workflows()["mlgate-pull-request.yml"])
    post = next(s for s in wf["jobs"]["comment"]["steps"] if s["name"].startswith("Post"))
    assert 'jq -Rjs "$NEUTRALISE" "$file" > "$body"' in post["run"]
    assert 'body=@"$body"' in post["run"] and 'body=@"$file"' not in post["run"]
    proc = subprocess.run([_tool("jq"), "-Rjs", post["env"]["NEUTRALISE"]], input=text,
                          capture_output=True, text=True, check=True)
    return proc.stdout


def test_the_comment_job_neutralises_what_the_check_job_wrote() -> None:
    """The check job ran the pull request's code, which could write any comment: what the
    comment job posts has no live mention, link, image or HTML but mlgate's own tags."""
    out = _neutralise(ATTACK)
    zwsp = "\u200b"
    assert out.splitlines()[0] == "<!-- mlgate-report:tiny -->"
    for live in ("@org", "](", "https://", "http://", "www.", "#12", "]:", "a@b",
                 "<img", "<a ", "</a>", "<!-- hidden", "<script", "&#64;"):
        assert live not in out, live
    assert out.replace(zwsp, "") == ATTACK.replace("<img", "&lt;img").replace(
        "<a ", "&lt;a ").replace("</a>", "&lt;/a>").replace("<!-- hidden", "&lt;!-- hidden"
        ).replace("<script", "&lt;script").replace("&#64;", "&amp;#64;")


def test_the_comment_job_keeps_what_mlgate_report_writes() -> None:
    report = ("<!-- mlgate-report:tiny -->\n### :x: `tiny` would fail `staging`\n\n"
              "> [!CAUTION]\n> **This change touches** `pipelines/tiny.yaml`\n\n"
              "<details open>\n<summary><b>Gates for <code>a&amp;b&lt;c&gt;</code></b>"
              "</summary>\n\n| :x: | threshold | 0.5 | >= 0.7 | why |\n</details>\n"
              "<sub>mlgate report · `tiny`</sub>\n")
    assert _neutralise(report) == report


def test_promotion_is_serialised_per_model_and_environment() -> None:
    job = load(repo_workflows()["mlgate-promote.yml"])["jobs"]["promote"]
    assert job["concurrency"] == {"group": "mlgate-promote-${{ matrix.model }}-${{ matrix.env }}",
                                  "cancel-in-progress": "false"}
    assert job["environment"] == "${{ matrix.env }}"
    names = [s["name"] for s in job["steps"]]
    pushes = names.index("Pull or reproduce the model, and push its outputs to the DVC remote")
    assert pushes < names.index("Promote, or roll back, and push the registry atomically")


def github_filter(pattern: str) -> re.Pattern[str]:
    """A tag filter as GitHub matches it, for the two wildcards the workflows use: `*`
    matches any characters but `/`, `**` any at all (act runs a workflow whatever its
    filters say, so only this test reads them)."""
    assert not set(pattern) & set("?+[]!"), f"{pattern}: a wildcard this test does not know"
    parts = (re.escape(part).replace(r"\*", "[^/]*") for part in pattern.split("**"))
    return re.compile(".*".join(parts))


def test_every_assignment_tag_starts_the_deploy_and_no_version_tag_does() -> None:
    patterns = load(repo_workflows()["mlgate-deploy.yml"])["on"]["push"]["tags"]
    matched = [tag for tag in ("tiny#staging#1", "tiny#staging!#2", "models/a=churn#prod#3",
                               "models/a=churn#prod!#4", "deep/er/a=churn#prod#5",
                               "tiny@v1.0.0", "models/a=churn@v1.0.0")
               if any(github_filter(p).fullmatch(tag) for p in patterns)]
    # a subdirectory artifact's tags hold a `/`, which `*#*` would not match
    assert matched == ["tiny#staging#1", "tiny#staging!#2", "models/a=churn#prod#3",
                       "models/a=churn#prod!#4", "deep/er/a=churn#prod#5"]


@pytest.mark.parametrize("settings", [None, other_settings()], ids=["this repository",
                                                                       "elsewhere"])
def test_codeowners_cover_what_decides_a_promotion(settings: scaffold.Settings | None) -> None:
    text = ((REPO_ROOT / ".github" / "CODEOWNERS").read_text() if settings is None
            else scaffold.render_all(settings)[scaffold.CODEOWNERS])
    rules = dict(line.split(" ", 1) for line in text.splitlines()
                 if line and not line.startswith("#"))
    for path in ("/pipelines/", "/params.yaml", "/.github/", "/dvc.yaml", "/dvc.lock"):
        assert rules[path].strip(), path
    if settings is not None:
        assert set(rules.values()) == {"@acme/model-risk"}


def test_this_repository_runs_exactly_what_mlgate_init_writes() -> None:
    """The templates are the one source: edit them, then re-render (see the message)."""
    wanted = scaffold.render_all(scaffold.infer_settings(REPO_ROOT))
    for relpath, text in wanted.items():
        assert (REPO_ROOT / relpath).read_text() == text, (
            f"{relpath} differs from src/mlgate/templates: edit the template and run\n"
            "  .venv/bin/python -c 'from tests.support.workflows import rerender; rerender()'")
    ours = {f".github/workflows/{p.name}"
            for p in (REPO_ROOT / ".github" / "workflows").glob("mlgate-*")}
    assert ours == {p for p in wanted if p.startswith(scaffold.WORKFLOWS)}


def _tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is a dev dependency: `make install`"
    return found


@pytest.mark.parametrize("label", list(SETS))
def test_actionlint_and_shellcheck_find_nothing(label: str, tmp_path: Path) -> None:
    for name, text in SETS[label]().items():
        (tmp_path / name).write_text(text)
    _tool("shellcheck")  # actionlint checks every `run:` with it when it is on PATH
    proc = subprocess.run([_tool("actionlint"), "-no-color", *sorted(
        str(p) for p in tmp_path.iterdir())], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("label", list(SETS))
def test_github_workflow_schema(label: str, tmp_path: Path) -> None:
    for name, text in SETS[label]().items():
        (tmp_path / name).write_text(text)
    proc = subprocess.run([_tool("check-jsonschema"), "--builtin-schema",
                           "vendor.github-workflows", *sorted(
                               str(p) for p in tmp_path.iterdir())],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _authors(pages: list[list[str | None]]) -> list[str]:
    step = next(s for s in load(repo_workflows()["mlgate-promote.yml"])["jobs"]["promote"]
                ["steps"] if s["name"] == "Read the approvals of this run from GitHub")
    assert 'jq -s "$AUTHORS" "$OUT/logins.json" > "$OUT/authors.json"' in step["run"]
    # every commit of the change, and of the pull requests merged with it (a squash keeps
    # one author): `gh api --paginate --jq` writes one list per page
    assert "/compare/$base...$head" in step["run"] and "/pulls/$pr/commits" in step["run"]
    assert step["run"].count("[.commits[] | .author.login, .committer.login]") == 1
    assert step["run"].count("[.[] | .author.login, .committer.login]") == 1
    text = "".join(json.dumps(page) + "\n" for page in pages)
    proc = subprocess.run([_tool("jq"), "-s", step["env"]["AUTHORS"]], input=text,
                          capture_output=True, text=True, check=True)
    found: list[str] = json.loads(proc.stdout)
    return found


@pytest.mark.parametrize(("pages", "authors"), [
    # a squash merge: the commit is the author's and GitHub's (web-flow); the pull
    # request's commits bring its other author and committer
    ([["dana", "web-flow"], ["dana", "dana", "erin", "frank"]],
     ["dana", "erin", "frank", "web-flow"]),
    ([["dana", "dana"], ["erin", "dana"], ["dana", "dana"]], ["dana", "erin"]),
    ([["dana", "dana"], ["erin", None]], []),  # a commit of no account: authors unknown
    ([], []),
])
def test_the_promote_workflow_lists_every_author_and_committer(
        pages: list[list[str | None]], authors: list[str]) -> None:
    assert _authors(pages) == authors
