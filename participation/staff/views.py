"""The staff home page: what waits for this person, and where they are signed in."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template
from flask_login import current_user

from participation.accounts.forms import ConfirmForm
from participation.accounts.services import list_active_sessions
from participation.auth import staff_required
from participation.moderation.queries import queue_summaries

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/")
@staff_required()
def home() -> str:
    """Where each person's work starts: how much is waiting, and where they are signed in."""
    queues = queue_summaries(current_user, current_app.config["REVIEW_TARGET_MINUTES"])
    sessions = list_active_sessions(current_user, idle=current_app.permanent_session_lifetime)
    return render_template("staff/home.html", queues=queues, sessions=sessions,
                           sessions_form=ConfirmForm())


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
