"""Running the sandbox: the command line, and many threads writing at once."""
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_command_line_runs_with_data_file_admin_and_extra_redirect_uri(tmp_path):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "xero_sandbox", "--port", str(port), "--data",
         str(tmp_path / "xero.db"), "--admin", "--redirect-uri", "http://127.0.0.1:7001/cb"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                stats = requests.get(f"http://127.0.0.1:{port}/_sandbox/stats", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert stats.json()["total_calls"] == 0
        uris = requests.post(f"http://127.0.0.1:{port}/_sandbox/apps", json={
            "client_id": "sandbox-app", "redirect_uris": []}).json()["redirect_uris"]
        assert "http://127.0.0.1:7001/cb" in uris
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_parallel_writes_are_safe(sandbox, xero):
    sandbox.set_limits(enabled=False)

    def create(number):
        return xero.put("Contacts", json={"Name": f"Parallel {number % 20}"}).status_code
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(60)))
    assert statuses.count(200) == 20 and statuses.count(400) == 40
