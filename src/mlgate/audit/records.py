"""One record of the audit trail (a promotion, rollback, retirement, refusal, monitoring or
deploy record) as the ledger, or failing that a tag message, holds it, read through
properties that check its untrusted shapes; partial when only its ledger commit's summary
was read."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlgate.audit.ledger_log import LedgerCommit
from mlgate.plumbing.once import once
from mlgate.registry import ledger


@dataclass(frozen=True)
class Record:
    """One deployment record, as the ledger (or, failing that, a tag message) holds it."""

    data: dict[str, Any]
    ledger_commit: str | None = None  # None: found only in a tag's message
    path: str | None = None
    author: str | None = None  # who wrote the ledger commit
    # only the projection its ledger commit carries (ledger.projection), not the record
    partial: bool = False

    @classmethod
    def projected(cls, pred: dict[str, Any], commit: LedgerCommit) -> Record:
        """The partial record a ledger commit's summary makes. Built without the dataclass's
        __init__ (a frozen one sets each field through object.__setattr__): ten thousand
        are made per `history`, and that took a third fewer instructions."""
        record = object.__new__(cls)
        record.__dict__.update(data={"predicate": pred}, ledger_commit=commit.oid,
                               path=commit.path, author=commit.author, partial=True, pred=pred)
        return record

    @once
    def digest(self) -> str:
        if self.partial:
            raise RuntimeError("a partial record has no digest: load the trail in full")
        return safe_digest(self.data)

    @once
    def pred(self) -> dict[str, Any]:
        pred = self.data.get("predicate")
        return pred if isinstance(pred, dict) else {}

    def mapping(self, key: str) -> dict[str, Any]:
        """A mapping of the predicate; empty when the record (untrusted) has none there."""
        value = self.pred.get(key)
        return value if isinstance(value, dict) else {}

    def listing(self, key: str) -> list[Any]:
        value = self.pred.get(key)
        return value if isinstance(value, list) else []

    @property
    def digests(self) -> dict[str, Any]:
        """The subject's digests: sha256 and md5 of the artifact."""
        value = self.subject.get("digest")
        return value if isinstance(value, dict) else {}

    def _text(self, key: str) -> str:
        value = self.pred.get(key)
        return value if isinstance(value, str) else ""

    @property
    def kind(self) -> str:
        """"deployment" (promote, rollback, retire, refused), "monitoring" or "deploy"."""
        return ledger.kind(self.data) if "predicateType" in self.data else (
            _ACTION_KINDS.get(self._text("action"), "deployment"))

    @property
    def model(self) -> str:
        return self._text("model")

    @property
    def address(self) -> str:
        """What the model's tags name: a subdirectory artifact's address (GTO's), else
        the model's name."""
        return self._text("address") or self.model

    @property
    def env(self) -> str:
        return self._text("environment")

    @property
    def action(self) -> str:
        return self._text("action")

    @property
    def version(self) -> str | None:
        return self._text("version") or None

    @property
    def commit(self) -> str:
        return self._text("commit")

    @property
    def seq(self) -> int | None:
        seq = self.pred.get("seq")
        return seq if isinstance(seq, int) and not isinstance(seq, bool) else None

    @property
    def tags(self) -> list[str]:
        tags = self.pred.get("tags")
        return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []

    @once
    def time(self) -> datetime | None:
        return parse_record_time(self._text("time"))

    @property
    def subject(self) -> dict[str, Any]:
        subjects = self.data.get("subject")
        first = subjects[0] if isinstance(subjects, list) and subjects else {}
        return first if isinstance(first, dict) else {}

    @property
    def who(self) -> str:
        """The CI actor when the record was made in CI, else whoever wrote the ledger."""
        actor = self.mapping("ci").get("actor")
        return str(actor or self.author or "")

    @property
    def label(self) -> str:
        """`#12 (promote tiny v1.1.0 to staging)`: how findings name a record."""
        seq = f"#{self.seq}" if self.seq is not None else self.digest[:19]
        try:
            return f"{seq} ({ledger.summary(self.data)})"
        except (KeyError, TypeError):
            return seq


# a partial record (a commit's projection) has no predicate type: its action says its kind
_ACTION_KINDS = {"monitor": "monitoring", "deploy": "deploy"}


def safe_digest(data: dict[str, Any]) -> str:
    """The record's digest; a record no mlgate could write (NaN, say) still gets one."""
    try:
        return ledger.digest(data)
    except (TypeError, ValueError):
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def parse_record_time(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else None
