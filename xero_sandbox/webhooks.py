"""Webhooks as Xero sends them: intent-to-receive, signed batches of events, retries with backoff."""
import base64
import hashlib
import hmac
import json
import logging
import secrets
import string
import threading
import time

import requests

from .formats import date_from_ms

log = logging.getLogger(__name__)
COLLECTIONS = {"CONTACT": "Contacts", "INVOICE": "Invoices"}
RECEIVER_TIMEOUT_SECONDS = 5
BATCH_DELAY_SECONDS = 0.2
MAX_BATCH = 50
FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 60
GIVE_UP_SECONDS = 24 * 3600


def sign(key, body):
    """`x-xero-signature`: base64 HMAC-SHA256 of the raw body with the webhook key."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def _entropy():
    return "".join(secrets.choice(string.ascii_uppercase) for _ in range(20))


class WebhookDispatcher:
    """One subscription (the sandbox app's); events queue here and a thread delivers them."""

    def __init__(self, clock):
        self._clock = clock
        self._lock = threading.Condition()
        self._thread = None
        self.reset()

    def reset(self):
        """Drop the subscription and anything undelivered."""
        with self._lock:
            self.url = self.key = self.resource_base = None
            self.enabled = False
            self._queue, self._sequence, self._busy = [], 0, False
            self.delivered_batches, self.failed_attempts, self.events_dropped = 0, 0, 0
            self._lock.notify_all()

    def _post(self, body, key, timeout=RECEIVER_TIMEOUT_SECONDS):
        return requests.post(self.url, data=body, timeout=timeout, allow_redirects=False,
                             headers={"Content-Type": "application/json",
                                      "x-xero-signature": sign(key, body)})

    def subscribe(self, url, key, resource_base):
        """Set the delivery URL and key, then run intent-to-receive; True if the receiver passed."""
        with self._lock:
            self.url, self.key, self.resource_base, self.enabled = url, key, resource_base, False
        results = []
        for good in (True, False, True, False):
            body = json.dumps({"events": [], "lastEventSequence": 0, "firstEventSequence": 0,
                               "entropy": _entropy()}).encode()
            try:
                answer = self._post(body, key if good else key + "-wrong").status_code
            except requests.RequestException:
                answer = None
            results.append({"correctly_signed": good, "status": answer})
        passed = all(r["status"] == (200 if r["correctly_signed"] else 401) for r in results)
        with self._lock:
            self.enabled = passed
        return {"enabled": passed, "intent_to_receive": results}

    def publish(self, tenant, category, event_type, resource_id):
        """Queue an event (only while a subscription is enabled)."""
        with self._lock:
            if not self.enabled:
                return
            self._sequence += 1
            self._queue.append({
                "resourceUrl": f"{self.resource_base}/api.xro/2.0/{COLLECTIONS[category]}/{resource_id}",
                "resourceId": resource_id,
                "eventDateUtc": date_from_ms(self._clock.now_ms()).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
                "eventType": event_type, "eventCategory": category,
                "tenantId": tenant, "tenantType": "ORGANISATION", "_sequence": self._sequence,
            })
            self._start()
            self._lock.notify_all()

    def _start(self):
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._deliver_forever, daemon=True,
                                            name="xero-sandbox-webhooks")
            self._thread.start()

    def _deliver_forever(self):
        while True:
            with self._lock:
                while not self._queue:
                    self._lock.wait()
                self._busy = True
            time.sleep(BATCH_DELAY_SECONDS)
            with self._lock:
                batch, url, key = self._queue[:MAX_BATCH], self.url, self.key
            if batch and url:
                self._deliver(batch, key)
            with self._lock:
                self._busy = False
                self._lock.notify_all()

    def _deliver(self, batch, key):
        body = json.dumps({
            "events": [{k: v for k, v in e.items() if k != "_sequence"} for e in batch],
            "firstEventSequence": batch[0]["_sequence"], "lastEventSequence": batch[-1]["_sequence"],
            "entropy": _entropy()}).encode()
        delay, started = FIRST_RETRY_SECONDS, time.monotonic()
        while True:
            try:
                if self._post(body, key).status_code == 200:
                    break
            except requests.RequestException as error:
                log.info("webhook delivery failed: %s", error)
            with self._lock:
                self.failed_attempts += 1
                if self.url is None:
                    return
            if time.monotonic() - started > GIVE_UP_SECONDS:
                with self._lock:
                    self.enabled, self.events_dropped = False, self.events_dropped + len(batch)
                    self._queue = self._queue[len(batch):]
                return
            time.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_SECONDS)
        with self._lock:
            self._queue = self._queue[len(batch):]
            self.delivered_batches += 1

    def flush(self, timeout=30):
        """Wait until every queued event is delivered (or `timeout` passes); report the state."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while (self._queue or self._busy) and time.monotonic() < deadline:
                self._lock.wait(timeout=max(0.0, deadline - time.monotonic()))
            return self.status()

    def status(self):
        """The subscription and delivery counters."""
        return {"url": self.url, "enabled": self.enabled, "pending": len(self._queue),
                "delivered_batches": self.delivered_batches,
                "failed_attempts": self.failed_attempts, "events_dropped": self.events_dropped}
