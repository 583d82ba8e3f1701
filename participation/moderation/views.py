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
from participation.moderation.models import Concern, EntryKind
from participation.moderation.queries import flagged_segments, queue_summaries
from participation.moderation.services import (
    ReviewError,
    add_concern_entry,
    approve_submission,
    bulk_approve,
    bulk_candidates,
    can_handle_concerns,
    can_review,
    claim_next,
    close_concern,
    concern_of,
    escalate_to_safeguarding,
    in_lead_lane,
    keep_from_sharing,
    open_concern,
    record_concern_view,
    reject_submission,
    return_to_review,
)
from participation.screening.services import Priority

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
    return _item_page(_item_or_404(public_id))


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
            escalate_to_safeguarding(submission, current_user,
                                     note=request.form.get("escalation_note", ""))
        else:
            raise ReviewError("bad_action")
        db.session.commit()
    except (ReviewError, FeedbackError) as error:
        db.session.rollback()
        return _item_page(submission, error.code), 409
    flash(action, "decision")
    return redirect(url_for("moderation.queues"))


LEADS = (Role.SAFEGUARDING_LEAD, Role.ADMIN)


@bp.get("/bulk")
@staff_required(*REVIEWERS)
def bulk_preview() -> str:
    """Ordinary ideas with no flag at all, to read through and approve together."""
    return render_template("moderation/bulk.html", items=bulk_candidates(current_user))


@bp.post("/bulk")
@staff_required(*REVIEWERS)
def bulk() -> Response:
    """Approve exactly the items that were previewed (and are still unflagged and free)."""
    count = bulk_approve(current_user, request.form.getlist("item"))
    db.session.commit()
    flash(str(count), "bulk")
    return redirect(url_for("moderation.queues"))


@bp.post("/items/<public_id>/concern")
@staff_required(*LEADS)
def start_concern(public_id: str) -> Response | tuple[str, int]:
    """Open the safeguarding record for an urgent item."""
    submission = _item_or_404(public_id)
    try:
        concern = open_concern(submission, current_user, request.form.get("note", ""))
        db.session.commit()
    except ReviewError as error:
        db.session.rollback()
        return _item_page(submission, error.code), 409
    return redirect(url_for("moderation.concern", concern_id=concern.id))


@bp.post("/items/<public_id>/keep")
@staff_required(*LEADS)
def keep(public_id: str) -> Response | tuple[str, int]:
    """Not shared, without a concern: the child reads that a helping adult has read it."""
    submission = _item_or_404(public_id)
    try:
        keep_from_sharing(submission, current_user)
        db.session.commit()
    except ReviewError as error:
        db.session.rollback()
        return _item_page(submission, error.code), 409
    flash("kept", "decision")
    return redirect(url_for("moderation.queues"))


@bp.post("/items/<public_id>/return")
@staff_required(*LEADS)
def send_back(public_id: str) -> Response | tuple[str, int]:
    """No concern (not a disclosure, or fine to review as usual): back to the ordinary review,
    with the lead's reason in the audit log."""
    submission = _item_or_404(public_id)
    try:
        return_to_review(submission, current_user, request.form.get("reason_text", ""))
        db.session.commit()
    except ReviewError as error:
        db.session.rollback()
        return _item_page(submission, error.code), 409
    flash("returned", "decision")
    return redirect(url_for("moderation.queues"))


@bp.get("/concerns")
@staff_required(*LEADS)
def concerns() -> str:
    """Open concerns first, then closed ones; no child's words on this list."""
    rows = db.session.scalars(
        select(Concern).order_by(Concern.closed_at.is_not(None), Concern.opened_at.desc())
    ).all()
    return render_template("moderation/concerns.html", concerns=rows)


def _concern_or_404(concern_id: int) -> Concern:
    found: Concern | None = db.session.get(Concern, concern_id)
    if found is None:
        abort(404)
    return found


@bp.get("/concerns/<int:concern_id>")
@staff_required(*LEADS)
def concern(concern_id: int) -> str:
    """The restricted record: the child's original words, and everything done since."""
    record = _concern_or_404(concern_id)
    record_concern_view(record, current_user)
    db.session.commit()
    submission = db.session.get(Submission, record.submission_id)
    return render_template("moderation/concern.html", concern=record, item=submission,
                           kinds=[k for k in EntryKind if k is not EntryKind.CLOSED])


@bp.post("/concerns/<int:concern_id>/entries")
@staff_required(*LEADS)
def concern_entry(concern_id: int) -> Response:
    """Append a note, a referral or an action; or close with the outcome."""
    record = _concern_or_404(concern_id)
    kind = request.form.get("kind", "")
    text = request.form.get("text", "")
    try:
        if kind == "close":
            close_concern(record, current_user, text)
        elif kind in {k.value for k in EntryKind} and kind != EntryKind.CLOSED:
            add_concern_entry(record, current_user, EntryKind(kind), text)
        else:
            raise ReviewError("bad_action")
        db.session.commit()
        flash("saved", "concern")
    except ReviewError as error:
        db.session.rollback()
        flash(error.code, "concern-error")
    return redirect(url_for("moderation.concern", concern_id=concern_id))


def _item_page(submission: Submission, error: str | None = None) -> str:
    # Once a redacted version is shared, the child's original words are for leads only.
    shared = submission.published_body
    redacted = shared is not None and shared != submission.body
    shows_original = not redacted or can_handle_concerns(current_user)
    return render_template(
        "moderation/item.html", item=submission, shows_original=shows_original,
        segments=flagged_segments(submission) if shows_original else [],
        reasons=list(RejectionReason), holds_claim=submission.claimed_by_id == current_user.id,
        can_open_concern=can_handle_concerns(current_user), error=error,
        lead_lane=in_lead_lane(submission), concern=concern_of(submission),
    )


def queue_label(priority: int) -> str:
    return str({
        Priority.URGENT: _("Urgent"), Priority.ESCALATED: _("Escalated"),
        Priority.PERSONAL: _("Personal details"), Priority.ORDINARY: _("Ordinary"),
    }[Priority(priority)])


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
        "not_urgent": _("Only urgent or escalated items become concerns."),
        "concern_closed": _("This concern is closed."),
        "lead_lane_outcome": _(
            "A possible disclosure is never refused with an ordinary reason: keep it from "
            "sharing, open a concern, or send it back to the ordinary review."
        ),
        "already_with_lead": _("This item is already with the safeguarding leads."),
        "reason_needed": _("Say why this is not a concern: it goes in the audit log."),
    }.get(code, _("That action could not be done.")))


def entry_label(kind: str) -> str:
    return str({
        "note": _("Note"),
        "referral": _("Referral made"),
        "action": _("Action taken"),
        "closed": _("Closed, outcome"),
    }[kind])


def init_app(app: Flask) -> None:
    from participation.moderation.alerts import init_app as init_alerts

    init_alerts(app)
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        entry_label=entry_label,
        queue_label=queue_label, flag_label=flag_label, reason_label=reason_label,
        review_error=review_error,
    )
