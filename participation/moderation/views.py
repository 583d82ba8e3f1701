"""Review pages: the queues, "review next", one item with its decisions, and concerns.

One route and one form per action, one service call and one commit per request. Every decision
can be saved alone (back to the queues) or with "Save and next", which claims the next item of
the same queue in the same transaction and opens it: reviewers work in a straight line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from babel import Locale
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import format_date, format_decimal, get_locale, pgettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from participation.accounts.models import Role
from participation.auth import staff_required
from participation.db import db, utcnow
from participation.feedback.models import (
    RejectionReason,
    Submission,
    SubmissionSource,
    SubmissionStatus,
)
from participation.feedback.services import FeedbackError
from participation.forms import Form
from participation.moderation.forms import (
    ENTRY_LABELS,
    REASON_LABELS,
    ApproveEditedForm,
    ApproveForm,
    BulkForm,
    CloseConcernForm,
    ConcernForm,
    DecisionForm,
    EntryForm,
    EscalateForm,
    KeepForm,
    NextForm,
    RejectForm,
    SendBackForm,
)
from participation.moderation.models import Concern, EntryKind
from participation.moderation.queries import (
    ROOM,
    concern_rows,
    flagged_segments,
    is_flagged,
    origin_of,
    place_of,
    proposed_reason,
    queue_summaries,
    screening_findings,
    session_facts,
)
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
    reviewable_priorities,
    submitted_it,
)
from participation.screening.services import LEAD_LANES, Priority

bp = Blueprint("moderation", __name__, url_prefix="/staff")
REVIEWERS = (Role.FACILITATOR, Role.SAFEGUARDING_LEAD, Role.ADMIN)
LEADS = (Role.SAFEGUARDING_LEAD, Role.ADMIN)
Page = Response | tuple[str, int]


@bp.get("/queues")
@staff_required(*REVIEWERS)
def queues() -> str:
    """What waits in each queue this person may open, oldest first, overdue items marked."""
    summaries = queue_summaries(current_user, current_app.config["REVIEW_TARGET_MINUTES"])
    return render_template("moderation/queues.html", summaries=summaries,
                           next_form=NextForm(formdata=None))


@bp.post("/queues/next")
@staff_required(*REVIEWERS)
def review_next() -> Response:
    """Claim the next item (so no one else gets it) and open it."""
    form = NextForm()
    if not form.validate_on_submit():
        abort(400)
    return _open_next(form.priority.data)


def _open_next(priority: int | None, *, notices: tuple[tuple[str, str], ...] = ()) -> Response:
    """Claim the next item of a queue, commit (the request's only commit) and open it; back
    to the queues with a notice when nothing is left. ``notices`` are flashed once committed."""
    following = claim_next(current_user, priority=priority)
    db.session.commit()
    for message, category in notices:
        flash(message, category)
    if following is None:
        flash("empty", "queue")
        return redirect(url_for("moderation.queues"))
    return redirect(url_for("moderation.item", public_id=following.public_id))


def _saved(lane: int, then_next: bool) -> Response:
    """After a decision: the queues ("Save"), or the next item of the same queue."""
    if then_next:
        return _open_next(lane, notices=(("saved", "decision"),))
    db.session.commit()
    flash("saved", "decision")
    return redirect(url_for("moderation.queues"))


def _item_or_404(public_id: str) -> Submission:
    item: Submission | None = db.session.scalar(
        select(Submission).where(Submission.public_id == public_id)
    )
    # Someone who may not review it learns nothing, not even that it exists; the facilitator
    # who submitted a committee's input is told that someone else reviews it.
    if item is None or not (can_review(current_user, item) or (
            submitted_it(current_user, item)
            and item.priority in reviewable_priorities(current_user))):
        abort(404)
    return item


@bp.get("/items/<public_id>")
@staff_required(*REVIEWERS)
def item(public_id: str) -> Page:
    """One child's idea (or a committee's statement) in its context, with its flags
    highlighted and the decisions."""
    submission = _item_or_404(public_id)
    if submitted_it(current_user, submission):
        return _item_page(submission, error="own_submission", status=403)
    return _item_page(submission)


def _refusal_status(error: ReviewError | FeedbackError) -> int:
    """Refused because of who asks (403), or because the item moved on (409)."""
    return 403 if error.code in ("own_submission", "forbidden") else 409


def _decide(submission: Submission, form: DecisionForm, name: str,
            decision: Callable[[], object]) -> Page:
    """Validate the form, call the one service, then save (and go on to the next item)."""
    lane = submission.priority
    if not form.validate_on_submit():
        return _item_page(submission, posted={name: form}, status=422)
    try:
        decision()
    except (ReviewError, FeedbackError) as error:
        db.session.rollback()
        return _item_page(submission, error=error.code, posted={name: form},
                          status=_refusal_status(error))
    return _saved(lane, bool(form.then_next.data))


@bp.post("/items/<public_id>/approve")
@staff_required(*REVIEWERS)
def approve(public_id: str) -> Page:
    """Share the idea exactly as the child wrote it."""
    submission = _item_or_404(public_id)
    return _decide(submission, ApproveForm(), "approve",
                   lambda: approve_submission(submission, current_user))


@bp.post("/items/<public_id>/approve-edited")
@staff_required(*REVIEWERS)
def approve_edited(public_id: str) -> Page:
    """Share an edited version (personal details removed); the original stays restricted."""
    submission = _item_or_404(public_id)
    form = ApproveEditedForm()
    return _decide(submission, form, "approve_edited", lambda: approve_submission(
        submission, current_user, published_text=form.published_text.data))


@bp.post("/items/<public_id>/reject")
@staff_required(*REVIEWERS)
def reject(public_id: str) -> Page:
    """Do not share; the child reads the kind sentence that goes with the reason."""
    submission = _item_or_404(public_id)
    form = RejectForm()
    return _decide(submission, form, "reject", lambda: reject_submission(
        submission, current_user, form.rejection_reason))


@bp.post("/items/<public_id>/escalate")
@staff_required(*REVIEWERS)
def escalate(public_id: str) -> Page:
    """Not sure: hand the item to the safeguarding leads' escalated lane, with a note."""
    submission = _item_or_404(public_id)
    form = EscalateForm()
    return _decide(submission, form, "escalate", lambda: escalate_to_safeguarding(
        submission, current_user, note=form.escalation_note.data or ""))


@bp.post("/items/<public_id>/keep")
@staff_required(*LEADS)
def keep(public_id: str) -> Page:
    """Not shared, without a concern: the child reads that a helping adult has read it."""
    submission = _item_or_404(public_id)
    return _decide(submission, KeepForm(), "keep",
                   lambda: keep_from_sharing(submission, current_user))


@bp.post("/items/<public_id>/return")
@staff_required(*LEADS)
def send_back(public_id: str) -> Page:
    """No concern (not a disclosure, or fine to review as usual): back to the ordinary review,
    with the lead's reason in the audit log."""
    submission = _item_or_404(public_id)
    form = SendBackForm()
    return _decide(submission, form, "send_back", lambda: return_to_review(
        submission, current_user, form.reason_text.data or ""))


@bp.post("/items/<public_id>/concern")
@staff_required(*LEADS)
def start_concern(public_id: str) -> Page:
    """Open the safeguarding record for an urgent or escalated item (this resolves the item);
    then the concern, or the next item of the same lane."""
    submission = _item_or_404(public_id)
    form = ConcernForm()
    lane = submission.priority
    if not form.validate_on_submit():
        return _item_page(submission, posted={"concern": form}, status=422)
    try:
        concern = open_concern(submission, current_user, form.note.data or "")
    except ReviewError as error:
        db.session.rollback()
        return _item_page(submission, error=error.code, posted={"concern": form},
                          status=_refusal_status(error))
    if form.then_next.data and lane in LEAD_LANES:
        return _open_next(lane, notices=((str(concern.id), "concern-opened"),))
    db.session.commit()
    return redirect(url_for("moderation.concern", concern_id=concern.id))


@bp.get("/bulk")
@staff_required(*REVIEWERS)
def bulk_preview() -> str:
    """Ordinary ideas with no flag at all, to read through and approve together."""
    return render_template("moderation/bulk.html", items=bulk_candidates(current_user),
                           form=BulkForm(formdata=None))


@bp.post("/bulk")
@staff_required(*REVIEWERS)
def bulk() -> Response:
    """Approve exactly the items that were previewed (and are still unflagged and free)."""
    form = BulkForm()
    if not form.validate_on_submit():
        abort(400)
    count = bulk_approve(current_user, list(form.item.data or []))
    db.session.commit()
    flash(str(count), "bulk")
    return redirect(url_for("moderation.queues"))


@bp.get("/concerns")
@staff_required(*LEADS)
def concerns() -> str:
    """Open concerns first, overdue ones on top; no child's words on this list."""
    follow_up = timedelta(hours=current_app.config["CONCERN_FOLLOW_UP_HOURS"])
    return render_template("moderation/concerns.html", rows=concern_rows(follow_up),
                           follow_up_hours=current_app.config["CONCERN_FOLLOW_UP_HOURS"])


def _concern_or_404(concern_id: int) -> Concern:
    found: Concern | None = db.session.get(Concern, concern_id)
    if found is None:
        abort(404)
    return found


@bp.get("/concerns/<int:concern_id>")
@staff_required(*LEADS)
def concern(concern_id: int) -> str:
    """The restricted record: the child's original words (or, for a disclosure made in a
    committee session, where and when, and the case reference), and everything done since."""
    record = _concern_or_404(concern_id)
    record_concern_view(record, current_user)
    db.session.commit()
    submission = (db.session.get(Submission, record.submission_id)
                  if record.submission_id is not None else None)
    room = (session_facts([record.committee_session_id]).get(record.committee_session_id)
            if record.committee_session_id is not None else None)
    return render_template("moderation/concern.html", concern=record, item=submission,
                           place=place_of(submission) if submission else None,
                           origin=origin_of(submission) if submission else None, room=room,
                           entry_form=EntryForm(formdata=None),
                           close_form=CloseConcernForm(formdata=None))


def _concern_change(concern_id: int, form: Form, change: Callable[[Concern], object]) -> Response:
    """Append to a concern (or close it), then back to the record (whose reading is logged)."""
    record = _concern_or_404(concern_id)
    try:
        if not form.validate_on_submit():
            raise ReviewError("empty")
        change(record)
        db.session.commit()
        flash("saved", "concern")
    except ReviewError as error:
        db.session.rollback()
        flash(error.code, "concern-error")
    return redirect(url_for("moderation.concern", concern_id=concern_id))


@bp.post("/concerns/<int:concern_id>/entries")
@staff_required(*LEADS)
def concern_entry(concern_id: int) -> Response:
    """Append a note, a referral or an action taken."""
    form = EntryForm()
    return _concern_change(concern_id, form, lambda record: add_concern_entry(
        record, current_user, form.entry_kind, form.text.data or ""))


@bp.post("/concerns/<int:concern_id>/close")
@staff_required(*LEADS)
def concern_close(concern_id: int) -> Response:
    """Close the concern with its outcome (nothing can be added after)."""
    form = CloseConcernForm()
    return _concern_change(concern_id, form, lambda record: close_concern(
        record, current_user, form.outcome.data or ""))


@dataclass(frozen=True)
class ItemActions:
    """What the item page offers this person, from the named rules (never decided in the
    template)."""

    review: bool  # the ordinary decisions: the item is pending, ordinary and claimed by them
    unclaimed: bool  # pending and ordinary, but not (or no longer) theirs
    lead: bool  # a lead's decisions on a pending item of a lead's lane
    concern_later: bool  # kept from sharing without a concern: a lead may still open one
    flagged: bool  # screening found something: the edited version comes first
    shows_original: bool  # the child's own words (once an edited version is shared: leads)
    own: bool  # a committee's input this person submitted: someone else decides it


def item_actions(submission: Submission) -> ItemActions:
    own = submitted_it(current_user, submission)
    pending = submission.status == SubmissionStatus.PENDING and not own
    lead_lane = in_lead_lane(submission)
    leads = can_handle_concerns(current_user)
    expiry = submission.claim_expires_at
    holds = (submission.claimed_by_id == current_user.id and expiry is not None
             and expiry >= utcnow())
    shared = submission.published_body
    redacted = shared is not None and shared != submission.body
    return ItemActions(
        review=pending and not lead_lane and holds,
        unclaimed=pending and not lead_lane and not holds,
        lead=pending and lead_lane and leads,
        concern_later=(submission.status == SubmissionStatus.SAFEGUARDED and leads
                       and not own and concern_of(submission) is None),
        flagged=is_flagged(submission),
        shows_original=not redacted or leads,
        own=own,
    )


def outcome_text(submission: Submission) -> str | None:
    """What became of a decided item, in a sentence (None while it waits)."""
    status = submission.status
    from_committee = submission.source == SubmissionSource.COMMITTEE
    if status == SubmissionStatus.APPROVED and from_committee:
        if submission.published_body != submission.body:
            return str(_("Shown to children under its part, in an edited version, as a "
                         "committee's words."))
        return str(_("Shown to children under its part, as written, as a committee's words."))
    if status == SubmissionStatus.APPROVED:
        if submission.published_body != submission.body:
            return str(_("Shared with other children in an edited version."))
        return str(_("Shared with other children as written."))
    if status == SubmissionStatus.REJECTED:
        reason = submission.rejection_reason
        label = reason_label(reason) if reason else "?"
        return str(_("Not shared. Reason: %(reason)s", reason=label))
    if status == SubmissionStatus.SAFEGUARDED:
        return str(_("Kept from sharing by a safeguarding lead: the child reads that a helping "
                     "adult has read it."))
    if status == SubmissionStatus.WITHDRAWN and from_committee:
        return str(_("Withdrawn by the committee's facilitator."))
    if status == SubmissionStatus.WITHDRAWN:
        return str(_("Withdrawn by the child."))
    return None


def item_shortcuts(actions: ItemActions) -> dict[str, str]:
    """The keys the item page offers (and its hint line lists): only keys that exist."""
    keys: dict[str, str] = {}
    if actions.review:
        keys["a"] = (_("approve the edited version and open the next") if actions.flagged
                     else _("approve as written and open the next"))
        keys["e"] = _("edit the version to share")
        keys["r"] = _("reason if not shared")
        keys["s"] = _("note for the safeguarding lead")
    if actions.lead:
        keys["c"] = _("concern note")
        keys["b"] = _("why it is not a concern")
    keys["n"] = _("back to the queues")
    return keys


def _item_page(submission: Submission, *, error: str | None = None,
               posted: dict[str, DecisionForm] | None = None, status: int = 200
               ) -> tuple[str, int]:
    actions = item_actions(submission)
    forms: dict[str, DecisionForm] = {
        "approve": ApproveForm(formdata=None),
        "approve_edited": ApproveEditedForm(formdata=None, data={
            "published_text": submission.suggested_redaction or submission.body or ""}),
        "reject": RejectForm(formdata=None, data={"reason": proposed_reason(submission).value}),
        "escalate": EscalateForm(formdata=None),
        "concern": ConcernForm(formdata=None),
        "keep": KeepForm(formdata=None),
        "send_back": SendBackForm(formdata=None),
        **(posted or {}),
    }
    return render_template(
        "moderation/item.html", item=submission, actions=actions, forms=forms,
        segments=flagged_segments(submission) if actions.shows_original else [],
        place=place_of(submission), concern=concern_of(submission), error=error,
        origin=origin_of(submission),
        shortcuts=item_shortcuts(actions), outcome=outcome_text(submission),
        findings=screening_findings(submission), model_note=model_note(submission),
    ), status


def model_note(submission: Submission) -> str | None:
    """The learned model's score and level, for the reviewer who wonders why an item is here."""
    screening = submission.screening or {}
    if screening.get("score") is None:
        return None
    level = {"urgent": _("urgent"), "check_soon": _("check soon"),
             "ordinary": _("ordinary")}.get(screening.get("level", ""), _("ordinary"))
    return str(_("Learned model: %(score)s out of 1 (%(level)s)",
                 score=format_decimal(screening["score"], format="0.00"), level=level))


def queue_label(priority: int) -> str:
    return str({
        Priority.URGENT: _("Urgent"), Priority.ESCALATED: pgettext("queue", "Escalated"),
        Priority.CHECK_SOON: _("Check soon"),
        Priority.PERSONAL: _("Personal details"), Priority.ORDINARY: _("Ordinary"),
    }[Priority(priority)])


def queue_description(priority: int) -> str:
    """What a queue holds, in a few words (the staff home and the queues page)."""
    return str({
        Priority.URGENT: _("A child may be unsafe"),
        Priority.ESCALATED: _("A reviewer was not sure"),
        Priority.CHECK_SOON: _("Worded like some children who were not safe: read soon"),
        Priority.PERSONAL: _("Details to hide before sharing"),
        Priority.ORDINARY: _("Nothing found by screening"),
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
        "possible_harm": _("Worded like a child who may not be safe"),
        "worry": _("Some words may hint that a child is not safe"),
        "screening_failed": _("Not screened (an error): read with care"),
        "personal_info": _("Personal details"),
        "insult": _("Unkind words"),
    }
    return str(labels.get(category, category))


def detail_label(kind: str) -> str:
    """Which personal detail screening saw (the data files name them)."""
    return str({
        "address": _("an address"), "birthdate": _("a date of birth"),
        "email": _("an email address"), "handle": _("a username"),
        "link": _("a link"), "name": _("a name"), "phone": _("a phone number"),
        "postcode": _("a postcode"), "school": _("a school's name"),
    }.get(kind, kind))


def concern_category_label(category: str | None) -> str:
    """A concern's category on the list: a flag, a reviewer's escalation, or a disclosure made
    in a committee session."""
    if category == ROOM:
        return str(_("Raised in a committee session"))
    return flag_label(category) if category else _("Escalated by a reviewer")


def reason_label(code: str) -> str:
    return str(REASON_LABELS[RejectionReason(code)])


def review_error(code: str) -> str:
    return str({
        "not_claimed": _("Your claim on this item ended or someone else holds it."),
        "already_decided": _("Someone already decided on this item."),
        "urgent_never_published": _("Urgent items are never shared."),
        "empty": _("The text is empty."),
        "too_long": _("The edited text is too long."),
        "not_urgent": _("Only urgent or escalated items become concerns."),
        "concern_closed": _("This concern is closed."),
        "lead_lane_outcome": _(
            "A possible disclosure is never refused with an ordinary reason: keep it from "
            "sharing, open a concern, or send it back to the ordinary review."
        ),
        "already_with_lead": _("This item is already with the safeguarding leads."),
        "reason_needed": _("Say why this is not a concern: it goes in the audit log."),
        "own_submission": _(
            "You submitted this committee's input, so another reviewer decides it."),
        "forbidden": _("You cannot decide this item."),
    }.get(code, _("That action could not be done.")))


def entry_label(kind: str) -> str:
    return str(ENTRY_LABELS[EntryKind(kind)])


def language_name(code: str) -> str:
    """A language's name in the reader's language ("French", "français")."""
    name = Locale.parse(code).get_display_name(str(get_locale())) or code
    return name[:1].upper() + name[1:]


def day_label(value: date) -> str:
    """A day in the reader's language ("20 November 2026"): a session's date."""
    return str(format_date(value, "long"))


def init_app(app: Flask) -> None:
    from participation.moderation.alerts import init_app as init_alerts

    init_alerts(app)
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        entry_label=entry_label, queue_label=queue_label, queue_description=queue_description,
        flag_label=flag_label, reason_label=reason_label, review_error=review_error,
        concern_category_label=concern_category_label, language_name=language_name,
        detail_label=detail_label, day_label=day_label,
    )
