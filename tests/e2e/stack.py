"""The whole stack as `make run` starts it (sandbox, web, worker), on free ports in a temp folder.

It reuses devserver.py's process handling. The database and Redis are the run's own: a SQLite
file and an embedded Redis by default; with DATABASE_URL (PostgreSQL) or REDIS_URL set, as in
CI's second run, a fresh database beside the outer one and a spare Redis db, both removed after.
"""
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import devserver

E2E_REDIS_DB = 13  # a Redis db number the rest of the suite does not use


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, processes, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if devserver.port_is_open(("127.0.0.1", port)):
            return
        gone = processes.exited()
        if gone:
            raise RuntimeError(f"{gone[0][0]} exited with {gone[0][1]} before {what} was up")
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not open port {port} within {timeout} s")


def _postgres_url(url):
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


class OwnPostgres:
    """A fresh database named after the outer one (``<name>_e2e``), dropped afterwards."""

    def __init__(self, outer_url):
        parts = urlsplit(outer_url)
        self.name = f"{parts.path.lstrip('/') or 'postgres'}_e2e"
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        self.admin_url = _postgres_url(outer_url)

    def _execute(self, *statements):
        from sqlalchemy import create_engine, text

        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                for statement in statements:
                    connection.execute(text(statement))
        finally:
            engine.dispose()

    def create(self):
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)', f'CREATE DATABASE "{self.name}"')

    def drop(self):
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _redis_db_url(outer_url):
    parts = urlsplit(outer_url)
    return urlunsplit(parts._replace(path=f"/{E2E_REDIS_DB}"))


def _flush_redis(url):
    import redis

    connection = redis.Redis.from_url(url)
    try:
        connection.flushdb()
    finally:
        connection.close()


@dataclass
class Stack:
    folder: Path
    web_port: int = field(default_factory=free_port)
    sandbox_port: int = field(default_factory=free_port)
    processes: devserver.Processes = field(default_factory=devserver.Processes)
    env: dict = field(default_factory=dict)
    postgres: OwnPostgres | None = None
    redis_url: str | None = None
    embedded_redis: object = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def xero_url(self):
        return f"http://127.0.0.1:{self.sandbox_port}"

    def log(self, name):
        return self.folder / f"{name}.log"

    def start(self):
        instance = self.folder / "instance"
        instance.mkdir(parents=True, exist_ok=True)
        env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "FLASK_"))}
        env.update(BM_INSTANCE_PATH=str(instance), BM_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1",
                   XERO_CLIENT_ID="sandbox-app", XERO_CLIENT_SECRET="sandbox-secret", XERO_BASE_URL=self.xero_url)
        outer_database = os.environ.get("DATABASE_URL")
        if outer_database and outer_database.startswith(("postgres://", "postgresql")):
            self.postgres = OwnPostgres(outer_database.replace("postgres://", "postgresql://", 1))
            self.postgres.create()
            env["DATABASE_URL"] = self.postgres.url
        else:
            env["DATABASE_URL"] = f"sqlite:///{instance / 'bm.sqlite'}"
        if os.environ.get("REDIS_URL"):
            self.redis_url = _redis_db_url(os.environ["REDIS_URL"])
            _flush_redis(self.redis_url)
            env["REDIS_URL"] = self.redis_url
        else:
            self.embedded_redis, env["REDIS_URL"] = devserver.start_embedded_redis(instance)
        self.env = env

        self._run_step(devserver.flask_command("db", "upgrade"), "flask db upgrade")
        self._run_step(devserver.flask_command("seed-demo"), "flask seed-demo")
        callback = f"{self.url}/tools/integrations/xero/callback"
        self.processes.start("Xero sandbox", [sys.executable, "-m", "xero_sandbox", "--port", str(self.sandbox_port),
                                              "--admin", "--redirect-uri", callback], env, log=self.log("sandbox"))
        self.processes.start("worker", devserver.flask_command("worker"), env, log=self.log("worker"))
        self.processes.start("web", devserver.flask_command("run", "--host", "127.0.0.1", "--port", str(self.web_port)),
                             env, log=self.log("web"))
        wait_for_port(self.sandbox_port, self.processes, "the Xero sandbox")
        wait_for_port(self.web_port, self.processes, "the web app")
        return self

    def _run_step(self, command, what):
        result = subprocess.run(command, cwd=devserver.ROOT, env=self.env, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{what} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}")

    def stop(self):
        self.processes.stop(timeout=10)
        if self.embedded_redis is not None:
            self.embedded_redis._cleanup()
        if self.redis_url:
            _flush_redis(self.redis_url)
        if self.postgres is not None:
            self.postgres.drop()

    def slow_xero(self, seconds):
        """Make every Xero API read take ``seconds`` longer (0: back to normal), via the sandbox's faults."""
        import requests

        rules = [{"endpoint": "GET *", "timeout": 1.0, "timeout_seconds": seconds}] if seconds else []
        requests.post(f"{self.xero_url}/_sandbox/faults", json={"rules": rules}, timeout=10).raise_for_status()

    def logs(self):
        """The tail of every process log, to explain a failure."""
        out = []
        for name in ("sandbox", "worker", "web"):
            path = self.log(name)
            if path.exists():
                out.append(f"--- {name}.log\n" + "".join(path.read_text(errors="replace").splitlines(True)[-40:]))
        return "\n".join(out)
