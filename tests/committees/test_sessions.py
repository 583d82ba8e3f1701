"""The session recorder: services step by step, and its pages over HTTP (access, forms,
consent gating, bad input, the room disclosure)."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from participation.accounts.models import Role, User
from participation.audit.models import AuditEvent
from participation.committees.models import (
    AssentText,
    Committee,
    CommitteeSession,
    CommitteeStatus,
    GroupPosition,
    SessionStatus,
    SessionStep,
    ShareOfGroup,
    StatementKind,
    StatementVoice,
)
from participation.committees.sessions import (
    SessionError,
    StatementInput,
    add_statement,
    assent_texts,
    consent_complete,
    prepare_session,
    raise_room_concern,
    record_consent,
    record_part,
    record_read_back,
    step_states,
    withdraw_session,
)
from participation.db import db
from participation.jobs.models import OutboxMessage
from participation.moderation.models import Concern, ConcernEntry
from participation.plans.content import PlanContent
from participation.plans.models import Plan, Section
from tests.committees.builders import make_committee, make_session
from tests.committees.session_helpers import (
    BASE,
    FUTURE,
    Recorder,
    consent_record,
    load,
    recorder,
    sections,
    session_at,
    signed_in,
    token,
)


def user(app: Flask, who: Recorder) -> User:
    return db.session.get_one(User, who.account.id)


# -- services ------------------------------------------------------------------------------

def test_the_assent_text_is_honest_in_every_language() -> None:
    version, texts = assent_texts()
    assert version >= 1 and set(texts) == {"fr", "en", "es"}
    assert "never your names" in texts["en"] and "stop at any time" in texts["en"]
    # No promise of secrecy: a child who may not be safe is heard, and an adult is told.
    assert "I must tell an adult who can help" in texts["en"]
    assert "je dois en parler à un adulte" in texts["fr"]
    assert "tengo que contárselo" in texts["es"]
    for words in texts.values():
        assert len(words.split()) < 170  # short enough to read aloud to 8-year-olds


def test_preparing_refuses_parts_of_another_plan_and_retired_ones(
        app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = make_session(app, who.committee, who.account.id)
    with app.app_context():
        session, fac = load(app, public_id), user(app, who)
        other = Plan(slug="another-plan", version=1, default_locale="en")
        db.session.add(other)
        db.session.flush()
        foreign = Section(plan_id=other.id, slug="elsewhere", position=1, icon="star")
        db.session.add(foreign)
        db.session.flush()
        live = sections(app, 2)
        with pytest.raises(SessionError) as refused:
            prepare_session(session, fac, section_ids=[live[0], foreign.id], locale="fr",
                            methods=["discussion"])
        assert refused.value.code == "bad_part"
        retired = db.session.get_one(Section, live[1])
        retired.retired_at = retired.created_at
        with pytest.raises(SessionError) as refused:
            prepare_session(session, fac, section_ids=[live[1]], locale="fr",
                            methods=["discussion"])
        assert refused.value.code == "bad_part"
        for bad, code in ((dict(methods=[]), "no_method"), (dict(methods=["dancing"]),
                          "bad_method"), (dict(locale="es"), "bad_locale"),
                          (dict(section_ids=[]), "no_parts")):
            arguments = {"section_ids": [live[0]], "locale": "fr", "methods": ["discussion"],
                         **bad}
            with pytest.raises(SessionError) as refused:
                prepare_session(session, fac, **arguments)  # type: ignore[arg-type]
            assert refused.value.code == code
        prepare_session(session, fac, section_ids=[live[0]], locale="en",
                        methods=["ranking", "discussion"])
        db.session.commit()
        session = load(app, public_id)
        assert [p.section_id for p in session.parts] == [live[0]]
        assert session.methods == ["discussion", "ranking"]  # the methods' own order
        assert (session.locale, session.step) == ("en", SessionStep.CONSENT)


@pytest.mark.parametrize(("changes", "code"), [
    ({"children_present": 0, "aged_8_10": 0, "aged_11_13": 0, "aged_14_17": 0,
      "guardian_consents": 0, "child_assents": 0}, "no_children"),
    ({"aged_8_10": -1, "aged_11_13": 6}, "negative"),
    ({"aged_8_10": 3}, "ages_dont_add_up"),
    ({"child_assents": 5}, "assent_shortfall"),
    ({"guardian_consents": 7}, "too_many_consents"),
    ({"paper_forms_kept_until": date.today()}, "kept_until_past"),
    ({"paper_forms_kept_at": "   "}, "kept_at"),
])
def test_consent_that_does_not_add_up_is_refused(
        app: Flask, demo_plan: PlanContent, changes: dict[str, object], code: str) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "prepared")
    with app.app_context():
        session = load(app, public_id)
        with pytest.raises(SessionError) as refused:
            record_consent(session, user(app, who), consent_record(**changes),
                           today=date.today())
        assert refused.value.code == code
        assert not consent_complete(session)


def test_without_full_assent_the_session_cannot_go_on(app: Flask,
                                                      demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "prepared")
    parts = sections(app)
    with app.app_context():
        session, fac = load(app, public_id), user(app, who)
        statement = StatementInput(parts[0], StatementKind.RECOMMENDATION,
                                   StatementVoice.PARAPHRASE, None, "Plus de parcs")
        with pytest.raises(SessionError) as refused:
            add_statement(session, fac, statement)
        assert refused.value.code == "consent_first"
        with pytest.raises(SessionError) as refused:
            record_part(session, fac, session.parts[0], group_position=GroupPosition.AGREE,
                        votes=None, rank=None, hard_words=None)
        assert refused.value.code == "consent_first"
        with pytest.raises(SessionError) as refused:
            record_read_back(session, fac, corrected=False)
        assert refused.value.code == "consent_first"
        record_consent(session, fac, consent_record(), today=date.today())
        add_statement(session, fac, statement)
        db.session.commit()
        session = load(app, public_id)
        assert consent_complete(session) and session.step == SessionStep.PARTS
        # The assent text read is stored, in the session's language, at the current version.
        assert session.assent_text is not None
        assert (session.assent_text.locale, session.assent_text.version) == (
            "fr", assent_texts()[0])
        assert db.session.scalar(select(func.count()).select_from(AssentText)) == 3


def test_assent_texts_are_stored_once(app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    first, second = session_at(app, who, "consented"), session_at(app, who, "consented")
    with app.app_context():
        assert load(app, first).assent_text_id == load(app, second).assent_text_id
        assert db.session.scalar(select(func.count()).select_from(AssentText)) == 3


def test_part_votes_ranks_and_minority_views(app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "consented", methods=("discussion",))
    with app.app_context():
        session, fac = load(app, public_id), user(app, who)
        part = session.parts[0]
        with pytest.raises(SessionError) as refused:  # no vote method chosen
            record_part(session, fac, part, group_position=GroupPosition.MIXED,
                        votes={"agree": 3, "disagree": 2, "abstain": None}, rank=1,
                        hard_words=None)
        assert refused.value.code == "no_vote_method"
        prepare_session(session, fac, section_ids=[p.section_id for p in session.parts],
                        locale="fr", methods=["discussion", "secret_vote"])
        for votes, rank, code in (({"agree": -1}, None, "negative"),
                                  ({"agree": 5, "disagree": 2}, None, "votes_exceed"),
                                  (None, 3, "bad_rank")):
            with pytest.raises(SessionError) as refused:
                record_part(session, fac, part, group_position=None, votes=votes,
                            rank=rank, hard_words=None)
            assert refused.value.code == code
        record_part(session, fac, part, group_position=GroupPosition.MIXED,
                    votes={"agree": 3, "disagree": 2, "abstain": None}, rank=2,
                    hard_words=" mandat, plaidoyer ")
        minority = StatementInput(part.section_id, StatementKind.MINORITY_VIEW,
                                  StatementVoice.PARAPHRASE, None, "Ce n'est pas assez.")
        with pytest.raises(SessionError) as refused:
            add_statement(session, fac, minority)
        assert refused.value.code == "share_required"
        add_statement(session, fac, StatementInput(
            part.section_id, StatementKind.MINORITY_VIEW, StatementVoice.PARAPHRASE,
            ShareOfGroup.ONE_OR_TWO, "Ce n'est pas assez."))
        add_statement(session, fac, StatementInput(
            None, StatementKind.RECOMMENDATION, StatementVoice.TRANSLATION, None,
            "Il manque le sport."))
        db.session.commit()
        session = load(app, public_id)
        assert session.parts[0].votes == {"agree": 3, "disagree": 2, "abstain": 0}
        assert (session.parts[0].rank, session.parts[0].hard_words) == (2, "mandat, plaidoyer")
        assert [s.section_id for s in session.statements] == [part.section_id, None]


def test_own_words_need_the_childrens_agreement_to_be_quoted(
        app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "prepared")
    with app.app_context():
        session, fac = load(app, public_id), user(app, who)
        record_consent(session, fac, consent_record(may_quote=False), today=date.today())
        with pytest.raises(SessionError) as refused:
            add_statement(session, fac, StatementInput(
                None, StatementKind.QUESTION, StatementVoice.OWN_WORDS, None, "Pourquoi ?"))
        assert refused.value.code == "no_quotes"


def test_editing_a_checked_session_takes_it_back_to_a_draft(
        app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "checked")
    with app.app_context():
        session, fac = load(app, public_id), user(app, who)
        assert session.status == SessionStatus.CHECKED and session.read_back_at is not None
        add_statement(session, fac, StatementInput(
            None, StatementKind.QUESTION, StatementVoice.PARAPHRASE, None, "Et le sport ?"))
        db.session.commit()
        session = load(app, public_id)
        assert session.status == SessionStatus.DRAFT and session.read_back_at is None
        record_read_back(session, fac, corrected=False)
        db.session.commit()
        session = load(app, public_id)
        assert session.status == SessionStatus.CHECKED
        assert session.corrected_at_read_back  # it was corrected after a first read back


def test_the_steps_say_what_is_missing(app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "statements")
    with app.app_context():
        states = {s.step: s for s in step_states(load(app, public_id))}
        assert states[SessionStep.PREPARE].done and states[SessionStep.CONSENT].done
        assert states[SessionStep.PARTS].missing == ("positions",)
        assert states[SessionStep.READ_BACK].missing == ("read_back",)
        assert not states[SessionStep.ATTEST].done


def test_withdrawing_a_draft_and_never_after_a_decision(app: Flask,
                                                        demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "statements")
    with app.app_context():
        session = load(app, public_id)
        withdraw_session(session, user(app, who))
        db.session.commit()
        session = load(app, public_id)
        assert session.status == SessionStatus.WITHDRAWN and session.withdrawn_at is not None
        with pytest.raises(SessionError) as refused:
            withdraw_session(session, user(app, who))
        assert refused.value.code == "cannot_withdraw"
        with pytest.raises(SessionError) as refused:
            add_statement(session, user(app, who), StatementInput(
                None, StatementKind.QUESTION, StatementVoice.PARAPHRASE, None, "Encore ?"))
        assert refused.value.code == "not_editable"


def test_a_room_disclosure_reaches_the_leads_with_no_name(app: Flask,
                                                          demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "consented")
    with app.app_context():
        session = load(app, public_id)
        for reference, note, code in (("", "Something was said.", "case_reference"),
                                      ("CASE-1", " ", "note"),
                                      ("X" * 65, "Said.", "case_reference_too_long")):
            with pytest.raises(SessionError) as refused:
                raise_room_concern(session, user(app, who), case_reference=reference,
                                   note=note)
            assert refused.value.code == code
        concern = raise_room_concern(session, user(app, who), case_reference=" RDE-2026-114 ",
                                     note="A child told me something worrying at the break.")
        db.session.commit()
        stored = db.session.get_one(Concern, concern.id)
        assert (stored.committee_session_id, stored.submission_id) == (session.id, None)
        assert (stored.case_reference, stored.opened_by_id) == ("RDE-2026-114", who.account.id)
        entry = db.session.scalars(select(ConcernEntry)).one()
        assert entry.text.startswith("A child told me") and entry.author_id == who.account.id
        job = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "alert.room_concern")).one()
        assert job.payload == {"concern_id": concern.id}
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "committee.room_concern")).one()
        assert (event.actor_id, event.object_type, event.object_id) == (
            who.account.id, "committee_session", public_id)
        assert "worrying" not in str(event.details)


def test_the_audit_never_holds_the_childrens_words(app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    session_at(app, who, "attested", statements=("Nous voulons un terrain de foot.",))
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "committee_session")).all()
        actions = {e.action for e in events}
        assert {"committee.session_prepared", "committee.consent_recorded",
                "committee.statement_added", "committee.attested"} <= actions
        assert all(e.actor_id == who.account.id for e in events)
        assert not any("foot" in str(e.details) for e in events)


# -- pages ---------------------------------------------------------------------------------

def test_the_whole_flow_over_http(app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    client = who.client
    start = client.get(f"{BASE}/start/{who.committee}")
    assert start.status_code == 200
    response = client.post(f"{BASE}/start/{who.committee}", data={
        "csrf_token": token(start.get_data(as_text=True)), "held_on": "2026-11-20",
        "locale": "fr"})
    assert response.status_code == 302
    location = response.headers["Location"]
    public_id = re.search(r"/([0-9a-f]{32})/prepare$", location).group(1)  # type: ignore[union-attr]
    page = client.get(location).get_data(as_text=True)
    parts = sections(app)
    response = client.post(location, data={"csrf_token": token(page), "parts": parts,
                                           "locale": "fr", "methods": ["discussion",
                                                                       "show_of_hands"]})
    assert response.status_code == 302
    pack = client.get(f"{BASE}/{public_id}/pack").get_data(as_text=True)
    assert 'lang="fr"' in pack and "Questions" in pack

    consent_url = f"{BASE}/{public_id}/consent"
    page = client.get(consent_url).get_data(as_text=True)
    assert "jamais vos noms" in page  # the assent text, in the session's language
    assert "Never write a child" in page
    form = {"csrf_token": token(page), "children_present": "6", "aged_8_10": "2",
            "aged_11_13": "3", "aged_14_17": "1", "guardian_consents": "6",
            "child_assents": "5", "may_quote": "yes", "may_photograph_work": "yes",
            "paper_forms_kept_at": "Locked cabinet", "paper_forms_kept_until":
            FUTURE.isoformat()}
    refused = client.post(consent_url, data=form)
    assert refused.status_code == 422
    assert "Every child taking part must agree" in refused.get_data(as_text=True)
    assert client.post(consent_url, data={**form, "child_assents": "6"}).status_code == 302

    parts_page = client.get(f"{BASE}/{public_id}/parts").get_data(as_text=True)
    with app.app_context():
        part_id = load(app, public_id).parts[0].id
    prefix = f"part-{part_id}"
    response = client.post(f"{BASE}/{public_id}/parts/{part_id}", data={
        f"{prefix}-csrf_token": token(parts_page), f"{prefix}-group_position": "agree",
        f"{prefix}-votes_agree": "5", f"{prefix}-votes_disagree": "1",
        f"{prefix}-rank": "1", f"{prefix}-hard_words": "plaidoyer"})
    assert response.status_code == 302
    key = f"add-{parts[0]}"
    response = client.post(f"{BASE}/{public_id}/statements", data={
        f"{key}-csrf_token": token(parts_page), f"{key}-section": str(parts[0]),
        f"{key}-kind": "recommendation", f"{key}-voice": "own_words", f"{key}-share": "most",
        f"{key}-body": "Nous voulons être écoutés."})
    assert response.status_code == 302
    refused = client.post(f"{BASE}/{public_id}/statements", data={
        "add-missing-csrf_token": token(parts_page), "add-missing-section": "missing",
        "add-missing-kind": "minority_view", "add-missing-voice": "paraphrase",
        "add-missing-share": "", "add-missing-body": "Pas d'accord."})
    assert refused.status_code == 422
    assert "Say how many held this minority view" in refused.get_data(as_text=True)

    read_back = client.get(f"{BASE}/{public_id}/read-back").get_data(as_text=True)
    assert "Nous voulons être écoutés." in read_back
    assert "La plupart" in read_back or "Most of us" in read_back or "Our idea" in read_back \
        or "Notre idée" in read_back
    assert "6" not in re.sub(r"<[^>]+>", "", read_back.split('class="print-sheet')[1]
                             .split("</article>")[0])  # no counts of children
    assert client.post(f"{BASE}/{public_id}/read-back", data={
        "csrf_token": token(read_back)}).status_code == 302
    attest = client.get(f"{BASE}/{public_id}/attest").get_data(as_text=True)
    refused = client.post(f"{BASE}/{public_id}/attest", data={
        "csrf_token": token(attest), "account": "Good.", "all_could_speak": "yes"})
    assert refused.status_code == 422  # "not told what to say" must be confirmed
    assert client.post(f"{BASE}/{public_id}/attest", data={
        "csrf_token": token(attest), "account": "Good session.", "all_could_speak": "yes",
        "not_told_what_to_say": "y"}).status_code == 302
    with app.app_context():
        assert load(app, public_id).status == SessionStatus.CHECKED  # attesting is no edit
    page = client.get(f"{BASE}/{public_id}").get_data(as_text=True)
    assert "Send for review" in page
    response = client.post(f"{BASE}/{public_id}/submit", data={"csrf_token": token(page)})
    assert response.status_code == 302
    with app.app_context():
        session = load(app, public_id)
        assert session.status == SessionStatus.SUBMITTED
        assert all(s.submission_id for s in session.statements)


def test_only_the_committees_facilitators_see_a_session(app: Flask,
                                                        demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "statements")
    _, other = signed_in(app, "other@example.org", Role.FACILITATOR)
    _, organiser = signed_in(app, "org@example.org", Role.ORGANISER)
    _, lead = signed_in(app, "lead@example.org", Role.SAFEGUARDING_LEAD)
    paths = ["", "/prepare", "/pack", "/consent", "/parts", "/work", "/read-back",
             "/attest", "/concern"]
    for path in paths:
        assert who.client.get(f"{BASE}/{public_id}{path}").status_code == 200, path
        assert other.get(f"{BASE}/{public_id}{path}").status_code == 403, path
        assert organiser.get(f"{BASE}/{public_id}{path}").status_code == 403, path
        assert lead.get(f"{BASE}/{public_id}{path}").status_code == 403, path
    page = who.client.get(f"{BASE}/{public_id}/parts").get_data(as_text=True)
    with app.app_context():
        statement = load(app, public_id).statements[0]
    own = other.get(f"{BASE}/start/{who.committee}")
    assert own.status_code == 403
    other_page = other.get("/staff/login").get_data(as_text=True)
    for path, data in ((f"/statements/{statement.id}/delete", {}),
                       ("/withdraw", {}), ("/submit", {})):
        response = other.post(f"{BASE}/{public_id}{path}",
                              data={"csrf_token": token(other_page), **data})
        assert response.status_code == 403
    assert "Nous voulons" in page
    with app.app_context():
        assert load(app, public_id).status == SessionStatus.DRAFT
        assert len(load(app, public_id).statements) == 1


def test_a_paused_committee_cannot_start_a_session(app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    with app.app_context():
        committee = db.session.scalars(select(Committee)).one()
        committee.status = CommitteeStatus.PAUSED
        db.session.commit()
    page = who.client.get(f"{BASE}/start/{who.committee}").get_data(as_text=True)
    assert "not active" in page
    response = who.client.post(f"{BASE}/start/{who.committee}", data={
        "csrf_token": token(who.client.get("/staff/login").get_data(as_text=True)),
        "held_on": "2026-11-20", "locale": "fr"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CommitteeSession)) == 0


def test_a_committee_someone_else_runs_refuses_a_start(app: Flask,
                                                       demo_plan: PlanContent) -> None:
    who = recorder(app)
    other_committee = make_committee(app, name="Autre comité")
    assert who.client.get(f"{BASE}/start/{other_committee}").status_code == 403
    assert who.client.get(f"{BASE}/start/{'0' * 32}").status_code == 404


def test_the_room_concern_form_over_http(app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "prepared")
    page = who.client.get(f"{BASE}/{public_id}/concern").get_data(as_text=True)
    assert "Do not write any child" in html.unescape(page).replace("\u2019", "'")
    assert "case reference your organisation holds" in page
    refused = who.client.post(f"{BASE}/{public_id}/concern", data={
        "csrf_token": token(page), "case_reference": "", "note": "Said something."})
    assert refused.status_code == 422
    response = who.client.post(f"{BASE}/{public_id}/concern", data={
        "csrf_token": token(page), "case_reference": "RDE-7", "note": "Said something."})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Concern)) == 1


def test_bad_counts_over_http_say_what_is_wrong(app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "prepared")
    url = f"{BASE}/{public_id}/consent"
    page = who.client.get(url).get_data(as_text=True)
    base = {"csrf_token": token(page), "children_present": "4", "aged_8_10": "1",
            "aged_11_13": "1", "aged_14_17": "1", "guardian_consents": "4",
            "child_assents": "4", "may_quote": "no", "may_photograph_work": "no",
            "paper_forms_kept_at": "Office", "paper_forms_kept_until": FUTURE.isoformat()}
    cases = (({"aged_14_17": "1"}, "add up"), ({"children_present": "0"}, "Number must be"),
             ({"aged_8_10": "-2"}, "Number must be"),
             ({"paper_forms_kept_until": (date.today() - timedelta(days=1)).isoformat()},
              "in the future"))
    for changes, words in cases:
        response = who.client.post(url, data={**base, **changes})
        assert response.status_code == 422, changes
        assert words in response.get_data(as_text=True), changes
    with app.app_context():
        assert load(app, public_id).children_present is None
