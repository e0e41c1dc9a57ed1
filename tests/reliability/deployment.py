"""The app run as in production: gunicorn, several ``flask --app bm.wsgi worker`` processes, a
real Redis, and a signed-in user's browser session over HTTP."""
import os
import re
import signal
import subprocess
import sys

import requests
from rq import Worker as RQWorker
from rq.job import Job

from bm.jobs import redis_connection
from tests.support import free_port, wait_until_serving

from .worker import ROOT, process_env, wait_until

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Deployment:
    """gunicorn with two processes and ``workers`` RQ workers, started on the test's database; ``stop`` kills all."""

    def __init__(self, app, sandbox, logs, workers=3):
        self.env, self.logs = process_env(app, sandbox), logs
        self.redis = redis_connection(app)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.web = self._start("web", "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}", "bm.wsgi:app")
        self.workers = [self._start(f"worker-{n}", "-m", "flask", "--app", "bm.wsgi", "worker") for n in range(workers)]
        wait_until_serving(f"{self.url}/login")
        wait_until(lambda: len(self.alive_workers()) == workers)

    def _start(self, name, *args):
        """Start a process, its output in ``logs``/name.log (shown by pytest when a test fails)."""
        with open(self.logs / f"{name}.log", "wb") as log:
            return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT)

    def alive_workers(self):
        """The RQ workers registered in Redis whose process is still running."""
        pids = {process.pid for process in self.workers if process.poll() is None}
        return [worker for worker in RQWorker.all(connection=self.redis) if worker.pid in pids]

    def worker_running(self, job_id):
        """The process of the worker that runs the job ``job_id`` now, or None."""
        name = Job.fetch(job_id, connection=self.redis).worker_name
        worker = next((w for w in RQWorker.all(connection=self.redis) if w.name == name), None)
        return next((p for p in self.workers if worker is not None and p.pid == worker.pid), None)

    def kill(self, process):
        """SIGKILL one process (as the out-of-memory killer or a hard redeploy does)."""
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self):
        for process in [self.web, *self.workers]:
            if process.poll() is None:
                process.terminate()
        for process in [self.web, *self.workers]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


class Browser:
    """A person signed in to the deployed app in a browser (a requests session with its CSRF token)."""

    def __init__(self, url, email, password="password"):
        self.url, self.http = url, requests.Session()
        token = CSRF.search(self.http.get(f"{url}/login", timeout=30).text).group(1)
        answer = self.http.post(f"{url}/login", data={"email": email, "password": password, "csrf_token": token},
                                allow_redirects=False, timeout=30)
        assert answer.status_code == 302, answer.text[:500]

    def get(self, path):
        return self.http.get(f"{self.url}{path}", timeout=60)

    def click(self, page_path, form_path, **fields):
        """Open ``page_path`` and submit its form that posts to ``form_path``, as the button does."""
        page = self.get(page_path).text
        return self.http.post(f"{self.url}{form_path}", data={"csrf_token": CSRF.search(page).group(1), **fields},
                              timeout=60)
