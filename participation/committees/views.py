"""Staff pages for committees themselves: list, create, edit, people, and organisers'
overview of committee input per part.

Who sees what: organisers and admins manage every committee; a facilitator sees only the
committees they run; a safeguarding lead sees the committees they are the lead of (so a concern
raised in a session's room is about a committee they know). Only organisers and admins change
anything here, and only they read the overview.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from participation.accounts.models import Role
from participation.auth import staff_required
from participation.committees.access import (
    MANAGERS,
    can_manage_committees,
    runs_committee,
)
from participation.committees.labels import (
    KIND_LABELS,
    POSITION_LABELS,
    SESSION_STATUS_LABELS,
    SHARE_LABELS,
    STATEMENT_KIND_LABELS,
    STATUS_LABELS,
    VOICE_LABELS,
)
from participation.committees.models import Committee, CommitteeStatus
from participation.committees.overview import committee_overview
from participation.committees.registry import (
    CommitteeError,
    change_committee_status,
    committee_sessions,
    committees_for,
    create_committee,
    facilitator_choices,
    find_committee,
    lead_choices,
    leads_committee,
    may_open_committee,
    sees_drafts,
    set_facilitators,
    set_lead,
    update_committee,
)
from participation.committees.registry_forms import (
    CommitteeForm,
    CommitteeStatusForm,
    FacilitatorsForm,
    LeadForm,
    NewCommitteeForm,
)
from participation.db import db
from participation.i18n import NATIVE_NAMES
from participation.templating import listing

bp = Blueprint("committees", __name__, url_prefix="/staff/committees")
# Everyone who may open a committee page: the object rule (may_open_committee) decides which.
READERS = (Role.FACILITATOR, Role.SAFEGUARDING_LEAD, *MANAGERS)
# The session recorder's entry point (committees/session_views.py): linked only once it exists.
START_SESSION = "committee_sessions.start"


def committee_error(code: str) -> str:
    """The message for a :class:`CommitteeError` code, in the staff member's language."""
    messages: dict[str, str] = {
        "forbidden": _("You cannot do that."),
        "bad_name": _("Give the committee a name (120 characters at most)."),
        "bad_region": _("Give a coarse region (80 characters at most)."),
        "bad_organisation": _("Give the supporting organisation (200 characters at most)."),
        "bad_locales": _("Choose at least one of the offered languages."),
        "bad_mandate": _("The mandate cannot end before it starts."),
        "bad_kind": _("Choose the kind of committee."),
        "not_facilitator": _("Only active accounts with the facilitator role can run a "
                             "committee."),
        "not_lead": _("Only an active safeguarding lead can be the committee's lead."),
        "status_changed": _("Someone changed this committee's status meanwhile. Here it is "
                            "as it is now."),
    }
    return messages.get(code) or str(_("That could not be done."))


def languages(codes: Iterable[str]) -> Markup:
    """Language names as their speakers write them, each marked with its language."""
    return listing(Markup('<span lang="{}">{}</span>').format(code, NATIVE_NAMES.get(code, code))
                   for code in codes)


@bp.context_processor
def _page_helpers() -> dict[str, Any]:
    """The named rules and words the committee templates use (never inline role checks)."""
    return {
        "can_manage_committees": can_manage_committees, "runs_committee": runs_committee,
        "leads_committee": leads_committee, "committee_error": committee_error,
        "kind_labels": KIND_LABELS, "status_labels": STATUS_LABELS,
        "session_status_labels": SESSION_STATUS_LABELS, "position_labels": POSITION_LABELS,
        "statement_kind_labels": STATEMENT_KIND_LABELS, "voice_labels": VOICE_LABELS,
        "share_labels": SHARE_LABELS, "language_names": NATIVE_NAMES,
        "listing": listing, "languages": languages,
    }


def _committee_or_404(public_id: str) -> Committee:
    """The committee, if this person may open it: unknown is a 404, someone else's a 403."""
    committee = find_committee(public_id)
    if committee is None:
        abort(404)
    if not may_open_committee(current_user, committee):
        abort(403)
    return committee


def _details_form(form_class: type[CommitteeForm] = CommitteeForm, **kwargs: Any
                  ) -> CommitteeForm:
    form = form_class(**kwargs)
    form.set_choices(tuple(current_app.config["LANGUAGES"]))
    return form


def _new_form() -> NewCommitteeForm:
    form = _details_form(NewCommitteeForm)
    assert isinstance(form, NewCommitteeForm)
    form.set_people(facilitator_choices(), lead_choices())
    if not form.is_submitted():
        form.locales.data = [str(get_locale())]
    return form


def _facilitators_form(committee: Committee | None = None) -> FacilitatorsForm:
    """Bound to the request; with ``committee``, showing its people instead."""
    if committee is None:
        form = FacilitatorsForm()
    else:
        form = FacilitatorsForm(formdata=None,
                                data={"facilitators": [p.id for p in committee.facilitators]})
    form.set_choices(facilitator_choices())
    return form


def _lead_form(committee: Committee | None = None) -> LeadForm:
    form = LeadForm() if committee is None else LeadForm(
        formdata=None, data={"lead": committee.lead_id})
    form.set_choices(lead_choices())
    return form


def start_session_url(committee: Committee) -> str | None:
    """The recorder's "new session" address for this committee, or None while the recorder
    has no such route (this page must never break on it). The contract names the argument
    ``committee``; session_views names it ``committee_id``: either is accepted."""
    if START_SESSION not in current_app.view_functions:
        return None
    for argument in ("committee", "committee_id"):
        values: dict[str, Any] = {argument: committee.public_id}
        try:
            return url_for(START_SESSION, **values)
        except BuildError:
            continue
    return None


def _committee_page(committee: Committee, *, facilitators_form: FacilitatorsForm | None = None,
                    lead_form: LeadForm | None = None, error: str | None = None,
                    status: int = 200) -> tuple[str, int]:
    manage = can_manage_committees(current_user)
    return render_template(
        "committees/committee.html", committee=committee,
        sessions=committee_sessions(current_user, committee),
        sees_drafts=sees_drafts(current_user, committee),
        facilitators_form=(facilitators_form or _facilitators_form(committee)) if manage
        else None,
        lead_form=(lead_form or _lead_form(committee)) if manage else None,
        status_form=CommitteeStatusForm(formdata=None), error=error,
        start_session_url=start_session_url(committee),
    ), status


@bp.get("")
@staff_required(*READERS)
def index() -> str:
    """The committees this person may open (organisers and admins: all of them)."""
    return render_template("committees/index.html", committees=committees_for(current_user))


@bp.get("/new")
@staff_required(*MANAGERS)
def new() -> str:
    """The form for a new committee, with its first facilitators and lead."""
    return render_template("committees/committee_form.html", form=_new_form(), committee=None)


@bp.post("")
@staff_required(*MANAGERS)
def create() -> Response | tuple[str, int]:
    """Create the committee; its page comes next."""
    form = _new_form()
    if not form.validate_on_submit():
        return render_template("committees/committee_form.html", form=form,
                               committee=None), 422
    try:
        committee = create_committee(form.details(), actor=current_user,
                                     facilitator_ids=form.facilitators.data or [],
                                     lead_id=form.lead.data)
    except CommitteeError as error:
        db.session.rollback()
        return render_template("committees/committee_form.html", form=form, committee=None,
                               error=error.code), 422
    db.session.commit()
    flash("created", "committee")
    return redirect(url_for("committees.committee", committee=committee.public_id))


@bp.get("/overview")
@staff_required(*MANAGERS)
def overview() -> str:
    """Per part, what committees said of the plan: positions, coverage, approved statements."""
    return render_template("committees/overview.html",
                           overview=committee_overview(str(get_locale())))


@bp.get("/<committee>")
@staff_required(*READERS)
def committee(committee: str) -> tuple[str, int]:
    """A committee's details, people and sessions (and, for its facilitators, a new one)."""
    return _committee_page(_committee_or_404(committee))


@bp.get("/<committee>/edit")
@staff_required(*MANAGERS)
def edit(committee: str) -> str:
    """The committee's details, ready to change."""
    found = _committee_or_404(committee)
    form = _details_form(formdata=None, obj=found)
    return render_template("committees/committee_form.html", form=form, committee=found)


@bp.post("/<committee>/edit")
@staff_required(*MANAGERS)
def update(committee: str) -> Response | tuple[str, int]:
    """Save new details."""
    found = _committee_or_404(committee)
    form = _details_form()
    if not form.validate_on_submit():
        return render_template("committees/committee_form.html", form=form,
                               committee=found), 422
    try:
        update_committee(found, form.details(), actor=current_user)
    except CommitteeError as error:
        db.session.rollback()
        return render_template("committees/committee_form.html", form=form, committee=found,
                               error=error.code), 422
    db.session.commit()
    flash("saved", "committee")
    return redirect(url_for("committees.committee", committee=found.public_id))


@bp.post("/<committee>/facilitators")
@staff_required(*MANAGERS)
def facilitators(committee: str) -> Response | tuple[str, int]:
    """Choose who runs the committee."""
    found = _committee_or_404(committee)
    form = _facilitators_form()
    if not form.validate_on_submit():
        return _committee_page(found, facilitators_form=form, status=422)
    try:
        set_facilitators(found, form.facilitators.data or [], actor=current_user)
    except CommitteeError as error:
        db.session.rollback()
        return _committee_page(found, facilitators_form=form, error=error.code, status=422)
    db.session.commit()
    flash("facilitators", "committee")
    return redirect(url_for("committees.committee", committee=found.public_id))


@bp.post("/<committee>/lead")
@staff_required(*MANAGERS)
def lead(committee: str) -> Response | tuple[str, int]:
    """Choose the committee's safeguarding lead."""
    found = _committee_or_404(committee)
    form = _lead_form()
    if not form.validate_on_submit():
        return _committee_page(found, lead_form=form, status=422)
    try:
        set_lead(found, form.lead.data, actor=current_user)
    except CommitteeError as error:
        db.session.rollback()
        return _committee_page(found, lead_form=form, error=error.code, status=422)
    db.session.commit()
    flash("lead", "committee")
    return redirect(url_for("committees.committee", committee=found.public_id))


def _change_status(public_id: str, status: CommitteeStatus) -> Response:
    found = _committee_or_404(public_id)
    if not CommitteeStatusForm().validate_on_submit():
        abort(400)
    try:
        change_committee_status(found, status, actor=current_user)
    except CommitteeError as error:
        db.session.rollback()
        flash(error.code, "committee-error")
        return redirect(url_for("committees.committee", committee=public_id))
    db.session.commit()
    flash(status.value, "committee")
    return redirect(url_for("committees.committee", committee=public_id))


@bp.post("/<committee>/pause")
@staff_required(*MANAGERS)
def pause(committee: str) -> Response:
    """Pause the committee: no new sessions until it is reactivated."""
    return _change_status(committee, CommitteeStatus.PAUSED)


@bp.post("/<committee>/close")
@staff_required(*MANAGERS)
def close(committee: str) -> Response:
    """Close the committee at the end of its mandate; its sessions stay."""
    return _change_status(committee, CommitteeStatus.CLOSED)


@bp.post("/<committee>/reactivate")
@staff_required(*MANAGERS)
def reactivate(committee: str) -> Response:
    """Make a paused or closed committee active again."""
    return _change_status(committee, CommitteeStatus.ACTIVE)
