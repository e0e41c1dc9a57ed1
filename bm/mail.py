"""Sending e-mail through the SMTP server the settings name; with none set, nothing is sent."""
import smtplib
from email.message import EmailMessage

from flask import current_app


class MailNotSent(Exception):
    """The SMTP server could not be reached or refused the message."""


def configured():
    """Whether an SMTP server is set (``BM_SMTP_HOST``)."""
    return bool(current_app.config["BM_SMTP_HOST"])


def send(to, subject, body):
    """Send a plain-text message; raise MailNotSent if the server cannot take it."""
    config = current_app.config
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config["BM_MAIL_FROM"], to, subject
    message.set_content(body)
    try:
        with smtplib.SMTP(config["BM_SMTP_HOST"], config["BM_SMTP_PORT"], timeout=30) as smtp:
            if config["BM_SMTP_STARTTLS"]:
                smtp.starttls()
            if config["BM_SMTP_USERNAME"]:
                smtp.login(config["BM_SMTP_USERNAME"], config["BM_SMTP_PASSWORD"] or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailNotSent(str(exc) or type(exc).__name__) from exc
