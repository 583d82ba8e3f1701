"""Review pages: the queues, "review next", and one item with its decisions."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from participation.accounts.models import Role
from participation.auth import staff_required
from participation.db import db
from participation.feedback.models import RejectionReason, Submission
from participation.feedback.services import FeedbackError
from participation.moderation.queries import flagged_segments, queue_summaries
from participation.moderation.services import (
    ReviewError,
    approve_submission,
    can_review,
    claim_next,
    escalate_to_safeguarding,
    reject_submission,
)

bp = Blueprint("moderation", __name__, url_prefix="/staff")
REVIEWERS = (Role.FACILITATOR, Role.SAFEGUARDING_LEAD, Role.ADMIN)


@bp.get("/queues")
@staff_required(*REVIEWERS)
def queues() -> str:
    """What waits in each queue this person may open, oldest first, overdue items marked."""
    summaries = queue_summaries(current_user, current_app.config["REVIEW_TARGET_MINUTES"])
    return render_template("moderation/queues.html", summaries=summaries)


@bp.post("/queues/next")
@staff_required(*REVIEWERS)
def review_next() -> Response:
    """Claim the next item (so no one else gets it) and open it."""
    priority = request.form.get("priority", type=int)
    item = claim_next(current_user, priority=priority)
    db.session.commit()
    if item is None:
        flash("empty", "queue")
        return redirect(url_for("moderation.queues"))
    return redirect(url_for("moderation.item", public_id=item.public_id))


def _item_or_404(public_id: str) -> Submission:
    item: Submission | None = db.session.scalar(
        select(Submission).where(Submission.public_id == public_id)
    )
    # Someone who may not review it learns nothing, not even that it exists.
    if item is None or not can_review(current_user, item):
        abort(404)
    return item


@bp.get("/items/<public_id>")
@staff_required(*REVIEWERS)
def item(public_id: str) -> str:
    """One child's idea with its flags highlighted, the suggested redaction and the decisions."""
    submission = _item_or_404(public_id)
    return render_template(
        "moderation/item.html", item=submission, segments=flagged_segments(submission),
        reasons=list(RejectionReason), holds_claim=submission.claimed_by_id == current_user.id,
    )


@bp.post("/items/<public_id>/decision")
@staff_required(*REVIEWERS)
def decide(public_id: str) -> Response | tuple[str, int]:
    """Approve (as is or edited), reject with a reason, or escalate to safeguarding."""
    submission = _item_or_404(public_id)
    action = request.form.get("action")
    try:
        if action == "approve":
            approve_submission(submission, current_user)
        elif action == "approve_edited":
            approve_submission(submission, current_user,
                               published_text=request.form.get("published_text", ""))
        elif action == "reject":
            reason = request.form.get("reason", "")
            if reason not in {r.value for r in RejectionReason}:
                raise ReviewError("bad_reason")
            reject_submission(submission, current_user, RejectionReason(reason))
        elif action == "escalate":
            escalate_to_safeguarding(submission, current_user)
        else:
            raise ReviewError("bad_action")
        db.session.commit()
    except (ReviewError, FeedbackError) as error:
        db.session.rollback()
        html = render_template(
            "moderation/item.html", item=submission, segments=flagged_segments(submission),
            reasons=list(RejectionReason), holds_claim=submission.claimed_by_id == current_user.id,
            error=error.code,
        )
        return html, 409
    flash(action, "decision")
    return redirect(url_for("moderation.queues"))


def queue_label(priority: int) -> str:
    return str({2: _("Urgent"), 1: _("Personal details"), 0: _("Ordinary")}[priority])


def flag_label(category: str) -> str:
    labels = {
        "suicide": _("May be thinking about suicide"),
        "self_harm": _("May be hurting themselves"),
        "abuse": _("May be hurt or abused"),
        "sexual_abuse": _("May be sexually abused"),
        "violence": _("May be facing violence"),
        "neglect": _("May be neglected"),
        "exploitation": _("May be exploited"),
        "grooming": _("May be groomed or asked to keep secrets"),
        "possible_harm": _("Several worrying words together"),
        "screening_failed": _("Not screened (an error): read with care"),
        "personal_info": _("Personal details"),
        "insult": _("Unkind words"),
    }
    return str(labels.get(category, category))


def reason_label(code: str) -> str:
    return str({
        "personal_details": _("It shows who the child is"),
        "off_topic": _("Not about the plan"),
        "unkind": _("Unkind to others"),
        "repeated": _("Already shared by someone else"),
        "not_understood": _("Cannot be understood"),
    }[code])


def review_error(code: str) -> str:
    return str({
        "not_claimed": _("Your claim on this item ended or someone else holds it."),
        "already_decided": _("Someone already decided on this item."),
        "urgent_never_published": _("Urgent items are never shared."),
        "empty": _("The edited text is empty."),
        "too_long": _("The edited text is too long."),
    }.get(code, _("That action could not be done.")))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        queue_label=queue_label, flag_label=flag_label, reason_label=reason_label,
        review_error=review_error,
    )
