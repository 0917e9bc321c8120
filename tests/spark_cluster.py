"""A Spark standalone cluster on 127.0.0.1 (one master, two one-core workers), started and
stopped with the pyspark package's own daemon script (``pyspark/sbin/spark-daemon.sh``, which
Spark's ``start-master.sh`` and ``start-worker.sh`` call; the PyPI package ships the daemon
script, not those two wrappers).

Everything the daemons write (pid files, logs) is in a folder of the caller's, so that
:meth:`StandaloneCluster.stop` stops these daemons and no other process. Ports: the master and
workers in 7100-7199, their web UIs in 8300-8399, the first free ones.

Used by the session fixture ``spark_cluster`` (``tests/conftest.py``) and by
``bench/bench_spark.py``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

CLUSTER_ENV = "SALESCORE_TEST_SPARK_CLUSTER"
"""``required`` (``.ci/run`` sets it): a machine that cannot start the cluster fails the test
instead of skipping it."""

_MASTER = "org.apache.spark.deploy.master.Master"
_WORKER = "org.apache.spark.deploy.worker.Worker"


def spark_home() -> Path | None:
    """The pyspark package's folder (it is a Spark distribution: bin, sbin, jars)."""
    try:
        import pyspark
    except ImportError:
        return None
    return Path(pyspark.__file__).parent


def java() -> str | None:
    """The java that Spark's scripts will run, or None."""
    home = os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", "java").exists():
        return str(Path(home, "bin", "java"))
    return shutil.which("java")


def why_not() -> str | None:
    """Why a cluster cannot start here (None when it can)."""
    home = spark_home()
    if home is None:
        return "PySpark is not installed (pip install '.[spark]')"
    if not (home / "sbin" / "spark-daemon.sh").exists():
        return f"{home}/sbin/spark-daemon.sh is missing from the pyspark package"
    if java() is None:
        return ("no Java runtime (Spark 4 needs Java 17 or 21: "
                "apt-get install openjdk-17-jre-headless)")
    return None


def _free_port(first: int, last: int, taken: set[int]) -> int:
    for port in range(first, last + 1):
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        taken.add(port)
        return port
    raise RuntimeError(f"no free port in {first}-{last}")


@dataclass
class StandaloneCluster:
    """One master and ``workers`` workers of one core and ``worker_memory`` each."""

    folder: Path
    workers: int = 2
    worker_memory: str = "1g"
    master_port: int = 0
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"spark://127.0.0.1:{self.master_port}"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "SPARK_NO_DAEMONIZE"}
        env.update(SPARK_HOME=str(spark_home()), SPARK_LOCAL_IP="127.0.0.1",
                   SPARK_PID_DIR=str(self.folder / "pids"), SPARK_LOG_DIR=str(self.folder / "logs"),
                   SPARK_IDENT_STRING="salescore-test", SPARK_DAEMON_MEMORY="256m",
                   SPARK_WORKER_DIR=str(self.folder / "work"))
        return env

    def _daemon(self, action: str, cls: str, instance: int, *args: str) -> None:
        script = Path(str(spark_home())) / "sbin" / "spark-daemon.sh"
        subprocess.run(["bash", str(script), action, cls, str(instance), *args],
                       env=self._env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60, check=False)

    def _log(self, cls: str, instance: int) -> str:
        found = list((self.folder / "logs").glob(f"*{cls}-{instance}-*.out"))
        return found[0].read_text(errors="replace") if found else ""

    def _wait(self, what: str, ready: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            time.sleep(0.5)
        raise RuntimeError(f"the Spark {what} did not start within {timeout:.0f} s; its log is in "
                           f"{self.folder / 'logs'}")

    def start(self, timeout: float = 120) -> StandaloneCluster:
        """Start the master, then the workers; return when every worker has registered."""
        reason = why_not()
        if reason:
            raise RuntimeError(reason)
        taken: set[int] = set()
        self.master_port = _free_port(7100, 7199, taken)
        ui = _free_port(8300, 8399, taken)
        self.ports = {"master": self.master_port, "master-ui": ui}
        self._daemon("start", _MASTER, 1, "--host", "127.0.0.1", "--port", str(self.master_port),
                     "--webui-port", str(ui))
        self._wait("master", lambda: "I have been elected leader" in self._log(_MASTER, 1),
                   timeout)
        for n in range(1, self.workers + 1):
            port, ui = _free_port(7100, 7199, taken), _free_port(8300, 8399, taken)
            self.ports |= {f"worker-{n}": port, f"worker-{n}-ui": ui}
            self._daemon("start", _WORKER, n, "--host", "127.0.0.1", "--port", str(port),
                         "--webui-port", str(ui), "--cores", "1", "--memory", self.worker_memory,
                         self.url)
        for n in range(1, self.workers + 1):
            self._wait(f"worker {n}",
                       lambda n=n: "Successfully registered with master" in self._log(_WORKER, n),
                       timeout)
        return self

    def pids(self) -> list[int]:
        """The process ids of this cluster's daemons still running."""
        alive = []
        for pid_file in (self.folder / "pids").glob("*.pid"):
            try:
                pid = int(pid_file.read_text().strip())
                os.kill(pid, 0)
            except (ValueError, OSError):
                continue
            alive.append(pid)
        return alive

    def stop(self) -> None:
        """Stop the workers, then the master; kill whichever daemon is still running after
        that (only these daemons, by their pid files)."""
        for n in range(self.workers, 0, -1):
            self._daemon("stop", _WORKER, n)
        self._daemon("stop", _MASTER, 1)
        deadline = time.monotonic() + 15
        while self.pids() and time.monotonic() < deadline:
            time.sleep(0.5)
        for pid in self.pids():
            os.kill(pid, signal.SIGKILL)
