"""`make run` (devserver.py): other ports from the environment when 5000 and 5055 are taken."""
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from support import free_port

ROOT = Path(__file__).resolve().parents[1]


def devserver_env(tmp_path, **settings):
    """Its own SQLite file and embedded Redis, whatever database the suite runs on."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "XERO_CLIENT_ID", "XERO_BASE_URL")}
    return {**env, "BM_INSTANCE_PATH": str(tmp_path / "instance"), **settings}


def test_make_run_serves_on_the_ports_the_environment_names(tmp_path):
    web_port, sandbox_port = free_port(), free_port()
    env = devserver_env(tmp_path, BM_PORT=str(web_port), BM_SANDBOX_PORT=str(sandbox_port))
    process = subprocess.Popen([sys.executable, "devserver.py"], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "is running on" in line or "stopped" in line:
                break
        assert f"BrightManager is running on http://127.0.0.1:{web_port} " in lines[-1], "".join(lines)

        browser = requests.Session()
        page = browser.get(f"http://127.0.0.1:{web_port}/login", timeout=60)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        browser.post(f"http://127.0.0.1:{web_port}/login", timeout=60,
                     data={"csrf_token": token, "email": "admin@example.com", "password": "admin"})
        to_xero = browser.get(f"http://127.0.0.1:{web_port}/tools/integrations/xero/connect",
                              allow_redirects=False, timeout=60).headers["Location"]
        assert to_xero.startswith(f"http://127.0.0.1:{sandbox_port}/")
        callback = parse_qs(urlsplit(to_xero).query)["redirect_uri"][0]
        assert callback == f"http://127.0.0.1:{web_port}/tools/integrations/xero/callback"
        consent = browser.get(to_xero, timeout=60)  # the sandbox was told that callback: it asks to log in
        assert 'name="password"' in consent.text and "Invalid redirect_uri" not in consent.text
    finally:
        process.send_signal(signal.SIGINT)
        rest = process.communicate(timeout=60)[0]
    assert process.returncode == 0 and "devserver: stopped" in rest


def test_a_taken_port_names_the_setting_that_moves_it(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "devserver.py"], cwd=ROOT, capture_output=True, text=True,
                                env=devserver_env(tmp_path, BM_PORT=str(port)), timeout=60)
    assert result.returncode != 0
    assert f"port {port} is in use" in result.stderr and f"BM_PORT={port + 1} make run" in result.stderr


def test_a_port_that_is_no_number_is_refused(tmp_path):
    result = subprocess.run([sys.executable, "devserver.py"], cwd=ROOT, capture_output=True, text=True,
                            env=devserver_env(tmp_path, BM_SANDBOX_PORT="five"), timeout=60)
    assert result.returncode != 0 and "BM_SANDBOX_PORT must be a port number" in result.stderr
