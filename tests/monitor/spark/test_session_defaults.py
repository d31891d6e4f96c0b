"""The driver defaults of the session mlgate starts itself reach the driver JVM, and
``--spark-conf`` overrides them. In a fresh process: the JVM's options are fixed when it
starts, and the shared test session is already up in this one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import json, os, sys
from mlgate.monitor.spark.session import spark_session

with spark_session("local[1]", sys.argv[1:]) as session:
    jvm = session.sparkContext._jvm
    management = jvm.java.lang.management.ManagementFactory
    conf = session.sparkContext.getConf()
    found = {
        "memory": conf.get("spark.driver.memory"),
        "retained": conf.get("spark.sql.ui.retainedExecutions"),
        "collectors": [bean.getName() for bean in management.getGarbageCollectorMXBeans()],
        "arguments": list(management.getRuntimeMXBean().getInputArguments()),
        "max_heap_mb": jvm.java.lang.Runtime.getRuntime().maxMemory() >> 20,
        "jvm_arena": jvm.java.lang.System.getenv("MALLOC_ARENA_MAX"),
        "rows": session.range(10).count(),
    }
found["python_arena_after"] = os.environ.get("MALLOC_ARENA_MAX")
print(json.dumps(found))
"""


def _probe(*conf: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", PROBE, *conf], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_the_driver_jvm_starts_with_mlgate_memory_defaults() -> None:
    found = _probe()
    assert found["rows"] == 10
    assert found["memory"] == "512m" and found["retained"] == "5"
    assert found["collectors"] == ["Copy", "MarkSweepCompact"]  # the serial collector
    assert {"-XX:+UseSerialGC", "-Xms16m", "-Xmx512m"} <= set(found["arguments"])
    # a local master's driver runs the tasks: it keeps the optimising compiler
    assert "-XX:TieredStopAtLevel=1" not in found["arguments"]
    assert found["jvm_arena"] == "2" and found["python_arena_after"] is None


@pytest.mark.parametrize(("master", "c1_only"), [
    ("local", False), ("local[2]", False), ("local[*, 3]", False),
    ("spark://127.0.0.1:7077", True), ("yarn", True), ("local-cluster[2,1,1024]", True)])
def test_only_a_driver_that_runs_no_tasks_gets_the_c1_compiler_alone(master: str,
                                                                     c1_only: bool) -> None:
    from mlgate.monitor.spark.session import driver_java_options

    options = driver_java_options(master).split()
    assert ("-XX:TieredStopAtLevel=1" in options) is c1_only
    assert ("-XX:CICompilerCount=1" in options) is c1_only
    assert "-XX:+UseSerialGC" in options


def test_spark_conf_overrides_the_driver_defaults() -> None:
    found = _probe("spark.driver.memory=640m", "spark.sql.ui.retainedExecutions=50",
                   "spark.driver.extraJavaOptions=-XX:MaxHeapFreeRatio=70")
    assert found["memory"] == "640m" and found["retained"] == "50"
    assert "-Xmx640m" in found["arguments"] and found["max_heap_mb"] > 512
    arguments = found["arguments"]
    # the user's option comes after mlgate's, and the JVM takes the last one
    assert arguments.index("-XX:MaxHeapFreeRatio=70") > arguments.index(
        "-XX:MaxHeapFreeRatio=20")
