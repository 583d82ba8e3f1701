"""The facilitator's session recorder: prepare, consent, part by part, children's work,
read back, attest and submit (resumable at any step).

Every route is for facilitators, and each session only for the facilitators of its committee
(:func:`can_record_session`): another facilitator, an organiser or a lead never sees a draft,
its consent counts or its unreviewed words. The one exception is a photo, which whoever may
review its caption may see once the session is sent.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from participation.accounts.models import Role, User
from participation.auth import staff_required
from participation.committees.access import can_record_session, runs_committee
from participation.committees.labels import SESSION_STATUS_LABELS, as_text
from participation.committees.models import (
    AssentText,
    CommitteeSession,
    CommitteeStatus,
    GroupPosition,
    SessionPart,
    SessionPhoto,
    SessionStatus,
    ShareOfGroup,
    Statement,
    StatementKind,
    StatementVoice,
)
from participation.committees.photos import add_photo, can_see_photo, delete_photo
from participation.committees.session_forms import (
    SOMETHING_MISSING,
    AttestForm,
    ButtonForm,
    ConsentForm,
    PartForm,
    PhotoForm,
    PrepareForm,
    ReadBackForm,
    RoomConcernForm,
    StartSessionForm,
    StatementForm,
    kind_labels,
    method_labels,
    position_labels,
    share_labels,
    voice_labels,
)
from participation.committees.sessions import (
    ConsentRecord,
    SessionError,
    StatementInput,
    add_statement,
    assent_texts,
    attested,
    choosable_sections,
    consent_complete,
    delete_statement,
    edit_statement,
    find_committee,
    find_session,
    has_vote,
    plan_view,
    prepare_session,
    raise_room_concern,
    record_attestation,
    record_consent,
    record_part,
    record_read_back,
    section_titles,
    start_session,
    step_states,
    submission_states,
    withdraw_session,
)
from participation.committees.submit import submit_session
from participation.db import db, utcnow
from participation.errors import error_responders
from participation.i18n import NATIVE_NAMES
from participation.plans.queries import TermView

bp = Blueprint("committee_sessions", __name__, url_prefix="/staff/committee-sessions")
RECORDERS = (Role.FACILITATOR,)
PHOTO_VIEWERS = (Role.FACILITATOR, Role.SAFEGUARDING_LEAD, Role.ADMIN)
NOTICE = "committee_session"


# -- messages ------------------------------------------------------------------------------

def session_error(code: str) -> str:
    """The facilitator's message for a :class:`SessionError` code."""
    messages: dict[str, Any] = {
        "forbidden": _("Only the committee's facilitators can do that."),
        "committee_not_active": _("This committee is not active: it cannot hold sessions."),
        "bad_locale": _("Choose one of the committee's languages."),
        "no_plan": _("No plan is loaded yet."),
        "not_editable": _("This session was sent or withdrawn: it cannot change any more."),
        "locale_fixed": _("The assent text was read in this language: the language cannot "
                          "change now."),
        "bad_method": _("Choose methods from the list."),
        "no_method": _("Choose at least one method."),
        "no_parts": _("Choose at least one part."),
        "bad_part": _("That part is not in this session's plan."),
        "part_in_use": _("A part you removed has statements or photos: delete them first."),
        "prepare_first": _("Choose the parts first."),
        "no_children": _("At least one child must take part."),
        "too_many_children": _("A session has at most 200 children."),
        "negative": _("Counts cannot be negative."),
        "ages_dont_add_up": _("The age groups must add up to the children taking part."),
        "too_many_consents": _("There cannot be more guardian consents than children."),
        "assent_shortfall": _("Every child taking part must agree. A child who does not "
                              "agree does not take part: count only the children who said "
                              "yes."),
        "kept_at": _("Say where the paper forms are kept."),
        "kept_at_too_long": _("Keep it under 200 characters."),
        "kept_until_past": _("The date the forms are kept until must be in the future."),
        "photos_exist": _("The session has photos: delete them before recording that the "
                          "children did not agree to photos."),
        "quotes_exist": _("Some statements are the children's own words: change them to a "
                          "paraphrase before recording that they may not be quoted."),
        "consent_first": _("Record the children's consent first."),
        "no_vote_method": _("No vote was chosen for this session: leave the tallies empty."),
        "votes_exceed": _("There are more votes than children taking part."),
        "bad_rank": _("The priority must be between 1 and the number of parts."),
        "hard_words_too_long": _("Keep the hard words under 500 characters."),
        "share_required": _("Say how many held this minority view."),
        "no_quotes": _("The children did not agree to be quoted: use a paraphrase."),
        "statement": _("Write what the group said."),
        "statement_too_long": _("Keep it under 1000 characters."),
        "bad_statement": _("That statement is not in this session."),
        "nothing_to_send": _("There is nothing to read back yet: add a statement first."),
        "not_draft": _("This session was already checked with the children."),
        "account": _("Say in a few words how the session went."),
        "account_too_long": _("Keep your account under 2000 characters."),
        "told_what_to_say": _("You must confirm the children were not told what to say. If "
                              "they were, do not send the session: withdraw it."),
        "not_checked": _("Read it back to the children first."),
        "not_attested": _("Complete your account of the session first."),
        "already_submitted": _("This session was already sent."),
        "cannot_withdraw": _("This session can no longer be withdrawn."),
        "already_decided": _("A reviewer already decided part of it: it can no longer be "
                             "withdrawn."),
        "case_reference": _("Give the case reference your organisation holds."),
        "case_reference_too_long": _("Keep the case reference under 64 characters."),
        "note": _("Say what happened, without any name."),
        "note_too_long": _("Keep the note under 2000 characters."),
        "photos_not_agreed": _("The children did not agree to photos of their work."),
        "faces_not_confirmed": _("Confirm that the photo shows no face and no name. If it "
                                 "does, blur it first or do not send it."),
        "caption": _("Add the children's caption."),
        "caption_too_long": _("Keep the caption under 1000 characters."),
        "photo_empty": _("Choose a photo."),
        "photo_not_image": _("That file is not a photo we can read. Use a JPEG, PNG or "
                             "WebP picture."),
        "photo_too_many_pixels": _("That picture has too many pixels. Take it again at a lower "
                                   "resolution, or shrink it first."),
        "photo_too_big": _("That file is too big. Take the photo again at a lower "
                           "resolution, or shrink it first."),
        "bad_photo": _("That photo is not in this session."),
    }
    return str(messages.get(code) or _("That could not be done."))


def missing_text(code: str, session: CommitteeSession) -> str:
    """What is still missing at a step, in a sentence."""
    unanswered = sum(1 for part in session.parts if part.group_position is None)
    messages: dict[str, Any] = {
        "no_parts": _("Choose the parts, the language and the methods."),
        "consent": _("Record the consent counts and read the assent text."),
        "positions": ngettext("%(num)s part has no group position yet.",
                              "%(num)s parts have no group position yet.", unanswered),
        "statements": _("No statement yet."),
        "photos_not_agreed": _("The children did not agree to photos: nothing to do."),
        "no_photos": _("No photo (optional)."),
        "read_back": _("Not yet checked with the children."),
        "attest": _("Your account of the session is missing."),
    }
    return str(messages.get(code, code))


def step_labels() -> dict[str, str]:
    return {
        "prepare": _("Prepare"), "consent": _("Consent"), "parts": _("Part by part"),
        "work": _("Children's work"), "read_back": _("Check with the children"),
        "attest": _("Attest and send"),
    }


def status_labels() -> dict[str, str]:
    return as_text(SESSION_STATUS_LABELS)


# -- loading and access --------------------------------------------------------------------

def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _load(session_id: str) -> CommitteeSession:
    """The session, for one of its committee's facilitators only."""
    session = find_session(session_id)
    if session is None:
        abort(404)
    if not can_record_session(_user(), session):
        abort(403)
    return session


def _fail(error: SessionError, where: str, session: CommitteeSession) -> BaseResponse:
    """A refused button: say why on the page it came from."""
    db.session.rollback()
    flash(session_error(error.code), NOTICE + "-error")
    return redirect(url_for(where, session_id=session.public_id))


def _done(message: str, where: str, session: CommitteeSession, anchor: str | None = None
          ) -> BaseResponse:
    flash(message, NOTICE)
    return redirect(url_for(where, session_id=session.public_id, _anchor=anchor))


def _section_id(choice: str | None) -> int | None:
    if not choice or choice == SOMETHING_MISSING:
        return None
    try:
        return int(choice)
    except ValueError:
        return -1  # no such part: the service refuses it


def _parts(session: CommitteeSession) -> list[tuple[int, str]]:
    titles = section_titles(session.plan_id, session.locale)
    return [(part.section_id, titles.get(part.section_id, "")) for part in session.parts]


def _render(template: str, session: CommitteeSession, status: int = 200,
            **context: Any) -> Response:
    html = render_template(template, session=session, titles=section_titles(
        session.plan_id, session.locale), labels=_labels(), button=ButtonForm(formdata=None),
        **context)
    return make_response(html, status)


def _labels() -> dict[str, dict[str, str]]:
    return {"methods": method_labels(), "positions": position_labels(),
            "kinds": kind_labels(), "voices": voice_labels(), "shares": share_labels(),
            "steps": step_labels(), "statuses": status_labels(), "languages": NATIVE_NAMES}


# -- start and the session page ------------------------------------------------------------

@bp.route("/start/<committee_id>", methods=["GET", "POST"])
@staff_required(*RECORDERS)
def start(committee_id: str) -> BaseResponse:
    """Open a new session of a committee this facilitator runs (an active one)."""
    committee = find_committee(committee_id)
    if committee is None:
        abort(404)
    if not runs_committee(_user(), committee):
        abort(403)
    form = StartSessionForm()
    form.set_choices(committee.locales)
    if not form.is_submitted():
        form.held_on.data = date.today()
        form.locale.data = committee.locales[0] if committee.locales else None
    error = None
    if committee.status != CommitteeStatus.ACTIVE:
        error = "committee_not_active"
    elif form.validate_on_submit():
        try:
            session = start_session(committee, _user(), held_on=form.held_on.data,
                                    locale=form.locale.data or "")
            db.session.commit()
        except SessionError as failed:
            db.session.rollback()
            error = failed.code
        else:
            return redirect(url_for("committee_sessions.prepare", session_id=session.public_id))
    status = 422 if request.method == "POST" else 200
    html = render_template("committees/session_start.html", committee=committee, form=form,
                           error=session_error(error) if error else None)
    return make_response(html, status)


@bp.get("/<session_id>")
@staff_required(*RECORDERS)
def session(session_id: str) -> Response:
    """Where the session is, step by step, and what is still missing."""
    recorded = _load(session_id)
    return _render("committees/session.html", recorded, steps=step_states(recorded),
                   missing=missing_text, states=submission_states(recorded),
                   can_submit=recorded.status == SessionStatus.CHECKED
                   and attested(recorded))


# -- 1 prepare -----------------------------------------------------------------------------

@bp.route("/<session_id>/prepare", methods=["GET", "POST"])
@staff_required(*RECORDERS)
def prepare(session_id: str) -> BaseResponse:
    """Step 1: the parts of the plan, the language and the methods."""
    recorded = _load(session_id)
    form = PrepareForm()
    form.set_choices(choosable_sections(recorded), recorded.committee.locales)
    if not form.is_submitted():
        form.parts.data = [part.section_id for part in recorded.parts]
        form.locale.data = recorded.locale
        form.methods.data = list(recorded.methods)
    error = None
    if form.validate_on_submit():
        try:
            prepare_session(recorded, _user(), section_ids=list(form.parts.data or []),
                            locale=form.locale.data or "", methods=list(form.methods.data or []))
            db.session.commit()
        except SessionError as failed:
            db.session.rollback()
            error = failed.code
        else:
            return _done(_("Saved. You can print the session pack."), "committee_sessions.prepare",
                         recorded)
    status = 422 if form.is_submitted() else 200
    return _render("committees/session_prepare.html", recorded, status, form=form,
                   error=session_error(error) if error else None)


@bp.get("/<session_id>/pack")
@staff_required(*RECORDERS)
def pack(session_id: str) -> Response:
    """The printable session pack: the simplified text of the chosen parts, the words to
    know used in them, and the questions, in the session's language."""
    recorded = _load(session_id)
    view = plan_view(recorded)
    sheet = None
    if view is not None and recorded.parts:
        chosen = [view.section_by_id(part.section_id) for part in recorded.parts]
        sections = [section for section in chosen if section is not None]
        terms: dict[str, TermView] = {}
        for section in sections:
            for term in section.terms:
                terms.setdefault(term.key, term)
        with force_locale(recorded.locale):
            sheet = Markup(render_template(  # noqa: S704 - our template, every value escaped
                "committees/_session_pack_sheet.html", session=recorded, plan=view,
                sections=sections, terms=sorted(terms.values(), key=lambda t: t.term.casefold()),
                questions=_pack_questions(recorded)))
    return _render("committees/pack.html", recorded, sheet=sheet)


def _pack_questions(recorded: CommitteeSession) -> dict[str, list[str]]:
    """Questions for the children, per part and at the end (in the active language)."""
    per_part = [_("What is this part about, in your own words?"),
                _("Do you agree with it? Why?"),
                _("Which words are hard to understand?"),
                _("What would you change?")]
    if has_vote(recorded):
        per_part.append(_("Let's vote: who agrees, who disagrees, who does not know?"))
    end = [_("Which part is the most important for you?"),
           _("Is something missing from the plan?")]
    return {"part": per_part, "end": end}


# -- 2 consent -----------------------------------------------------------------------------

@bp.route("/<session_id>/consent", methods=["GET", "POST"])
@staff_required(*RECORDERS)
def consent(session_id: str) -> BaseResponse:
    """Step 2: counts without names, what the children agreed to, and the assent text."""
    recorded = _load(session_id)
    form = ConsentForm()
    if not form.is_submitted() and recorded.children_present is not None:
        for name in ("children_present", "aged_8_10", "aged_11_13", "aged_14_17",
                     "guardian_consents", "child_assents", "paper_forms_kept_at",
                     "paper_forms_kept_until"):
            getattr(form, name).data = getattr(recorded, name)
        form.may_quote.data = "yes" if recorded.may_quote else "no"
        form.may_photograph_work.data = "yes" if recorded.may_photograph_work else "no"
    error = None
    if form.validate_on_submit():
        record = ConsentRecord(
            children_present=form.children_present.data, aged_8_10=form.aged_8_10.data,
            aged_11_13=form.aged_11_13.data, aged_14_17=form.aged_14_17.data,
            guardian_consents=form.guardian_consents.data,
            child_assents=form.child_assents.data, may_quote=form.may_quote.data == "yes",
            may_photograph_work=form.may_photograph_work.data == "yes",
            paper_forms_kept_at=form.paper_forms_kept_at.data or "",
            paper_forms_kept_until=form.paper_forms_kept_until.data)
        try:
            record_consent(recorded, _user(), record, today=date.today())
            db.session.commit()
        except SessionError as failed:
            db.session.rollback()
            error = failed.code
        else:
            return _done(_("Consent saved. You can go on with the parts."),
                         "committee_sessions.parts", recorded)
    # What was read (stored with the consent), or what is to be read now.
    version, texts = assent_texts()
    assent = recorded.assent_text or AssentText(
        version=version, locale=recorded.locale,
        body=texts.get(recorded.locale) or texts["en"])
    status = 422 if form.is_submitted() else 200
    return _render("committees/session_consent.html", recorded, status, form=form,
                   assent=assent, error=session_error(error) if error else None)


# -- 3 part by part ------------------------------------------------------------------------

def _part_form(part: SessionPart, formdata: Any = None) -> PartForm:
    form = PartForm(prefix=f"part-{part.id}", formdata=formdata)
    form.set_choices()
    if formdata is None:
        form.group_position.data = part.group_position.value if part.group_position else None
        votes = part.votes or {}
        form.votes_agree.data = votes.get("agree")
        form.votes_disagree.data = votes.get("disagree")
        form.votes_abstain.data = votes.get("abstain")
        form.rank.data = part.rank
        form.hard_words.data = part.hard_words
    return form


def _statement_form(recorded: CommitteeSession, prefix: str, formdata: Any = None,
                    statement: Statement | None = None,
                    section_id: int | None = None) -> StatementForm:
    form = StatementForm(prefix=prefix, formdata=formdata)
    form.set_choices(_parts(recorded), _("Something missing from the plan"))
    if formdata is None:
        if statement is not None:
            section_id = statement.section_id
            form.kind.data = statement.kind.value
            form.voice.data = statement.voice.value
            form.share.data = statement.share.value if statement.share else ""
            form.body.data = statement.body
        else:
            form.kind.data = StatementKind.RECOMMENDATION.value
            form.voice.data = (StatementVoice.OWN_WORDS.value if recorded.may_quote
                               else StatementVoice.PARAPHRASE.value)
        form.section.data = str(section_id) if section_id is not None else SOMETHING_MISSING
    return form


def _add_key(section_id: int | None) -> str:
    return f"add-{section_id if section_id is not None else SOMETHING_MISSING}"


def _parts_page(recorded: CommitteeSession, status: int = 200,
                failed: dict[str, Any] | None = None, error: str | None = None) -> Response:
    failed = failed or {}
    part_forms = {part.id: failed.get(f"part-{part.id}") or _part_form(part)
                  for part in recorded.parts}
    adds = {}
    for section_id in [part.section_id for part in recorded.parts] + [None]:
        key = _add_key(section_id)
        adds[key] = failed.get(key) or _statement_form(recorded, key, section_id=section_id)
    return _render("committees/session_parts.html", recorded, status, part_forms=part_forms,
                   adds=adds, add_key=_add_key, vote=has_vote(recorded), failed_keys=set(failed),
                   consent_done=consent_complete(recorded),
                   error=session_error(error) if error else None)


@bp.get("/<session_id>/parts")
@staff_required(*RECORDERS)
def parts(session_id: str) -> Response:
    """Step 3: what the group made of each part, and its statements."""
    return _parts_page(_load(session_id))


@bp.post("/<session_id>/parts/<int:part_id>")
@staff_required(*RECORDERS)
def save_part(session_id: str, part_id: int) -> BaseResponse:
    """Save one part's position, votes, priority and hard words."""
    recorded = _load(session_id)
    part = next((p for p in recorded.parts if p.id == part_id), None)
    if part is None:
        abort(404)
    form = _part_form(part, request.form)
    if not form.validate_on_submit():
        return _parts_page(recorded, 422, {f"part-{part.id}": form})
    votes = {"agree": form.votes_agree.data, "disagree": form.votes_disagree.data,
             "abstain": form.votes_abstain.data}
    try:
        record_part(recorded, _user(), part,
                    group_position=GroupPosition(form.group_position.data)
                    if form.group_position.data else None,
                    votes=votes, rank=form.rank.data, hard_words=form.hard_words.data)
        db.session.commit()
    except SessionError as failed:
        db.session.rollback()
        return _parts_page(recorded, 422, {f"part-{part.id}": form}, failed.code)
    return _done(_("Part saved."), "committee_sessions.parts", recorded, f"part-{part.id}")


def _statement_input(form: StatementForm) -> StatementInput:
    return StatementInput(
        section_id=_section_id(form.section.data), kind=StatementKind(form.kind.data),
        voice=StatementVoice(form.voice.data),
        share=ShareOfGroup(form.share.data) if form.share.data else None,
        body=form.body.data or "")


def _anchor(section_id: int | None, recorded: CommitteeSession) -> str:
    part = next((p for p in recorded.parts if p.section_id == section_id), None)
    return f"part-{part.id}" if part else "something-missing"


@bp.post("/<session_id>/statements")
@staff_required(*RECORDERS)
def new_statement(session_id: str) -> BaseResponse:
    """Add a statement to a part, or to "something missing"."""
    recorded = _load(session_id)
    key = next((k.removesuffix("-csrf_token") for k in request.form
                if k.startswith("add-") and k.endswith("-csrf_token")), "add-missing")
    form = _statement_form(recorded, key, request.form)
    if not form.validate_on_submit():
        return _parts_page(recorded, 422, {key: form})
    try:
        data = _statement_input(form)
        add_statement(recorded, _user(), data)
        db.session.commit()
    except SessionError as failed:
        db.session.rollback()
        return _parts_page(recorded, 422, {key: form}, failed.code)
    return _done(_("Statement added."), "committee_sessions.parts", recorded,
                 _anchor(data.section_id, recorded))


def _statement(recorded: CommitteeSession, statement_id: int) -> Statement:
    statement = next((s for s in recorded.statements if s.id == statement_id), None)
    if statement is None:
        abort(404)
    return statement


@bp.route("/<session_id>/statements/<int:statement_id>", methods=["GET", "POST"])
@staff_required(*RECORDERS)
def change_statement(session_id: str, statement_id: int) -> BaseResponse:
    """Correct a statement (while the session is a draft, or being read back)."""
    recorded = _load(session_id)
    statement = _statement(recorded, statement_id)
    form = _statement_form(recorded, "statement",
                           request.form if request.method == "POST" else None, statement)
    error = None
    if form.validate_on_submit():
        try:
            data = _statement_input(form)
            edit_statement(recorded, _user(), statement, data)
            db.session.commit()
        except SessionError as failed:
            db.session.rollback()
            error = failed.code
        else:
            return _done(_("Statement saved."), "committee_sessions.parts", recorded,
                         _anchor(data.section_id, recorded))
    status = 422 if request.method == "POST" else 200
    return _render("committees/session_statement.html", recorded, status, form=form,
                   statement=statement, error=session_error(error) if error else None)


@bp.post("/<session_id>/statements/<int:statement_id>/delete")
@staff_required(*RECORDERS)
def remove_statement(session_id: str, statement_id: int) -> BaseResponse:
    """Delete a statement from the draft."""
    recorded = _load(session_id)
    statement = _statement(recorded, statement_id)
    anchor = _anchor(statement.section_id, recorded)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        delete_statement(recorded, _user(), statement)
        db.session.commit()
    except SessionError as failed:
        return _fail(failed, "committee_sessions.parts", recorded)
    return _done(_("Statement deleted."), "committee_sessions.parts", recorded, anchor)


# -- 4 children's work ---------------------------------------------------------------------

def _photo_form(recorded: CommitteeSession) -> PhotoForm:
    form = PhotoForm()
    form.set_choices(_parts(recorded), _("Something missing from the plan"))
    if not form.is_submitted():
        form.section.data = str(recorded.parts[0].section_id) if recorded.parts else (
            SOMETHING_MISSING)
    return form


def _work_page(recorded: CommitteeSession, form: PhotoForm, status: int = 200,
               error: str | None = None) -> Response:
    return _render("committees/session_work.html", recorded, status, form=form,
                   consent_done=consent_complete(recorded),
                   max_mb=current_app.config["COMMITTEE_PHOTO_MAX_BYTES"] // (1024 * 1024),
                   error=session_error(error) if error else None)


@bp.get("/<session_id>/work")
@staff_required(*RECORDERS)
def work(session_id: str) -> Response:
    """Step 4: photos of the children's work, each with their caption."""
    recorded = _load(session_id)
    return _work_page(recorded, _photo_form(recorded))


@bp.url_value_preprocessor
def _room_for_photos(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A photo is bigger than any other form: only this route, and only for a signed-in
    facilitator, accepts COMMITTEE_PHOTO_MAX_BYTES (runs before the form is read)."""
    if endpoint == "committee_sessions.upload_photo" and request.method == "POST" and (
            current_user.is_authenticated and current_user.has_role(*RECORDERS)):
        request.max_content_length = int(current_app.config["COMMITTEE_PHOTO_MAX_BYTES"])


@bp.post("/<session_id>/photos")
@staff_required(*RECORDERS)
def upload_photo(session_id: str) -> BaseResponse:
    """Keep a clean copy of a photo (re-encoded, no metadata; the upload is not kept)."""
    recorded = _load(session_id)
    form = _photo_form(recorded)
    if not form.validate_on_submit():
        return _work_page(recorded, form, 422)
    upload = form.photo.data
    limit = int(current_app.config["COMMITTEE_PHOTO_MAX_BYTES"])
    raw = upload.read(limit + 1)
    upload.close()
    try:
        if len(raw) > limit:
            raise SessionError("photo_too_big")
        add_photo(recorded, _user(), raw=raw, section_id=_section_id(form.section.data),
                  caption=form.caption.data or "", no_faces_or_names=bool(
                      form.no_faces_or_names.data),
                  max_side=int(current_app.config["COMMITTEE_PHOTO_MAX_SIDE"]))
        db.session.commit()
    except SessionError as failed:
        db.session.rollback()
        return _work_page(recorded, form, 422, failed.code)
    return _done(_("Photo saved, without any of the camera's details."),
                 "committee_sessions.work", recorded)


def _too_big(error: Exception, status: int) -> Response | None:
    """A photo over the limit: a kind message on the work page, not an error page."""
    if status != 413 or request.endpoint != "committee_sessions.upload_photo":
        return None
    if not (current_user.is_authenticated and current_user.has_role(*RECORDERS)):
        return None
    recorded = find_session((request.view_args or {}).get("session_id", ""))
    if recorded is None or not can_record_session(_user(), recorded):
        return None
    form = PhotoForm(formdata=None)
    form.set_choices(_parts(recorded), _("Something missing from the plan"))
    return _work_page(recorded, form, 413, "photo_too_big")


@bp.record_once
def _register_responder(state: Any) -> None:
    error_responders(state.app).append(_too_big)


def _photo(recorded: CommitteeSession, photo_id: str) -> SessionPhoto:
    photo = next((p for p in recorded.photos if p.public_id == photo_id), None)
    if photo is None:
        abort(404)
    return photo


@bp.get("/<session_id>/photos/<photo_id>")
@staff_required(*PHOTO_VIEWERS)
def photo(session_id: str, photo_id: str) -> Response:
    """The clean image, for the session's facilitators and whoever may review its caption;
    never cached by the browser or anything in between."""
    recorded = find_session(session_id)
    if recorded is None:
        abort(404)
    image = _photo(recorded, photo_id)
    if not can_see_photo(_user(), image):
        abort(403)
    response = make_response(image.image)
    response.headers["Content-Type"] = image.media_type
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.post("/<session_id>/photos/<photo_id>/delete")
@staff_required(*RECORDERS)
def remove_photo(session_id: str, photo_id: str) -> BaseResponse:
    """Delete a photo from the draft."""
    recorded = _load(session_id)
    image = _photo(recorded, photo_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        delete_photo(recorded, _user(), image)
        db.session.commit()
    except SessionError as failed:
        return _fail(failed, "committee_sessions.work", recorded)
    return _done(_("Photo deleted."), "committee_sessions.work", recorded)


# -- 5 read back ---------------------------------------------------------------------------

@bp.route("/<session_id>/read-back", methods=["GET", "POST"])
@staff_required(*RECORDERS)
def read_back(session_id: str) -> BaseResponse:
    """Step 5: "what we will send", to read with the children, and their check."""
    recorded = _load(session_id)
    form = ReadBackForm()
    error = None
    if form.validate_on_submit():
        try:
            record_read_back(recorded, _user(), corrected=bool(form.corrected.data),
                             now=utcnow())
            db.session.commit()
        except SessionError as failed:
            db.session.rollback()
            error = failed.code
        else:
            return _done(_("Recorded: the children checked what will be sent."),
                         "committee_sessions.attest", recorded)
    view = plan_view(recorded)
    with force_locale(recorded.locale):
        sheet = Markup(render_template(  # noqa: S704 - our template, every value escaped
            "committees/_session_read_back_sheet.html", session=recorded,
            plan_title=view.title if view else "",
            titles=section_titles(recorded.plan_id, recorded.locale),
            positions=_child_positions(), shares=_child_shares(), kinds=_child_kinds()))
    status = 422 if form.is_submitted() else 200
    return _render("committees/read_back.html", recorded, status, form=form, sheet=sheet,
                   error=session_error(error) if error else None)


def _child_positions() -> dict[str, str]:
    return {
        GroupPosition.AGREE: _("We agree with this part."),
        GroupPosition.MIXED: _("We do not all think the same about this part."),
        GroupPosition.DISAGREE: _("We do not agree with this part."),
        GroupPosition.NOT_UNDERSTOOD: _("We did not understand this part."),
    }


def _child_shares() -> dict[str, str]:
    return {
        ShareOfGroup.ONE_OR_TWO: _("One or two of us think:"),
        ShareOfGroup.SOME: _("Some of us think:"),
        ShareOfGroup.ABOUT_HALF: _("About half of us think:"),
        ShareOfGroup.MOST: _("Most of us think:"),
        ShareOfGroup.ALL: _("All of us think:"),
    }


def _child_kinds() -> dict[str, str]:
    return {
        StatementKind.RECOMMENDATION: _("Our idea:"),
        StatementKind.QUESTION: _("Our question:"),
        StatementKind.MINORITY_VIEW: _("Some of us think:"),
    }


# -- 6 attest and send, withdraw -----------------------------------------------------------

@bp.route("/<session_id>/attest", methods=["GET", "POST"])
@staff_required(*RECORDERS)
def attest(session_id: str) -> BaseResponse:
    """Step 6: the facilitator's own account, then sending."""
    recorded = _load(session_id)
    form = AttestForm()
    if not form.is_submitted() and recorded.account:
        form.account.data = recorded.account
        form.all_could_speak.data = "yes" if recorded.all_could_speak else "no"
        form.not_told_what_to_say.data = bool(recorded.not_told_what_to_say)
    error = None
    if form.validate_on_submit():
        try:
            record_attestation(recorded, _user(), account=form.account.data or "",
                               all_could_speak=form.all_could_speak.data == "yes",
                               not_told_what_to_say=bool(form.not_told_what_to_say.data))
            db.session.commit()
        except SessionError as failed:
            db.session.rollback()
            error = failed.code
        else:
            return _done(_("Your account of the session is saved."),
                         "committee_sessions.attest", recorded, "send")
    status = 422 if form.is_submitted() else 200
    return _render("committees/session_attest.html", recorded, status, form=form,
                   consent_done=consent_complete(recorded),
                   can_submit=recorded.status == SessionStatus.CHECKED and attested(recorded),
                   error=session_error(error) if error else None)


@bp.post("/<session_id>/submit")
@staff_required(*RECORDERS)
def submit(session_id: str) -> BaseResponse:
    """Send the session: its statements and captions go to review like children's ideas."""
    recorded = _load(session_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        made = submit_session(recorded, _user(), now=utcnow())
        db.session.commit()
    except SessionError as failed:
        return _fail(failed, "committee_sessions.session", recorded)
    return _done(ngettext("Sent: %(num)s item is waiting for review.",
                          "Sent: %(num)s items are waiting for review.", made),
                 "committee_sessions.session", recorded)


@bp.post("/<session_id>/withdraw")
@staff_required(*RECORDERS)
def withdraw(session_id: str) -> BaseResponse:
    """Take the session back before any of it is decided."""
    recorded = _load(session_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        withdraw_session(recorded, _user(), now=utcnow())
        db.session.commit()
    except SessionError as failed:
        return _fail(failed, "committee_sessions.session", recorded)
    return _done(_("The session is withdrawn."), "committee_sessions.session", recorded)


# -- a disclosure in the room --------------------------------------------------------------

@bp.route("/<session_id>/concern", methods=["GET", "POST"])
@staff_required(*RECORDERS)
def room_concern(session_id: str) -> BaseResponse:
    """A child disclosed something in the room: tell the safeguarding leads (no name)."""
    recorded = _load(session_id)
    form = RoomConcernForm()
    error = None
    if form.validate_on_submit():
        try:
            raise_room_concern(recorded, _user(), case_reference=form.case_reference.data or "",
                               note=form.note.data or "")
            db.session.commit()
        except SessionError as failed:
            db.session.rollback()
            error = failed.code
        else:
            return _done(_("The safeguarding leads are told now. Follow your organisation's "
                           "procedure too."), "committee_sessions.session", recorded)
    status = 422 if form.is_submitted() else 200
    return _render("committees/session_concern.html", recorded, status, form=form,
                   error=session_error(error) if error else None)

