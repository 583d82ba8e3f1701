"""Alerts to safeguarding leads: a badge on every staff page, an e-mail when SMTP is set up.

Alerts never contain the child's words: only how many urgent items wait and a link built from
PUBLIC_URL. The job worker sends them, never a child's request: a new urgent idea or an
escalation enqueues "alert.urgent" in its own transaction. The first after a quiet
ALERT_GROUP_MINUTES goes out at once; the ones that follow within that window go together in one
e-mail when it ends. Every five minutes the worker re-alerts about urgent items nobody has
acknowledged (by opening a concern) within URGENT_ACK_MINUTES; `flask alert-overdue` does the
same for deployments that prefer cron.

A disclosure made in a committee session is never written down: the facilitator raises a
concern linked to the session and "alert.room_concern" tells the leads, grouped the same way,
with a link and no name.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

import click
from flask import Flask, current_app, request
from flask.cli import with_appcontext
from flask_babel import force_locale, gettext, ngettext
from flask_login import current_user
from sqlalchemy import func, select

from participation.accounts.models import Role, User, UserRole
from participation.audit.models import AuditEvent
from participation.audit.services import record_event
from participation.db import db, utcnow
from participation.feedback.models import Submission, SubmissionStatus
from participation.jobs.queue import (
    crontab,
    register_grouped_handler,
    register_handler,
    register_periodic,
)
from participation.jobs.services import dispatch_due, enqueue
from participation.moderation.models import Concern
from participation.screening.services import Priority

logger = logging.getLogger(__name__)

URGENT_ALERT = "alert.urgent"
OVERDUE_ALERT = "alert.overdue"
ROOM_CONCERN_ALERT = "alert.room_concern"
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class AlertNotDelivered(Exception):
    """The mail server accepted none of the leads' addresses (the job is retried)."""


def _lead_emails() -> list[str]:
    return list(
        db.session.scalars(
            select(User.email)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.is_active.is_(True), UserRole.role == Role.SAFEGUARDING_LEAD)
            .distinct()
        )
    )


def _is_usable_address(address: str) -> bool:
    """A plain addr-spec: a line break in one address must not reach a header (or stop alerts)."""
    from email.errors import HeaderParseError
    from email.headerregistry import Address

    if _CONTROL_RE.search(address):
        return False
    try:
        return Address(addr_spec=address).addr_spec == address
    except (ValueError, HeaderParseError, IndexError):
        return False


def send_alert(subject: str, body: str) -> int:
    """E-mail each active safeguarding lead separately; returns how many messages were sent.

    Nothing is sent without SMTP_HOST (the staff badge still counts). A malformed address is
    skipped and logged without its value; a recipient the server refuses does not stop the
    others. The server's certificate is verified on STARTTLS. An unreachable server raises, so
    the job is retried.
    """
    import smtplib  # the mail modules load on first use, not with every command and worker
    import ssl
    from email.message import EmailMessage

    config = current_app.config
    if not config["SMTP_HOST"]:
        return 0
    recipients = []
    for address in _lead_emails():
        if _is_usable_address(address):
            recipients.append(address)
        else:
            logger.warning("Skipped a safeguarding lead whose e-mail address is malformed; "
                           "fix it in the admin pages")
    if not recipients:
        return 0
    sent = 0
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"],
                      timeout=config["SMTP_TIMEOUT_SECONDS"]) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        for address in recipients:
            message = EmailMessage()
            message["Subject"] = subject
            message["From"] = config["ALERT_FROM"]
            message["To"] = address
            message.set_content(body)
            try:
                smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused:
                logger.warning("The mail server refused a safeguarding lead's address")
                continue
            sent += 1
    if sent == 0:
        raise AlertNotDelivered("no lead's address was accepted")
    return sent


def _public_url(endpoint: str, **values: Any) -> str:
    """A staff page's address from PUBLIC_URL (never from a request's Host header)."""
    adapter = current_app.url_map.bind(
        "localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    path = adapter.build(endpoint, values)
    return str(current_app.config["PUBLIC_URL"]).rstrip("/") + path


def queue_url() -> str:
    """The review queues' address."""
    return _public_url("moderation.queues")


def _alert_text(subject: str, opening: str, link_line: str | None = None) -> tuple[str, str]:
    body = "\n\n".join([
        opening,
        link_line or gettext("Open the review queue: %(link)s", link=queue_url()),
        gettext("The child's words are never included in these messages."),
    ])
    return subject, body + "\n"


def urgent_alert_text(count: int) -> tuple[str, str]:
    """Subject and body of the alert about ``count`` new urgent items (no child's words)."""
    return _alert_text(
        ngettext("An urgent item is waiting for review",
                 "%(num)d urgent items are waiting for review", count),
        ngettext("An urgent item is waiting in the review queue.",
                 "%(num)d urgent items arrived in the review queue in the last few minutes "
                 "and are waiting.", count),
    )


def overdue_alert_text(count: int, minutes: int) -> tuple[str, str]:
    """Subject and body of the re-alert about ``count`` unacknowledged urgent items."""
    return _alert_text(
        ngettext("An urgent item is not yet acknowledged",
                 "%(num)d urgent items are not yet acknowledged", count),
        ngettext("An urgent item has waited more than %(minutes)d minutes without a concern "
                 "being opened.",
                 "%(num)d urgent items have waited more than %(minutes)d minutes without a "
                 "concern being opened.", count, minutes=minutes),
    )


def room_concern_alert_text(concern_ids: list[int]) -> tuple[str, str]:
    """Subject and body of the alert about concerns raised in committee sessions: no name, no
    words, a link to the concern (to the list when there are several)."""
    count = len(concern_ids)
    link = (_public_url("moderation.concern", concern_id=concern_ids[0]) if count == 1
            else _public_url("moderation.concerns"))
    return _alert_text(
        ngettext("A safeguarding concern was raised in a committee session",
                 "%(num)d safeguarding concerns were raised in committee sessions", count),
        ngettext("A facilitator raised a safeguarding concern during a children's committee "
                 "session. A safeguarding lead needs to read it.",
                 "%(num)d safeguarding concerns were raised during children's committee "
                 "sessions in the last few minutes. A safeguarding lead needs to read them.",
                 count),
        ngettext("Open the concern: %(link)s", "Open the concerns: %(link)s", count, link=link),
    )


def alert_room_concerns(payloads: list[dict[str, Any]]) -> None:
    """Job: one e-mail about the concerns raised in committee sessions since the last alert
    (those still open)."""
    ids = sorted({int(payload["concern_id"]) for payload in payloads})
    still_open = list(db.session.scalars(
        select(Concern.id)
        .where(Concern.id.in_(ids), Concern.committee_session_id.is_not(None),
               Concern.closed_at.is_(None))
        .order_by(Concern.id)
    )) if ids else []
    sent = 0
    if still_open:  # send first, write after (SQLite's single write lock)
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            sent = send_alert(*room_concern_alert_text(still_open))
    for concern_id in still_open:
        record_event("alert.room_concern", actor_id=None, object_type="concern",
                     object_id=concern_id, details={"emails": sent, "items": len(still_open)})


def _still_waiting(ids: list[int]) -> list[int]:
    """Those of ``ids`` nobody has decided or opened a concern about yet."""
    if not ids:
        return []
    return list(db.session.scalars(
        select(Submission.id)
        .outerjoin(Concern, Concern.submission_id == Submission.id)
        .where(Submission.id.in_(ids), Submission.decided_at.is_(None), Concern.id.is_(None))
        .order_by(Submission.id)
    ))


def alert_urgent_items(payloads: list[dict[str, Any]]) -> None:
    """Job: one e-mail about the urgent items that arrived since the last alert."""
    waiting = _still_waiting(sorted({int(payload["submission_id"]) for payload in payloads}))
    sent = 0
    if waiting:  # send first, write after: on SQLite a write holds the database's only lock
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            sent = send_alert(*urgent_alert_text(len(waiting)))
    for submission_id in waiting:
        record_event("alert.new_urgent", actor_id=None, object_type="submission",
                     object_id=submission_id, details={"emails": sent, "items": len(waiting)})


def alert_overdue_items(payload: dict[str, Any]) -> None:
    """Job: re-alert the leads about urgent items still unacknowledged."""
    waiting = _still_waiting([int(item) for item in payload["submission_ids"]])
    if not waiting:
        return
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        sent = send_alert(*overdue_alert_text(len(waiting), int(payload["minutes"])))
    record_event("alert.overdue_sent", actor_id=None,
                 details={"emails": sent, "items": len(waiting)})


def _overdue(minutes: int) -> Any:
    """Urgent items still pending, older than ``minutes``, with no concern opened yet."""
    cutoff = utcnow() - timedelta(minutes=minutes)
    return (
        select(Submission.id)
        .outerjoin(Concern, Concern.submission_id == Submission.id)
        .where(Submission.status == SubmissionStatus.PENDING,
               Submission.priority == Priority.URGENT,
               Submission.created_at < cutoff, Concern.id.is_(None))
    )


def enqueue_overdue_alerts(*, now: datetime | None = None) -> tuple[int, int]:
    """Enqueue one re-alert for the overdue urgent items not re-alerted within the last
    URGENT_ACK_MINUTES; returns (overdue, re-alerted). The caller commits."""
    minutes = current_app.config["URGENT_ACK_MINUTES"]
    items = list(db.session.scalars(_overdue(minutes)))
    recent = (now or utcnow()) - timedelta(minutes=minutes)
    alerted = set(db.session.scalars(select(AuditEvent.object_id).where(
        AuditEvent.action == "alert.overdue", AuditEvent.created_at > recent)))
    fresh = [item_id for item_id in items if str(item_id) not in alerted]
    if fresh:
        enqueue(OVERDUE_ALERT, {"submission_ids": fresh, "minutes": minutes})
        for item_id in fresh:
            record_event("alert.overdue", actor_id=None, object_type="submission",
                         object_id=item_id)
    return len(items), len(fresh)


def realert_overdue() -> None:
    """Periodic job: enqueue the re-alerts (the commit nudges the worker to send them)."""
    enqueue_overdue_alerts()
    db.session.commit()


@click.command("alert-overdue")
@with_appcontext
def alert_overdue_command() -> None:
    """Re-alert the leads about unacknowledged urgent items now (the job worker does it every
    five minutes; this is for cron)."""
    overdue, fresh = enqueue_overdue_alerts()
    db.session.commit()
    dispatch_due()
    click.echo(f"{overdue} overdue urgent item(s); re-alerted for {fresh}.")


def _group_window() -> timedelta:
    return timedelta(minutes=current_app.config["ALERT_GROUP_MINUTES"])


def init_app(app: Flask) -> None:
    register_grouped_handler(app, URGENT_ALERT, alert_urgent_items, _group_window)
    register_handler(app, OVERDUE_ALERT, alert_overdue_items)
    register_grouped_handler(app, ROOM_CONCERN_ALERT, alert_room_concerns, _group_window)
    register_periodic(app, "alerts.realert_overdue", crontab(minute="*/5"), realert_overdue)
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
            Submission.priority == Priority.URGENT))
        overdue = db.session.scalar(
            select(func.count()).select_from(_overdue(current_app.config["URGENT_ACK_MINUTES"]).subquery())
        )
        return {"urgent_waiting": waiting or 0, "urgent_overdue": overdue}
