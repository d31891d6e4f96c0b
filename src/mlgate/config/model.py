"""Frozen dataclasses for a validated model declaration, built once after validation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

Direction = Literal["higher", "lower"]

_LOWER_IS_BETTER = ("log_loss", "brier", "mse", "rmse", "mae", "mape")


def default_direction(metric: str) -> Direction:
    leaf = metric.rsplit(".", 1)[-1]
    if leaf in _LOWER_IS_BETTER or leaf.endswith(("loss", "error")):
        return "lower"
    return "higher"


_DURATION = re.compile(r"^(\d+)([smhdw]?)$")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> int:
    """'36h' -> seconds. The schema has already checked the form."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    return int(match.group(1)) * _SECONDS[match.group(2)]


@dataclass(frozen=True)
class Gate:
    kind: str
    label: str | None
    # index of the gate in its list, so that reports can point back at the YAML
    index: int

    @property
    def title(self) -> str:
        return self.label or self.kind


@dataclass(frozen=True)
class ThresholdGate(Gate):
    metric: str
    min: float | None = None
    max: float | None = None

    @property
    def title(self) -> str:
        return self.label or f"threshold {self.metric}"


@dataclass(frozen=True)
class NoRegressionGate(Gate):
    metric: str
    tolerance: float = 0.0
    relative: bool = False
    against: str | None = None
    # the paired comparison, used when the model declares `evaluation:`
    method: Literal["bootstrap", "delong"] = "bootstrap"
    level: float = 0.95
    resamples: int = 1000
    seed: int = 0

    @property
    def title(self) -> str:
        return self.label or f"no_regression {self.metric}"


@dataclass(frozen=True)
class ConfidenceGate(Gate):
    metric: str
    min: float | None = None
    max: float | None = None
    level: float = 0.95
    resamples: int = 1000
    seed: int = 0
    min_samples: int = 100

    @property
    def title(self) -> str:
        return self.label or f"confidence {self.metric}"


@dataclass(frozen=True)
class SlicesGate(Gate):
    column: str
    metric: str
    min: float | None = None
    max_gap: float | None = None
    min_size: int = 30

    @property
    def title(self) -> str:
        return self.label or f"slices {self.column} {self.metric}"


@dataclass(frozen=True)
class ReproducibleGate(Gate):
    pass


@dataclass(frozen=True)
class FreshnessGate(Gate):
    max_age: str = "0"
    dependency: str | None = None

    @property
    def max_age_seconds(self) -> int:
        return parse_duration(self.max_age)


GATE_TYPES: dict[str, type[Gate]] = {
    "threshold": ThresholdGate,
    "no_regression": NoRegressionGate,
    "confidence": ConfidenceGate,
    "slices": SlicesGate,
    "reproducible": ReproducibleGate,
    "freshness": FreshnessGate,
}


def build_gate(raw: dict[str, Any], index: int) -> Gate:
    fields = {k: v for k, v in raw.items() if k not in ("kind", "name")}
    cls = GATE_TYPES[raw["kind"]]
    return cls(kind=raw["kind"], label=raw.get("name"), index=index, **fields)


@dataclass(frozen=True)
class Requires:
    environment: str
    soak: str = "0"

    @property
    def soak_seconds(self) -> int:
        return parse_duration(self.soak)


@dataclass(frozen=True)
class Approval:
    min_approvers: int
    exclude_author: bool = True


@dataclass(frozen=True)
class Rollback:
    gates: tuple[Gate, ...] = ()
    approval: bool = False


@dataclass(frozen=True)
class Environment:
    name: str
    gates: tuple[Gate, ...] = ()
    requires: Requires | None = None
    approval: Approval | None = None
    rollback: Rollback = field(default_factory=Rollback)
    # promote may take a commit the policy's ref (the default branch) cannot reach
    allow_unmerged: bool = False


@dataclass(frozen=True)
class Owner:
    name: str
    email: str


@dataclass(frozen=True)
class Review:
    last_validated: str
    interval_days: int | None = None
    valid_until: str | None = None
    validator: str | None = None

    def ends(self) -> date | None:
        """The last day the validation holds: ``valid_until``, or ``last_validated +
        interval_days``, the earlier when both are declared; None when neither is."""
        ends = []
        if self.valid_until:
            ends.append(date.fromisoformat(self.valid_until))
        if self.interval_days:
            ends.append(date.fromisoformat(self.last_validated)
                        + timedelta(days=self.interval_days))
        return min(ends) if ends else None


@dataclass(frozen=True)
class Metrics:
    files: tuple[str, ...]
    directions: dict[str, Direction] = field(default_factory=dict)
    key: tuple[str, ...] = ()

    def direction(self, metric: str) -> Direction:
        return self.directions.get(metric) or default_direction(metric)


@dataclass(frozen=True)
class PredictionsFile:
    path: str
    label: str = "label"
    score: str = "score"


Task = Literal["binary", "multiclass", "regression"]
# the metrics mlgate computes for each task (mlgate.evaluation.metrics computes them)
TASK_METRICS: dict[Task, tuple[str, ...]] = {
    "binary": ("roc_auc", "pr_auc", "log_loss", "brier", "accuracy", "f1", "ks", "gini",
               "precision", "recall"),
    "multiclass": ("accuracy", "f1_macro", "f1_weighted", "log_loss", "roc_auc_ovr"),
    "regression": ("rmse", "mae", "r2", "mape"),
}

# the scoring command's placeholders, each required
SCORE_PLACEHOLDERS = ("artifact", "features", "scores")


@dataclass(frozen=True)
class Evaluation:
    """`evaluation:`: how mlgate scores candidate and incumbent on the same holdout rows."""

    task: Task
    holdout: str
    label: str
    id: str
    score: str
    slices: tuple[str, ...] = ()
    classes: tuple[str | int, ...] = ()
    # files the scorer runs; empty: the repository files the command names
    code: tuple[str, ...] = ()


def build_evaluation(raw: dict[str, Any]) -> Evaluation:
    return Evaluation(
        task=raw["task"], holdout=raw["holdout"], label=raw["label"], id=raw["id"],
        score=raw["score"], slices=tuple(raw.get("slices", ())),
        classes=tuple(raw.get("classes", ())), code=tuple(raw.get("code", ())))


@dataclass(frozen=True)
class Model:
    """A validated `pipelines/<name>.yaml`."""

    name: str
    description: str
    owner: Owner
    risk_tier: str
    intended_use: str
    review: Review
    artifact: str
    metrics: Metrics
    environments: tuple[Environment, ...]
    predictions: PredictionsFile | None = None
    evaluation: Evaluation | None = None
    monitoring: dict[str, Any] | None = None
    deploy_command: str | None = None
    retrain_command: str | None = None
    source: str = ""  # the file it was read from, for messages
    dvc_artifact: str | None = None  # its address in dvc.yaml's `artifacts:` (GTO's)
    labels: tuple[str, ...] = ()
    # the dvc.yaml whose stages make it (a monorepo's `models/a/dvc.yaml`); dvc.lock beside it
    pipeline: str = "dvc.yaml"

    @property
    def lock_file(self) -> str:
        return lock_beside(self.pipeline)

    @property
    def address(self) -> str:
        """What its registry tags name: GTO's address `path/to/dir:name` when
        `dvc_artifact` names an artifact of a subdirectory's dvc.yaml (as GTO and DVC
        Studio address it), else the declaration's name (a root model keeps its tags)."""
        return registry_address(self.name, self.dvc_artifact)

    def environment(self, name: str) -> Environment | None:
        return next((e for e in self.environments if e.name == name), None)

    @property
    def environment_names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.environments)

    def reads_predictions(self, env: str | None = None) -> bool:
        """Whether any gate (promotion or rollback) of ``env``, or of any environment,
        judges the predictions file."""
        return any(isinstance(gate, ConfidenceGate | SlicesGate)
                   for e in self.environments if env in (None, e.name)
                   for gate in (*e.gates, *e.rollback.gates))

    @property
    def key_metrics(self) -> tuple[str, ...]:
        if self.metrics.key:
            return self.metrics.key
        named: list[str] = []
        for env in self.environments:
            for gate in env.gates:
                if isinstance(gate, ThresholdGate | NoRegressionGate) and gate.metric not in named:
                    named.append(gate.metric)
        return tuple(named)


def build_environment(raw: dict[str, Any]) -> Environment:
    rollback = raw.get("rollback", {})
    return Environment(
        name=raw["name"],
        gates=tuple(build_gate(g, i) for i, g in enumerate(raw.get("gates", []))),
        requires=Requires(**raw["requires"]) if "requires" in raw else None,
        approval=Approval(**raw["approval"]) if "approval" in raw else None,
        rollback=Rollback(
            gates=tuple(build_gate(g, i) for i, g in enumerate(rollback.get("gates", []))),
            approval=rollback.get("approval", False),
        ),
        allow_unmerged=raw.get("allow_unmerged", False),
    )


def build_model(data: dict[str, Any], source: str) -> Model:
    """Build the dataclasses from data that has passed schema validation."""
    metrics = data["metrics"]
    predictions = data.get("predictions")
    return Model(
        name=data["name"],
        description=data["description"],
        owner=Owner(**data["owner"]),
        risk_tier=data["risk_tier"],
        intended_use=data["intended_use"],
        review=Review(**data["review"]),
        artifact=data["artifact"],
        metrics=Metrics(
            files=tuple(metrics["files"]),
            directions=dict(metrics.get("directions", {})),
            key=tuple(metrics.get("key", ())),
        ),
        environments=tuple(build_environment(e) for e in data["promotion"]["environments"]),
        predictions=PredictionsFile(**predictions) if predictions else None,
        evaluation=build_evaluation(data["evaluation"]) if "evaluation" in data else None,
        monitoring=data.get("monitoring"),
        deploy_command=data.get("deploy", {}).get("command"),
        retrain_command=data.get("retrain", {}).get("command"),
        source=source,
        dvc_artifact=data.get("dvc_artifact"),
        labels=tuple(data.get("labels", ())),
        pipeline=data.get("pipeline", "dvc.yaml"),
    )


def registry_address(name: str, dvc_artifact: str | None) -> str:
    """:attr:`Model.address`, from the two fields that decide it."""
    return dvc_artifact if dvc_artifact and ":" in dvc_artifact else name


def lock_beside(pipeline: str) -> str:
    """The dvc.lock DVC writes beside a dvc.yaml."""
    folder = pipeline.rpartition("/")[0]
    return f"{folder}/dvc.lock" if folder else "dvc.lock"
