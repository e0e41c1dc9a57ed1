"""SandboxServer: the sandbox on a free local port in a background thread, with admin helpers."""
import threading
import time

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

from .app import create_app


class _QuietRequestHandler(WSGIRequestHandler):
    """Keeps test output clean: no access log line per request (errors are still logged)."""

    def log_request(self, *args, **kwargs):
        pass


class SandboxServer:
    """`with SandboxServer() as xero:` starts a sandbox (admin on) at `xero.url`."""

    def __init__(self, data_path=None, host="127.0.0.1", **overrides):
        self.app = create_app(data_path, admin=True, **overrides)
        self._server = make_server(host, 0, self.app, threaded=True,
                                   request_handler=_QuietRequestHandler)
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = None
        self.http = requests.Session()

    def start(self):
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="xero-sandbox")
        self._thread.start()
        return self

    def stop(self):
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self.http.close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def _admin(self, method, path, body=None):
        if body is None and method != "GET":
            body = {}  # admin changes are JSON requests, even without arguments
        response = self.http.request(method, f"{self.url}/_sandbox/{path}", json=body, timeout=120)
        response.raise_for_status()
        return response.json()

    def reset(self):
        """Back to the demo state."""
        return self._admin("POST", "reset")

    def seed(self, **sizes):
        """Generate data, e.g. `seed(contacts=10000, customers=8000, invoices=100)`."""
        return self._admin("POST", "seed", sizes)

    def advance_clock(self, seconds):
        """Move the sandbox clock forward."""
        return self._admin("POST", "clock", {"advance_seconds": seconds})

    def clock(self):
        """The sandbox time."""
        return self._admin("GET", "clock")

    def set_faults(self, rules=(), seed=None):
        """Replace fault rules (see POST /_sandbox/faults); no arguments clears them."""
        return self._admin("POST", "faults", {"rules": list(rules), "seed": seed})

    def set_limits(self, **limits):
        """Change rate limits, e.g. `set_limits(enabled=False)` or `set_limits(per_minute=5)`."""
        return self._admin("POST", "limits", limits)

    def set_variants(self, **switches):
        """Play an unsettled Xero behaviour, e.g. `set_variants(modified_since="after")`."""
        return self._admin("POST", "variants", switches)

    def stats(self):
        """Call counts (see GET /_sandbox/stats)."""
        return self._admin("GET", "stats")

    def wait_for_calls_in_flight(self, count, timeout=30):
        """Wait until the sandbox is answering exactly ``count`` calls (0: a held write has been committed)."""
        self._wait_for_count("in_flight", count, timeout, "is answering")

    def wait_for_calls_held(self, count, timeout=30):
        """Wait until a timeout fault holds exactly ``count`` calls, each past the rate limits."""
        self._wait_for_count("held", count, timeout, "holds")

    def _wait_for_count(self, key, count, timeout, doing):
        deadline = time.monotonic() + timeout
        while self.stats()[key] != count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the sandbox {doing} {self.stats()[key]} calls, not {count}")
            time.sleep(0.01)

    def reset_stats(self):
        """Start counting calls from zero."""
        return self._admin("POST", "stats/reset")

    def add_redirect_uris(self, *uris, client_id="sandbox-app"):
        """Register more callback URLs for an app."""
        return self._admin("POST", "apps", {"client_id": client_id, "redirect_uris": list(uris)})

    def subscribe_webhooks(self, url, key):
        """Set the webhook delivery URL and key (runs intent-to-receive)."""
        return self._admin("POST", "webhooks", {"url": url, "key": key})

    def flush_webhooks(self, timeout=30):
        """Wait for queued webhook deliveries."""
        return self._admin("POST", "webhooks/flush", {"timeout": timeout})
