"""Pure pieces of the audit: time parsing, record fields from untrusted data, dvc.lock
outputs, CSV cells, SVG escaping. No git, no files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from mlgate.audit.evidence import LockFacts, lock_facts, lock_outs
from mlgate.audit.history_rows import record_row, verdict
from mlgate.audit.ledger_log import LedgerCommit, Skipping, commit_batches, trailers
from mlgate.audit.records import Record, parse_record_time, safe_digest
from mlgate.audit.timeline import iso, key_metrics, parse_time
from mlgate.errors import MlgateError
from mlgate.registry.ledger import digest
from mlgate.render.audit_csv import _cell
from mlgate.render.audit_svg import metric, timeline


@pytest.mark.parametrize(("text", "when"), [
    ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
    ("2026-03-01T14:30:00Z", datetime(2026, 3, 1, 14, 30, tzinfo=UTC)),
    ("2026-03-01T14:30", datetime(2026, 3, 1, 14, 30, tzinfo=UTC)),
    ("2026-03-01 14:30:00+02:00", datetime(2026, 3, 1, 12, 30, tzinfo=UTC)),
    (" 2026-03-01T14:30:00.250000Z ", datetime(2026, 3, 1, 14, 30, 0, 250000, tzinfo=UTC)),
])
def test_parse_time(text: str, when: datetime) -> None:
    assert parse_time(text) == when


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01", "2026-02-30", "01/03/2026"])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(MlgateError, match="not a date or time"):
        parse_time(text)


@pytest.mark.parametrize(("text", "when"), [
    ("2026-11-22T21:38:01.630910Z", datetime(2026, 11, 22, 21, 38, 1, 630910, tzinfo=UTC)),
    ("2026-11-22T21:38:01+01:00", datetime(2026, 11, 22, 21, 38, 1,
                                           tzinfo=timezone(timedelta(hours=1)))),
    ("2026-11-22T21:38:01", None),  # a record's time always has its zone
    ("", None), ("soon", None),
])
def test_record_times(text: str, when: datetime | None) -> None:
    assert parse_record_time(text) == when


@pytest.mark.parametrize(("predicate", "fields"), [
    ({"model": "m", "environment": "e", "action": "promote", "seq": 3, "version": "1.0.0"},
     ("m", "e", "promote", 3, "1.0.0", [])),
    ({"model": 1, "environment": None, "action": ["x"], "seq": "3", "version": 2, "tags": "t"},
     ("", "", "", None, None, [])),
    ({"seq": True, "tags": ["a", 1, "b"]}, ("", "", "", None, None, ["a", "b"])),
])
def test_record_fields_tolerate_any_json(predicate: dict[str, object], fields: tuple[object, ...]
                                         ) -> None:
    record = Record({"predicate": predicate, "subject": "x"})
    assert (record.model, record.env, record.action, record.seq, record.version,
            record.tags) == fields
    assert (record.digests, record.mapping("decision"), record.listing("data")) == ({}, {}, [])


@pytest.mark.parametrize("predicate", [
    {"model": "m", "environment": "e", "action": "promote", "seq": 3, "version": "1.0.0",
     "time": "2026-11-22T21:38:01Z", "ci": {"actor": "bot"}, "approvals": ["ann"],
     "metrics": {"auc": 0.9, "n": 5, "ok": True, "nested": {"x": 1}, "acc": 0.8, "f1": 0.7},
     "decision": {"passed": True, "results": ["g"]}, "tags": ["m@v1.0.0", 7],
     "reason": "why", "commit": "abc"},
    {"model": 1, "seq": True, "time": "2026-11-22T21:38:01.5+01:00", "ci": "x", "tags": "t",
     "approvals": "ann", "metrics": ["a"], "decision": [], "commit": None},
    {"time": "2026-11-22T21:38:01", "metrics": {"a.b": 1.0, "c": 2}},
])
def test_history_rows_read_as_records_do(predicate: dict[str, object]) -> None:
    """record_row reads the predicate directly, for speed: it must agree with Record."""
    record = Record({"predicate": predicate}, "c0ffee", "records/x.json", "Ann <a@x>")
    row = record_row(record, (), "record")
    assert row == {
        "time": iso(record.time), "seq": record.seq, "model": record.model,
        "environment": record.env, "action": record.action, "version": record.version,
        "verdict": verdict(record), "who": record.who, "approvals": record.listing("approvals"),
        "metrics": key_metrics(record, ()), "reason": record.pred.get("reason"),
        "tags": record.tags, "commit": record.commit, "evidence": "record",
        "ledger_commit": "c0ffee"}
    assert "ok" not in row["metrics"] and "nested" not in row["metrics"]  # no bools, no maps
    assert len(row["metrics"]) <= 3


def test_key_metrics_declared_may_be_nested() -> None:
    record = Record({"predicate": {"metrics": {"auc": 0.9, "slices": {"young": 0.7}}}})
    assert key_metrics(record, ("slices.young", "auc", "missing")) == {
        "slices.young": 0.7, "auc": 0.9}


def _log_entry(oid: str, parents: str, body: str) -> bytes:
    return f"\0{oid}\x01{parents}\x01Ann <a@x>\x01{body}".encode()


def _commits(pieces: list[bytes]) -> list[LedgerCommit]:
    """The commits of all the batches, oldest first (as the trail keeps them)."""
    return [c for batch in commit_batches(pieces) for c in batch][::-1]


def test_ledger_log_parsed_in_any_pieces() -> None:
    """git's output is parsed as it comes: wherever the pieces break, the same commits."""
    log = b"".join([
        _log_entry("c" * 40, "b" * 40, 'promote\n\nmlgate-summary: {"seq":2}\n'
                   "mlgate-record: records/2.json\n"),
        _log_entry("b" * 40, "a" * 40, "promote\n\nmlgate-record: records/1.json\n"),
        _log_entry("a" * 40, "", "init\n\nmlgate-record: x\nmlgate-record: y\n"),
    ])
    whole = _commits([log])
    assert whole == [
        LedgerCommit("a" * 40, (), "Ann <a@x>", None, None),  # two record trailers: none
        LedgerCommit("b" * 40, ("a" * 40,), "Ann <a@x>", "records/1.json", None),
        LedgerCommit("c" * 40, ("b" * 40,), "Ann <a@x>", "records/2.json", b'{"seq":2}'),
    ]
    for size in (1, 7, 41, 100):
        pieces = [log[i:i + size] for i in range(0, len(log), size)]
        assert _commits(pieces) == whole
    assert _commits([]) == []


@pytest.mark.parametrize(("body", "found"), [
    (b'promote\n\nmlgate-summary: {"seq":2}\nmlgate-record: r/2.json\n', (b"r/2.json", b'{"seq":2}')),
    (b"promote\n\nmlgate-record: r/2.json", (b"r/2.json", None)),
    (b"mlgate-record: r/1.json\nmlgate-summary: {}\n", (b"r/1.json", b"{}")),  # first line
    (b"x\nmlgate-record: a\nmlgate-record: b\nmlgate-summary: {}", (None, b"{}")),  # two
    (b"x\nmlgate-summary:{}\nmlgate-record: a\n", (b"a", None)),  # no space: not the key
    (b"x mlgate-record: a\nmlgate-summary: {}\n", (None, b"{}")),  # not at a line's start
    (b"x\nmlgate-other: 1\nmlgate-record: a\nmlgate-summary: {}\n", (b"a", b"{}")),
])
def test_trailers_of_a_ledger_commit(body: bytes, found: tuple[bytes | None, bytes | None]
                                     ) -> None:
    assert trailers(body) == found


def _with_summary(summary: bytes) -> LedgerCommit:
    return LedgerCommit("c" * 40, (), "Ann <a@x>", "records/1.json", summary)


@pytest.mark.parametrize(("summary", "naming", "passed"), [
    (b'{"action":"monitor","seq":2}', False, True),
    (b'{"action":"monitor","seq":2}', True, True),
    (b'{"action":"promote","seq":2}', False, False),  # an action wanted
    (b'{"action":"refused","seq":2,"tags":[]}', False, True),
    (b'{"action":"refused","seq":2,"tags":[]}', True, False),  # may name a tag
    (b'{"action":"monitor","seq":2,"reason":"a \\"quote\\""}', False, False),  # an escape
    (b'{"action":"monitor","action":"promote"}', False, False),  # the decoder keeps the last
    (b'{"seq":2,"action":"monitor"}', False, False),  # not mlgate's canonical order
    (b'{"action":"monitor', False, False),
])
def test_summaries_passed_over_only_when_they_plainly_say_another_action(
        summary: bytes, naming: bool, passed: bool) -> None:
    skipping = Skipping(("promote", "rollback"), naming=naming)
    assert skipping.passes_over(_with_summary(summary)) is passed
    assert skipping.passed == ({"c" * 40} if passed else set())


def test_digest_of_a_record_no_mlgate_could_write() -> None:
    sane = {"predicate": {"seq": 1}}
    assert safe_digest(sane) == digest(sane)
    assert safe_digest({"predicate": {"x": float("nan")}}).startswith("sha256:")


@pytest.mark.parametrize(("decision", "shown"), [
    ({"passed": True, "results": [{"gate": "g"}]}, "pass"),
    ({"passed": False, "results": [{"gate": "g"}]}, "FAIL"),
    ({"passed": "yes", "results": [{"gate": "g"}]}, "FAIL"),
    ({"passed": True, "results": []}, "-"),
    ("not a mapping", "-"),
])
def test_verdict(decision: object, shown: str) -> None:
    assert verdict(Record({"predicate": {"decision": decision}})) == shown


@pytest.mark.parametrize(("raw", "outs"), [
    (b"schema: '2.0'\nstages:\n  train:\n    outs:\n    - path: m.bin\n      md5: ab\n"
     b"    - path: d\n      md5: cd.dir\n", {"m.bin": "ab", "d": "cd.dir"}),
    (b"stages:\n  s:\n    cmd: x\n", {}),
    (b"stages: [1, 2]\n", {}),
    (b"- a list\n", None),
    (b"key: [unclosed\n", None),
])
def test_lock_outs(raw: bytes, outs: dict[str, str] | None) -> None:
    assert lock_outs(raw) == outs


@pytest.mark.parametrize(("raw", "facts"), [
    (b"stages:\n  prep:\n    deps:\n    - path: data.csv\n      md5: aa\n    params:\n"
     b"      params.yaml:\n        prep.rows: 5\n    outs:\n    - path: clean.csv\n      md5: bb\n"
     b"  train:\n    deps:\n    - path: clean.csv\n      md5: bb\n    - path: data.csv\n"
     b"      md5: cc\n    params:\n      params.yaml:\n        train: {seed: 1}\n",
     LockFacts({"clean.csv": "bb"}, {"data.csv": "aa", "clean.csv": "bb"},
               {"params.yaml": {"prep.rows": 5, "train": {"seed": 1}}})),
    (b"stages:\n  s:\n    deps: 3\n    params: [x]\n", LockFacts({}, {}, {})),
    (b"stages:\n  s:\n    params:\n      p.yaml:\n        1: 2\n",
     LockFacts({}, {}, {"p.yaml": {"1": 2}})),  # as a record holds it, through JSON
])
def test_lock_facts(raw: bytes, facts: LockFacts) -> None:
    """What a promotion records from dvc.lock: the first stage's entry for a path, params of
    every stage merged in order (as DvcLock and promote.record.predicate make them)."""
    assert lock_facts(raw) == facts


@pytest.mark.parametrize(("value", "cell"), [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1", "'+1"), ("@sum", "'@sum"),
    ("-2+3", "'-2+3"), ("-", "-"), (-0.5, -0.5), (None, ""), (["a", "b"], "a; b"),
    ("plain", "plain"),
])
def test_csv_cells_are_not_formulas(value: object, cell: object) -> None:
    assert _cell(value) == cell


def test_charts_escape_what_the_records_say() -> None:
    lanes = {"<prod>": [{"version": "1.0.0<b>", "action": "rollback",
                         "since": "2026-01-01T00:00:00+00:00", "until": None}]}
    svg = timeline("m&m", lanes, ["1.0.0<b>"], datetime(2026, 1, 2, tzinfo=UTC))
    assert "<prod>" not in svg and "&lt;prod&gt;" in svg and "1.0.0&lt;b&gt;" in svg
    assert 'stroke-dasharray="4 3"' in svg  # a rollback's stay is dashed
    chart = metric("m", "auc<", {"1.0.0": 0.9, "1.1.0": 0.95, "1.2.0": "n/a"},
                   ["1.0.0", "1.1.0", "1.2.0"])
    assert chart.count("<circle") == 2 and 'aria-label="m: auc&lt; by version"' in chart
    assert metric("m", "x", {}, ["1.0.0"]) == ""
