"""Throwaway PostgreSQL and Ray services for the tests and benchmarks: started here, gone afterwards.

PostgreSQL: a cluster of its own (``initdb`` + ``pg_ctl`` from
/usr/lib/postgresql/*/bin) in a temporary folder, reachable only through a
Unix socket in that folder (``listen_addresses=''``), with ``fsync=off``
(nothing of it must survive a crash of the machine). initdb refuses to run
as root, so as root it runs as the ``postgres`` user. Databases are created
with ``createdb`` from ``template0`` with the C locale: text sorts by bytes,
as in SQLite, so ``ORDER BY id`` gives the same order on both backends.

Ray: ``ray start --head --block`` in a process group of its own, with token
authentication (``RAY_AUTH_MODE=token`` and a token made for the session) —
the mode a cluster runs in — so that a client given only ``RAY_ADDRESS``
would fail exactly as on a real cluster.

Ray gives each worker a process group of its own, so what was started is
found by its session (start_new_session): stopping Ray ends every process
of that session and nothing else.

Neither service is ever skipped: a test that needs one gets one, or fails
saying why (scripts/test installs PostgreSQL and the `cluster` extra).
"""

from __future__ import annotations

import itertools
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")
# The `ray` command run by this interpreter, not through the console script, whose #! line names the
# interpreter that installed it (a venv reached through another path breaks it).
RAY_CLI = [sys.executable, "-m", "ray.scripts.scripts"]


def postgres_bin() -> Path:
    """The newest PostgreSQL server's bin folder (Debian's layout)."""
    found = sorted(PG_ROOT.glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if not found:
        raise RuntimeError(f"no PostgreSQL server under {PG_ROOT}: install Debian's postgresql (scripts/test does)")
    return found[-1].parent


class PostgresCluster:
    """A PostgreSQL server of our own, in a new folder under /tmp, listening on a Unix socket only.

    Not under pytest's folders: those are private to root, and the server runs
    as `postgres`; and a Unix socket's path must stay under 108 bytes.
    """

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pipeline-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.bin = postgres_bin()
        self._names = itertools.count(1)

    # -- running commands as the right user --------------------------------------------
    def _as_owner(self, argv: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return argv
        return ["runuser", "-u", "postgres", "--", *argv]

    def _run(self, *argv: str | Path, owner: bool = False) -> None:
        command = [str(a) for a in argv]
        proc = subprocess.run(self._as_owner(command) if owner else command, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")

    def start(self) -> PostgresCluster:
        self.socket_dir.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            for path in (self.root, self.socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self._run(
            self.bin / "initdb",
            "-D",
            self.data,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            owner=True,
        )
        options = (
            f"-c listen_addresses='' -c unix_socket_directories={self.socket_dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            self.bin / "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.root / "server.log",
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
            owner=True,
        )
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", owner=True)
        shutil.rmtree(self.root, ignore_errors=True)

    # -- databases ---------------------------------------------------------------------
    def url(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database (C collation, UTF-8); returns its URL."""
        name = name or f"test_{os.getpid()}_{next(self._names)}"
        self._run(
            self.bin / "createdb", "-h", self.socket_dir, "-U", "postgres", "-T", "template0", "-E", "UTF8", "--locale=C", name
        )
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self._run(self.bin / "dropdb", "-h", self.socket_dir, "-U", "postgres", "--force", "--if-exists", name)


class RayHead:
    """`ray start --head --block` with token auth, in a process group we can stop as a whole.

    Its files go to a new short folder under /tmp (Ray's socket paths must stay under 108 bytes).
    """

    def __init__(self, cpus: int = 2, object_store_mb: int = 300, port: int = 0, resources: str | None = None):
        self.root = Path(tempfile.mkdtemp(prefix="pipeline-ray-"))
        self.cpus = cpus
        self.object_store_mb = object_store_mb
        self.resources = resources
        self.port = port or _free_port()
        self.token = secrets.token_hex(16)
        self.proc: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def client_env(self) -> dict[str, str]:
        """What a driver needs to join this cluster (as docs/cluster.md tells a user)."""
        return {"RAY_ADDRESS": self.address, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": self.token}

    def start(self, extra: list[str] | None = None, timeout: float = 120) -> RayHead:
        env = {**os.environ, **self.client_env(), "RAY_USAGE_STATS_ENABLED": "0"}
        env.pop("RAY_ADDRESS")
        argv = [
            *RAY_CLI,
            "start",
            "--head",
            "--block",
            f"--port={self.port}",
            "--node-ip-address=127.0.0.1",
            f"--num-cpus={self.cpus}",
            "--num-gpus=0",
            f"--object-store-memory={self.object_store_mb * 1024 * 1024}",
            "--include-dashboard=false",
            "--disable-usage-stats",
            f"--temp-dir={self.root / 'ray'}",
            *([f"--resources={self.resources}"] if self.resources else []),
            *(extra or []),
        ]
        log = open(self.root / "ray-head.log", "wb")  # noqa: SIM115 - the child writes it for its whole life
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ray start failed ({self.proc.returncode}):\n{self.log()[-3000:]}")
            if "Ray runtime started" in self.log() or "This command will now block" in self.log():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"ray start did not come up in {timeout} s:\n{self.log()[-3000:]}")

    def log(self) -> str:
        path = self.root / "ray-head.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def add_worker(self, cpus: int = 1, resources: str | None = None, timeout: float = 120) -> subprocess.Popen[bytes]:
        """A second node on this machine: `ray start --address=HEAD --block` (its own raylet), stopped with the head."""
        env = {**os.environ, **self.client_env(), "RAY_USAGE_STATS_ENABLED": "0"}
        env.pop("RAY_ADDRESS")
        argv = [
            *RAY_CLI,
            "start",
            f"--address={self.address}",
            "--block",
            "--node-ip-address=127.0.0.1",
            f"--num-cpus={cpus}",
            "--num-gpus=0",
            f"--object-store-memory={self.object_store_mb * 1024 * 1024}",
            "--disable-usage-stats",
            *([f"--resources={resources}"] if resources else []),
        ]
        log_path = self.root / f"ray-worker-{len(self.workers)}.log"
        with open(log_path, "wb") as log:
            worker = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.workers.append(worker)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = log_path.read_text(errors="replace")
            if worker.poll() is not None:
                raise RuntimeError(f"ray start (worker) failed ({worker.returncode}):\n{text[-3000:]}")
            if "Ray runtime started" in text or "This command will now block" in text:
                return worker
            time.sleep(0.2)
        raise RuntimeError(f"the worker node did not come up in {timeout} s")

    def stop(self) -> None:
        for worker in self.workers:
            stop_session(worker.pid)
            worker.wait(timeout=30)
        self.workers = []
        if self.proc is None:
            return
        stop_session(self.proc.pid)
        self.proc.wait(timeout=30)
        self.proc = None
        shutil.rmtree(self.root, ignore_errors=True)


def session_members(sid: int) -> list[int]:
    """Live processes of session `sid` (zombies excluded): a process started with start_new_session and all it spawned.

    Ray puts each worker in a process group of its own, but they all stay in the session of the process that started Ray.
    """
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def stop_session(sid: int, grace_s: float = 10) -> None:
    """SIGTERM every process of session `sid` (one we started with start_new_session), then SIGKILL what is left."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in session_members(sid):
            with suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace_s
        while session_members(sid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not session_members(sid):
            return


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()
