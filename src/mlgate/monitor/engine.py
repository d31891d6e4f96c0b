"""Where `profile` and `monitor` compute profiles (`--engine`): the options checked together,
so that a Spark-only option without `--engine spark` is an error, not silently ignored."""

from __future__ import annotations

from dataclasses import dataclass, field

from mlgate.errors import MlgateError


@dataclass(frozen=True)
class Engine:
    name: str = "local"
    table: str | None = None
    where: str | None = None
    master: str = "local[*]"
    conf: list[str] = field(default_factory=list)

    def check(self, data: list[str], data_option: str) -> None:
        """Refuse Spark options on the local engine, and no data or two kinds of it."""
        if self.name == "local":
            used = [o for o, v in (("--table", self.table), ("--where", self.where),
                                   ("--spark-conf", self.conf),
                                   ("--spark-master", self.master != "local[*]")) if v]
            if used:
                raise MlgateError(f"{used[0]} needs --engine spark",
                                  hint="add --engine spark, or leave the option out")
            if not data:
                raise MlgateError(f"no data: name {data_option}", hint="see --help")
        elif not data and self.table is None:
            raise MlgateError(f"no data: name {data_option} (Parquet) or --table NAME",
                              hint="see --help")


def spark_missing() -> MlgateError:
    return MlgateError("--engine spark needs PySpark, which is not installed",
                       hint="pip install 'mlgate[spark]' (and Java 17 or later)")
