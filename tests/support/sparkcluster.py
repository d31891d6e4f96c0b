"""A real Spark standalone cluster on localhost: one master and two one-core workers,
started from the PySpark distribution's ``spark-class`` and stopped afterwards. Used by
the end-to-end test and by bench/spark.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

READY_SECONDS = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spark_class() -> str:
    from pyspark.find_spark_home import _find_spark_home

    return str(Path(_find_spark_home()) / "bin" / "spark-class")


@contextmanager
def standalone_cluster(work: Path, workers: int = 2, memory: str = "1g") -> Iterator[str]:
    """Yields the master's URL (``spark://127.0.0.1:PORT``) once every worker registered;
    executors run this Python with this process's PYTHONPATH."""
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable,
           "SPARK_LOG_DIR": str(work), "SPARK_WORKER_DIR": str(work / "workers")}
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        master_log = (work / "master.log").open("wb")
        logs.append(master_log)
        procs.append(subprocess.Popen(
            [_spark_class(), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
             "--port", str(port), "--webui-port", str(_free_port())],
            env=env, stdout=master_log, stderr=subprocess.STDOUT))
        for i in range(workers):
            log = (work / f"worker-{i}.log").open("wb")
            logs.append(log)
            procs.append(subprocess.Popen(
                [_spark_class(), "org.apache.spark.deploy.worker.Worker", url,
                 "--host", "127.0.0.1", "--cores", "1", "--memory", memory,
                 "--webui-port", str(_free_port()), "--work-dir", str(work / f"w{i}")],
                env=env, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + READY_SECONDS
        while (work / "master.log").read_text(errors="replace").count(
                "Registering worker") < workers:
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError("the standalone cluster did not start; see "
                                   f"{work}/master.log and worker-*.log")
            time.sleep(0.5)
        yield url
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()
