"""Alerts to safeguarding leads: a badge on every staff page, an e-mail when SMTP is set up.

Alerts never contain the child's words: only that an urgent item is waiting and where. A
new urgent item alerts at once (feedback sends a signal; moderation listens, so feedback does
not depend on moderation); `flask alert-overdue` (run every few minutes by cron) re-alerts
for urgent items nobody has acknowledged by opening a concern within URGENT_ACK_MINUTES.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import click
from flask import Flask, current_app, request, url_for
from flask.cli import with_appcontext
from flask_login import current_user
from sqlalchemy import func, select

from participation.accounts.models import Role, User, UserRole
from participation.audit.models import AuditEvent
from participation.audit.services import record_event
from participation.db import db, utcnow
from participation.feedback.models import Submission, SubmissionStatus
from participation.feedback.services import urgent_submission_received
from participation.moderation.models import Concern
from participation.screening.services import PRIORITY_URGENT


def _lead_emails() -> list[str]:
    return list(
        db.session.scalars(
            select(User.email)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.is_active.is_(True), UserRole.role == Role.SAFEGUARDING_LEAD)
            .distinct()
        )
    )


def send_alert(subject: str, body: str) -> int:
    """E-mail every active safeguarding lead; returns how many were sent (0 without SMTP)."""
    host = current_app.config["SMTP_HOST"]
    recipients = _lead_emails()
    if not host or not recipients:
        return 0
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["ALERT_FROM"]
    message["To"] = ", ".join(recipients)
    message.set_content(body)
    with smtplib.SMTP(host, current_app.config["SMTP_PORT"], timeout=10) as smtp:
        if current_app.config["SMTP_STARTTLS"]:
            smtp.starttls()
        if current_app.config["SMTP_USERNAME"]:
            smtp.login(current_app.config["SMTP_USERNAME"], current_app.config["SMTP_PASSWORD"])
        smtp.send_message(message)
    return len(recipients)


def _queue_url() -> str:
    try:
        return url_for("moderation.queues", _external=True)
    except RuntimeError:  # no request (CLI): a relative path is still useful
        return "/staff/queues"


def alert_new_urgent(sender: Any, submission_id: int, **extra: Any) -> None:
    """Listener: an urgent item just arrived."""
    sent = 0
    try:
        sent = send_alert("Urgent item waiting for review",
                          f"An urgent item is waiting in the review queue: {_queue_url()}\n"
                          "The text is not included in this message.")
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("Could not e-mail the safeguarding leads")
    record_event("alert.new_urgent", actor_id=None, object_type="submission",
                 object_id=submission_id, details={"emails": sent})


def _overdue(minutes: int) -> Any:
    """Urgent items still pending, older than ``minutes``, with no concern opened yet."""
    cutoff = utcnow() - timedelta(minutes=minutes)
    return (
        select(Submission.id)
        .outerjoin(Concern, Concern.submission_id == Submission.id)
        .where(Submission.status == SubmissionStatus.PENDING,
               Submission.priority == PRIORITY_URGENT,
               Submission.created_at < cutoff, Concern.id.is_(None))
    )


@click.command("alert-overdue")
@with_appcontext
def alert_overdue_command() -> None:
    """Re-alert the leads about unacknowledged urgent items (run every few minutes)."""
    minutes = current_app.config["URGENT_ACK_MINUTES"]
    items = list(db.session.scalars(_overdue(minutes)))
    recent = utcnow() - timedelta(minutes=minutes)
    alerted = set(db.session.scalars(select(AuditEvent.object_id).where(
        AuditEvent.action == "alert.overdue", AuditEvent.created_at > recent)))
    fresh = [item_id for item_id in items if str(item_id) not in alerted]
    if fresh:
        sent = send_alert(f"{len(fresh)} urgent item(s) not yet acknowledged",
                          f"Urgent items have waited more than {minutes} minutes without a "
                          f"concern being opened: {_queue_url()}")
        for item_id in fresh:
            record_event("alert.overdue", actor_id=None, object_type="submission",
                         object_id=item_id, details={"emails": sent})
        db.session.commit()
    click.echo(f"{len(items)} overdue urgent item(s); re-alerted for {len(fresh)}.")


def init_app(app: Flask) -> None:
    urgent_submission_received.connect(alert_new_urgent, app)
    app.cli.add_command(alert_overdue_command)

    @app.context_processor
    def urgent_badge() -> dict[str, Any]:
        """The number on the leads' badge, computed only on staff pages for leads."""
        if not request.path.startswith("/staff/"):
            return {}  # children's pages never pay for it
        if not current_user.is_authenticated or not current_user.has_role(
            Role.SAFEGUARDING_LEAD, Role.ADMIN
        ):
            return {}
        waiting = db.session.scalar(select(func.count()).select_from(Submission).where(
            Submission.status == SubmissionStatus.PENDING,
            Submission.priority == PRIORITY_URGENT))
        overdue = db.session.scalar(
            select(func.count()).select_from(_overdue(current_app.config["URGENT_ACK_MINUTES"]).subquery())
        )
        return {"urgent_waiting": waiting or 0, "urgent_overdue": overdue}
