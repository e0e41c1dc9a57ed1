"""The pause while Xero is unavailable (plugins/xero/sync/outage.py), on a stand-in for Redis's get and set."""
from datetime import timedelta

from redis.exceptions import RedisError

from bm.models import utcnow
from plugins.xero.sync import outage


class Store:
    def __init__(self, broken=False):
        self.values, self.expiries, self.broken = {}, {}, broken

    def set(self, key, value, ex=None):
        if self.broken:
            raise RedisError("down")
        self.values[key], self.expiries[key] = value.encode(), ex

    def get(self, key):
        if self.broken:
            raise RedisError("down")
        return self.values.get(key)


def test_a_pause_is_noted_per_organisation_until_it_ends():
    store = Store()
    resumes = outage.pause(store, "t1", 90.7)
    assert abs((resumes - utcnow()) - timedelta(seconds=90.7)) < timedelta(seconds=2)
    assert store.expiries == {"bm:xero:unavailable:t1": 90}
    assert outage.resumes_at(store, "t1") == resumes
    assert outage.resumes_at(store, "t2") is None
    outage.pause(store, "t3", 0.2)
    assert store.expiries["bm:xero:unavailable:t3"] == 1


def test_a_pause_that_has_ended_or_is_kept_as_text_reads_right():
    store = Store()
    store.values["bm:xero:unavailable:t1"] = (utcnow() - timedelta(seconds=1)).isoformat().encode()
    assert outage.resumes_at(store, "t1") is None
    later = utcnow() + timedelta(minutes=5)
    store.values["bm:xero:unavailable:t1"] = later.isoformat()
    assert outage.resumes_at(store, "t1") == later


def test_without_redis_the_sync_simply_tries_xero_again(caplog):
    store = Store(broken=True)
    with caplog.at_level("WARNING", logger="plugins.xero.sync.outage"):
        resumes = outage.pause(store, "t1", 60)
        assert outage.resumes_at(store, "t1") is None
    assert resumes > utcnow()
    assert caplog.messages == ["could not note that Xero is unavailable: down",
                               "could not read whether Xero is unavailable: down"]
