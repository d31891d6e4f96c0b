"""`verify-artifact --deploy --record`: what really served, on the ledger.

Real registries (tiny promoted to staging, pushed to a bare origin) and a real deploy
command; the record says whether the deploy succeeded, which artifact it deployed, and
the runtime it ran in. Promotion records carry the runtime too.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from mlgate.registry import ledger
from tests.support.project import Project, git
from tests.support.registry import assert_registry_whole, ledger_records, registry_refs


def deploys(cwd: Path) -> list[dict[str, Any]]:
    return [r for r in ledger_records(cwd) if r["predicateType"] == ledger.DEPLOY_TYPE]


def expected_runtime() -> dict[str, Any]:
    """Worked out here independently: sorted `name==version` of every distribution."""
    names: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"].strip().lower().replace("_", "-")
        names.setdefault(name, dist.version)
    text = "".join(line + "\n" for line in sorted(f"{n}=={v}" for n, v in names.items()))
    return {"python": platform.python_version(),
            "packages": {"count": len(names),
                         "sha256": hashlib.sha256(text.encode()).hexdigest()}}


def test_a_successful_deploy_is_recorded_and_pushed(cli: Any, promoted: Project) -> None:
    result = cli("verify-artifact", "tiny#staging#1", "--deploy", "--record", "--push",
                 "--format", "json", cwd=promoted.path)
    assert result.code == 0, result.out + result.err
    report = json.loads(result.out)
    assert report["record"]["seq"] == 2 and report["record"]["pushed"] is True
    assert report["record"]["outcome"] == "success"
    promotion, deploy = ledger_records(promoted.origin)
    pred = deploy["predicate"]
    sha256 = hashlib.sha256((promoted.path / "model/model.bin").read_bytes()).hexdigest()
    assert deploy["predicateType"] == ledger.DEPLOY_TYPE
    assert deploy["subject"][0]["name"] == "model/model.bin"
    assert deploy["subject"][0]["digest"]["sha256"] == sha256
    assert (pred["model"], pred["environment"], pred["version"], pred["tag"]) == (
        "tiny", "staging", "1.0.0", "tiny#staging#1")
    assert (pred["outcome"], pred["detail"]) == ("success", "deployed: deploy.command succeeded")
    assert pred["artifact"]["sha256"] == sha256 == promotion["subject"][0]["digest"]["sha256"]
    assert pred["deployment"] == ledger.digest(promotion)
    assert pred["previous"] is None
    want = expected_runtime()
    assert pred["runtime"]["python"] == want["python"]
    assert pred["runtime"]["packages"] == want["packages"]
    # the promotion record carries the runtime too
    assert promotion["predicate"]["runtime"]["packages"] == want["packages"]
    assert registry_refs(promoted.path) == registry_refs(promoted.origin)
    assert_registry_whole(promoted.origin)
    verified = cli("audit", "verify", "--format", "json", cwd=promoted.path)
    assert json.loads(verified.out)["verdict"] == "intact", verified.out
    at = cli("audit", "at", "2100-01-01", "--env", "staging", "--format", "json",
             cwd=promoted.path)
    said = json.loads(at.out)["served"][0]["deployed"]
    assert (said["outcome"], said["seq"], said["artifact"]["sha256"]) == ("success", 2, sha256)
    text = cli("audit", "at", "2100-01-01", "--env", "staging", cwd=promoted.path).out
    assert re.search(rf"\ndeployed +deployed at {said['time']} \(ledger #2\): sha256 {sha256}, "
                     r"Python 3\.", text)


def test_a_failed_deploy_is_recorded_as_failed(cli: Any, promoted: Project) -> None:
    (promoted.path / "model" / "model.bin").write_text("not the promoted model\n")
    result = cli("verify-artifact", "tiny#staging#1", "--deploy", "--record", cwd=promoted.path)
    assert result.code == 1
    assert result.out.splitlines()[-1].startswith("recorded on the ledger as #2 (")
    (deploy,) = deploys(promoted.path)
    pred = deploy["predicate"]
    assert (pred["outcome"], pred["detail"]) == ("failure", "not deployed")
    assert pred["problems"][0].startswith("model/model.bin: sha256 ")
    assert pred["artifact"]["sha256"] == hashlib.sha256(
        b"not the promoted model\n").hexdigest()
    history = json.loads(cli("history", "--events", "deploy", "--format", "json",
                             cwd=promoted.path).out)["history"]
    assert [(r["action"], r["verdict"]) for r in history] == [("deploy", "FAILED")]
    text = cli("audit", "at", "2100-01-01", "--env", "staging", cwd=promoted.path).out
    assert re.search(r"\ndeployed +deploy FAILED at ", text)


def test_a_superseded_tag_is_recorded_as_skipped(cli: Any, promoted: Project) -> None:
    promoted.write("NOTES.md", "v1.1.0\n")
    promoted.commit_all("another version")
    promoted.push_main()
    assert cli("promote", "tiny", "--env", "staging", "--push", cwd=promoted.path).code == 0
    git("checkout", "-q", "HEAD~1", cwd=promoted.path)
    result = cli("verify-artifact", "tiny#staging#1", "--deploy", "--record", cwd=promoted.path)
    assert result.code == 0, result.out + result.err
    (deploy,) = deploys(promoted.path)
    assert deploy["predicate"]["outcome"] == "skipped"
    assert deploy["predicate"]["detail"] == "not deployed: superseded by tiny#staging#2"


@pytest.mark.parametrize(("args", "message"), [
    (("--record",), "--record needs --deploy: it records what the deploy did"),
    (("--deploy", "--push"), "--push needs --record"),
])
def test_record_options_need_each_other(cli: Any, promoted: Project, args: tuple[str, ...],
                                        message: str) -> None:
    before = registry_refs(promoted.path)
    result = cli("verify-artifact", "tiny#staging#1", *args, cwd=promoted.path)
    assert result.code == 2
    assert result.err.splitlines()[0] == message
    assert registry_refs(promoted.path) == before


def test_a_forged_deploy_of_another_version_is_caught(cli: Any, promoted: Project) -> None:
    assert cli("verify-artifact", "tiny#staging#1", "--deploy", "--record",
               cwd=promoted.path).code == 0
    (real,) = deploys(promoted.path)
    head = ledger.chain_head("tiny", "staging", cwd=promoted.path, of="deploy")
    forged = {**real, "predicate": {**real["predicate"], "version": "2.0.0",
                                    "seq": head.seq + 1, "previous": head.previous}}
    parent = git("rev-parse", ledger.LEDGER_REF, cwd=promoted.path)
    commit = ledger.build_commit(forged, parent, cwd=promoted.path)
    git("update-ref", ledger.LEDGER_REF, commit, parent, cwd=promoted.path)
    found = json.loads(cli("audit", "verify", "--format", "json", cwd=promoted.path).out)
    assert [(f["kind"], f["where"]) for f in found["findings"]] == [
        ("observed", "#3 (deploy tiny v2.0.0 to staging)")]
