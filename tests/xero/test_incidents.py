"""The periodic incident check: dead runs are ended without anyone looking, and the admins are
e-mailed (through a real SMTP server) once per incident, again only once it cleared and recurred."""
from sqlalchemy import select

from bm.extensions import db
from bm.jobs import redis_connection
from plugins.xero import incidents
from plugins.xero.models import SyncRun, XeroConnection
from support import free_port


def runs(*states):
    tenant = db.session.scalar(select(XeroConnection.tenant_id))
    for state in states:
        db.session.add(SyncRun(tenant_id=tenant, trigger="manual", state=state, message=f"Run {state}: boom.",
                               counts={}, errors=[]))
    db.session.commit()


def smtp(app, port):
    app.config.update(BM_SMTP_HOST="127.0.0.1", BM_SMTP_PORT=port, BM_SMTP_STARTTLS=False)


def test_admins_are_emailed_once_per_incident_and_again_when_it_recurs(integrated, app, make_user, smtp_server):
    controller, inbox = smtp_server
    smtp(app, controller.port)
    make_user("boss@example.com", "admin")
    make_user("sam@example.com")
    redis_connection().delete(incidents.INCIDENTS_KEY)
    runs("failed", "failed", "failed")
    assert incidents.check() == ["failing"]
    assert sorted(to for tos, _ in inbox.messages for to in tos) == ["admin@example.com", "boss@example.com"]
    assert "The last 3 syncs with Xero did not finish" in inbox.messages[0][1]
    assert incidents.SUBJECT in inbox.messages[0][1]
    runs("failed")
    assert incidents.check() == [] and len(inbox.messages) == 2  # the same incident: no new e-mail
    runs("finished")
    assert incidents.check() == [] and len(inbox.messages) == 2  # cleared, and nothing to say
    runs("failed", "failed", "failed")
    assert incidents.check() == ["failing"] and len(inbox.messages) == 4  # it recurred


def test_an_incident_that_could_not_be_mailed_is_tried_again(integrated, app, smtp_server):
    controller, inbox = smtp_server
    smtp(app, free_port())  # nothing listens there
    redis_connection().delete(incidents.INCIDENTS_KEY)
    runs("failed", "failed", "failed")
    assert incidents.check() == []
    smtp(app, controller.port)
    assert incidents.check() == ["failing"] and len(inbox.messages) == 1


def test_without_smtp_settings_nothing_is_sent_or_remembered(integrated, app):
    app.config.update(BM_SMTP_HOST=None)
    redis_connection().delete(incidents.INCIDENTS_KEY)
    runs("failed", "failed", "failed")
    assert incidents.check() == []
    assert redis_connection().smembers(incidents.INCIDENTS_KEY) == set()


def test_the_check_ends_a_dead_run_so_the_banner_tells_everyone(integrated, app, admin):
    dead = SyncRun(tenant_id=db.session.scalar(select(XeroConnection.tenant_id)), trigger="manual", state="running",
                   counts={}, errors=[])
    db.session.add(dead)
    db.session.commit()
    incidents.check()
    db.session.expire_all()
    assert dead.state == "abandoned"
    assert "stopped without finishing" in admin.get("/clients/").get_data(as_text=True)
