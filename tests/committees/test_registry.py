"""Committees themselves: the services (checks, people, status, audit) directly, then the pages
over HTTP (roles, the object rules, forms, bad input, CSRF, valid HTML)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from participation.accounts.models import Role, User
from participation.accounts.services import deactivate_user
from participation.audit.models import AuditEvent
from participation.committees.models import (
    Committee,
    CommitteeKind,
    CommitteeStatus,
    SessionStatus,
)
from participation.committees.registry import (
    CommitteeDetails,
    CommitteeError,
    change_committee_status,
    committee_sessions,
    committees_for,
    create_committee,
    find_committee,
    set_facilitators,
    set_lead,
    update_committee,
)
from participation.committees.views import START_SESSION, start_session_url
from participation.db import db
from participation.plans.content import PlanContent
from tests.committees.builders import make_committee, make_session
from tests.conftest import csrf_token, html_problems, make_staff

DETAILS = CommitteeDetails(
    name="Comité des enfants de l'Ouest", name_is_public=False, kind=CommitteeKind.LOCAL,
    region="West Africa", locales=("en", "fr"), supporting_organisation="Plan Enfance",
    mandate_starts_on=date(2026, 1, 1), mandate_ends_on=date(2027, 12, 31),
)
FORM = {
    "name": "Quebec children's committee", "kind": "national", "region": "Quebec",
    "locales": ["fr", "en"], "supporting_organisation": "Réseau Jeunesse",
    "mandate_starts_on": "2026-02-01", "mandate_ends_on": "2027-01-31",
}


def user(user_id: int) -> User:
    return db.session.get_one(User, user_id)


def committee_row(public_id: str) -> Committee:
    found = find_committee(public_id)
    assert found is not None
    return found


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.fixture
def people(app: Flask) -> dict[str, int]:
    """One account per role, plus a second facilitator and a facilitator who is also a lead."""
    return {name: make_staff(app, f"{name}@example.org", *roles).id for name, roles in {
        "org": (Role.ORGANISER,), "admin": (Role.ADMIN,), "fac": (Role.FACILITATOR,),
        "fac2": (Role.FACILITATOR,), "lead": (Role.SAFEGUARDING_LEAD,),
        "both": (Role.FACILITATOR, Role.SAFEGUARDING_LEAD),
    }.items()}


# --- Services ----------------------------------------------------------------------------------


def test_an_organiser_creates_a_committee_with_its_people(app: Flask,
                                                           people: dict[str, int]) -> None:
    with app.app_context():
        committee = create_committee(
            CommitteeDetails(**{**DETAILS.__dict__, "name": "  Comité   de l'Ouest "}),
            actor=user(people["org"]), facilitator_ids=[people["fac"]], lead_id=people["lead"])
        db.session.commit()
        stored = committee_row(committee.public_id)
        assert stored.name == "Comité de l'Ouest"  # spaces tidied
        assert stored.locales == ["fr", "en"]  # the deployment's order
        assert stored.status is CommitteeStatus.ACTIVE and not stored.name_is_public
        assert [p.id for p in stored.facilitators] == [people["fac"]]
        assert stored.lead_id == people["lead"]
        [event] = events("committee.create")
        assert (event.actor_id, event.object_type, event.object_id) == (
            people["org"], "committee", stored.public_id)
        assert event.details == {"kind": "local", "locales": ["fr", "en"],
                                 "facilitator_ids": [people["fac"]], "lead_id": people["lead"]}
        # Facts only: the committee's name (maybe not public) is not in the log.
        assert "Ouest" not in json.dumps(event.details)


@pytest.mark.parametrize(("change", "code"), [
    ({"name": "  "}, "bad_name"), ({"name": "x" * 121}, "bad_name"),
    ({"region": ""}, "bad_region"), ({"region": "r" * 81}, "bad_region"),
    ({"supporting_organisation": "o" * 201}, "bad_organisation"),
    ({"locales": ()}, "bad_locales"), ({"locales": ("fr", "de")}, "bad_locales"),
    ({"mandate_ends_on": date(2025, 12, 31)}, "bad_mandate"),
    ({"kind": "regional"}, "bad_kind"),
])
def test_bad_details_are_refused(app: Flask, people: dict[str, int], change: dict[str, Any],
                                 code: str) -> None:
    with app.app_context():
        with pytest.raises(CommitteeError) as error:
            create_committee(CommitteeDetails(**{**DETAILS.__dict__, **change}),
                             actor=user(people["org"]))
        assert error.value.code == code
        assert db.session.scalar(select(Committee)) is None


@pytest.mark.parametrize("who", ["org", "lead", "admin", "ghost"])
def test_only_active_facilitators_run_a_committee(app: Flask, people: dict[str, int],
                                                  who: str) -> None:
    with app.app_context():
        if who == "ghost":
            gone = make_staff(app, "gone@example.org", Role.FACILITATOR).id
            deactivate_user(user(gone), actor_id=people["admin"])
            db.session.commit()
            chosen = gone
        else:
            chosen = people[who]
        with pytest.raises(CommitteeError) as error:
            create_committee(DETAILS, actor=user(people["org"]),
                             facilitator_ids=[people["fac"], chosen])
        assert error.value.code == "not_facilitator"
        with pytest.raises(CommitteeError):
            create_committee(DETAILS, actor=user(people["org"]), facilitator_ids=[999999])


def test_only_an_active_safeguarding_lead_is_a_lead(app: Flask, people: dict[str, int]) -> None:
    public_id = make_committee(app)
    with app.app_context():
        committee = committee_row(public_id)
        for wrong in (people["fac"], people["org"], 999999):
            with pytest.raises(CommitteeError) as error:
                set_lead(committee, wrong, actor=user(people["org"]))
            assert error.value.code == "not_lead"
        set_lead(committee, people["both"], actor=user(people["admin"]))
        db.session.commit()
        assert committee_row(public_id).lead_id == people["both"]
        set_lead(committee, None, actor=user(people["org"]))  # no lead for now
        db.session.commit()
        assert committee_row(public_id).lead_id is None
        assert [e.details for e in events("committee.lead")] == [
            {"from": None, "to": people["both"]}, {"from": people["both"], "to": None}]


@pytest.mark.parametrize("who", ["fac", "lead"])
def test_only_organisers_and_admins_manage(app: Flask, people: dict[str, int], who: str) -> None:
    public_id = make_committee(app)
    with app.app_context():
        actor, committee = user(people[who]), committee_row(public_id)
        calls: list[Callable[[], object]] = [
            lambda: create_committee(DETAILS, actor=actor),
            lambda: update_committee(committee, DETAILS, actor=actor),
            lambda: change_committee_status(committee, CommitteeStatus.PAUSED, actor=actor),
            lambda: set_facilitators(committee, [people["fac"]], actor=actor),
            lambda: set_lead(committee, people["lead"], actor=actor),
        ]
        for call in calls:
            with pytest.raises(CommitteeError) as error:
                call()
            assert error.value.code == "forbidden"
        assert db.session.scalars(select(AuditEvent).where(
            AuditEvent.action.startswith("committee."))).all() == []


def test_facilitators_are_replaced_and_the_change_audited(app: Flask,
                                                          people: dict[str, int]) -> None:
    public_id = make_committee(app, facilitator_ids=(people["fac"],))
    with app.app_context():
        committee = committee_row(public_id)
        set_facilitators(committee, [people["fac2"], people["both"]], actor=user(people["org"]))
        db.session.commit()
        assert [p.id for p in committee_row(public_id).facilitators] == sorted(
            [people["fac2"], people["both"]])
        set_facilitators(committee, [people["fac2"], people["both"]], actor=user(people["org"]))
        [event] = events("committee.facilitators")  # no change, no second event
        assert event.details == {"added": sorted([people["fac2"], people["both"]]),
                                 "removed": [people["fac"]]}


def test_update_audits_which_fields_changed_not_their_values(app: Flask,
                                                             people: dict[str, int]) -> None:
    public_id = make_committee(app)
    with app.app_context():
        committee = committee_row(public_id)
        changed = update_committee(committee, DETAILS, actor=user(people["org"]))
        db.session.commit()
        assert set(changed) == {"name", "name_is_public", "kind", "supporting_organisation",
                                "mandate_starts_on", "mandate_ends_on"}
        stored = committee_row(public_id)
        assert (stored.name, stored.region, stored.kind) == (
            DETAILS.name, "West Africa", CommitteeKind.LOCAL)
        [event] = events("committee.update")
        assert event.details == {"fields": changed}
        assert update_committee(stored, DETAILS, actor=user(people["org"])) == []
        assert len(events("committee.update")) == 1


def test_status_moves_only_along_its_transitions(app: Flask, people: dict[str, int]) -> None:
    public_id = make_committee(app)
    with app.app_context():
        organiser = user(people["org"])
        committee = committee_row(public_id)
        change_committee_status(committee, CommitteeStatus.PAUSED, actor=organiser)
        with pytest.raises(CommitteeError) as error:  # already paused
            change_committee_status(committee, CommitteeStatus.PAUSED, actor=organiser)
        assert error.value.code == "status_changed"
        change_committee_status(committee, CommitteeStatus.CLOSED, actor=organiser)
        change_committee_status(committee, CommitteeStatus.ACTIVE, actor=organiser)
        db.session.commit()
        assert committee_row(public_id).status is CommitteeStatus.ACTIVE
        assert [e.details for e in events("committee.status")] == [
            {"from": "active", "to": "paused"}, {"from": "paused", "to": "closed"},
            {"from": "closed", "to": "active"}]


def test_two_organisers_closing_at_once_record_one_change(app: Flask,
                                                          people: dict[str, int]) -> None:
    public_id = make_committee(app)
    with app.app_context():
        committee = committee_row(public_id)  # loaded while it was active
        # Meanwhile another organiser closes it (the row changes, this object does not know).
        db.session.execute(update(Committee).where(Committee.id == committee.id)
                           .values(status=CommitteeStatus.CLOSED)
                           .execution_options(synchronize_session=False))
        assert committee.status is CommitteeStatus.ACTIVE
        with pytest.raises(CommitteeError) as error:
            change_committee_status(committee, CommitteeStatus.PAUSED, actor=user(people["org"]))
        assert error.value.code == "status_changed"
        assert committee_row(public_id).status is CommitteeStatus.CLOSED
        assert events("committee.status") == []


def test_each_person_sees_their_committees(app: Flask, people: dict[str, int],
                                           demo_plan: PlanContent) -> None:
    run = make_committee(app, name="Run by fac", facilitator_ids=(people["fac"],))
    make_committee(app, name="Led by lead", lead_id=people["lead"])
    make_committee(app, name="Both", facilitator_ids=(people["fac2"],),
                          lead_id=people["both"])
    with app.app_context():
        def names(who: str) -> set[str]:
            return {c.name for c in committees_for(user(people[who]))}

        assert names("org") == names("admin") == {"Run by fac", "Led by lead", "Both"}
        assert names("fac") == {"Run by fac"}
        assert names("lead") == {"Led by lead"}
        assert names("both") == {"Both"}
        assert names("fac2") == {"Both"}
        # Sessions: drafts and withdrawn ones only for the committee's facilitators.
        for status in SessionStatus:
            make_session(app, run, people["fac"], status=status)
        committee = committee_row(run)
        assert len(committee_sessions(user(people["fac"]), committee)) == len(SessionStatus)
        sent = {SessionStatus.SUBMITTED, SessionStatus.IN_REVIEW, SessionStatus.ACCEPTED,
                SessionStatus.ANSWERED, SessionStatus.CLOSED}
        for who in ("org", "admin"):
            assert {s.status for s in committee_sessions(user(people[who]), committee)} == sent


# --- Pages -------------------------------------------------------------------------------------


@pytest.fixture
def browsers(app: Flask, staff_client: Callable[..., FlaskClient]) -> dict[str, FlaskClient]:
    """A signed-in browser per role (and for a second facilitator)."""
    return {name: staff_client(f"{name}@example.org", *roles) for name, roles in {
        "org": (Role.ORGANISER,), "admin": (Role.ADMIN,), "fac": (Role.FACILITATOR,),
        "fac2": (Role.FACILITATOR,), "lead": (Role.SAFEGUARDING_LEAD,),
    }.items()}


def account_id(app: Flask, email: str) -> int:
    with app.app_context():
        return db.session.scalars(select(User.id).where(User.email == email)).one()


def post_new(client: FlaskClient, **changes: Any) -> Any:
    data = {**FORM, **changes, "csrf_token": csrf_token(client, "/staff/committees/new")}
    return client.post("/staff/committees", data={k: v for k, v in data.items()
                                                  if v is not None})


def test_an_organiser_creates_a_committee_over_http(app: Flask,
                                                    browsers: dict[str, FlaskClient]) -> None:
    org = browsers["org"]
    form = org.get("/staff/committees/new").get_data(as_text=True)
    assert "Coarse on purpose" in form and 'maxlength="80"' in form  # the region's hint
    assert 'type="checkbox"' in form and 'value="es"' in form  # languages as checkboxes
    assert "fac@example.org" in form and "lead@example.org" in form
    assert "org@example.org" not in form.split("Facilitators")[1]  # not offered as one
    fac_id, lead_id = account_id(app, "fac@example.org"), account_id(app, "lead@example.org")
    response = post_new(org, facilitators=[str(fac_id)], lead=str(lead_id), name_is_public="y")
    assert response.status_code == 302
    public_id = response.headers["Location"].rsplit("/", 1)[1]
    page = org.get(response.headers["Location"]).get_data(as_text=True)
    assert "The committee is created." in page and "Quebec children&#39;s committee" in page
    assert "fac@example.org" in page and "Save the facilitators" in page
    with app.app_context():
        committee = committee_row(public_id)
        assert committee.name_is_public and committee.lead_id == lead_id
        assert committee.mandate_ends_on == date(2027, 1, 31)
        assert len(events("committee.create")) == 1
    listing = org.get("/staff/committees").get_data(as_text=True)
    assert "Quebec children&#39;s committee" in listing and "New committee" in listing


@pytest.mark.parametrize("change", [
    {"region": "r" * 81}, {"name": ""}, {"locales": None}, {"locales": ["de"]},
    {"mandate_starts_on": "soon"}, {"mandate_ends_on": "2025-01-01"}, {"kind": "galactic"},
    {"facilitators": ["999999"]}, {"lead": "999999"},
])
def test_the_form_refuses_bad_input(app: Flask, browsers: dict[str, FlaskClient],
                                    change: dict[str, Any]) -> None:
    response = post_new(browsers["org"], **change)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="field-error"' in page and 'role="alert"' in page
    with app.app_context():
        assert db.session.scalar(select(Committee)) is None


def test_a_facilitator_of_no_committee_is_not_offered_an_organiser(
        app: Flask, browsers: dict[str, FlaskClient]) -> None:
    response = post_new(browsers["org"],
                        facilitators=[str(account_id(app, "org@example.org"))])
    assert response.status_code == 422
    response = post_new(browsers["org"], lead=str(account_id(app, "fac@example.org")))
    assert response.status_code == 422


def test_forms_need_the_csrf_token(app: Flask, browsers: dict[str, FlaskClient]) -> None:
    org = browsers["org"]
    assert org.post("/staff/committees", data=FORM).status_code == 400
    public_id = make_committee(app)
    for action in ("pause", "close", "reactivate", "facilitators", "lead", "edit"):
        assert org.post(f"/staff/committees/{public_id}/{action}").status_code == 400
    with app.app_context():
        assert committee_row(public_id).status is CommitteeStatus.ACTIVE
        assert db.session.scalar(select(AuditEvent).where(
            AuditEvent.action.startswith("committee."))) is None


def test_a_facilitator_sees_only_the_committees_they_run(
        app: Flask, browsers: dict[str, FlaskClient], demo_plan: PlanContent) -> None:
    fac_id = account_id(app, "fac@example.org")
    mine = make_committee(app, name="Mine", facilitator_ids=(fac_id,))
    other = make_committee(app, name="Not mine",
                           facilitator_ids=(account_id(app, "fac2@example.org"),))
    make_session(app, mine, fac_id, status=SessionStatus.DRAFT)
    fac = browsers["fac"]
    listing = fac.get("/staff/committees").get_data(as_text=True)
    assert "Mine" in listing and "Not mine" not in listing and "New committee" not in listing
    page = fac.get(f"/staff/committees/{mine}").get_data(as_text=True)
    assert "Being recorded" in page  # their own draft
    assert "Save the facilitators" not in page and "Pause the committee" not in page
    with app.test_request_context():
        start = start_session_url(committee_row(mine))
    if START_SESSION in app.view_functions:  # the recorder's route: linked, never broken
        assert start is not None and f'href="{start}"' in page
        assert mine in start
    else:
        assert start is None and "Record a new session" not in page
    assert fac.get(f"/staff/committees/{other}").status_code == 403
    assert fac.get(f"/staff/committees/{'0' * 32}").status_code == 404
    for path in ("/new", f"/{mine}/edit", "/overview"):
        assert fac.get(f"/staff/committees{path}").status_code == 403
    token = csrf_token(fac, "/staff/committees")
    for action in ("pause", "close", "facilitators", "lead", "edit"):
        assert fac.post(f"/staff/committees/{mine}/{action}",
                        data={"csrf_token": token}).status_code == 403
    # An organiser sees the committee's sessions only once they are sent.
    org_page = browsers["org"].get(f"/staff/committees/{mine}").get_data(as_text=True)
    assert "Being recorded" not in org_page and "drafts stay with the facilitators" in org_page


def test_a_paused_committee_offers_no_new_session(app: Flask,
                                                 browsers: dict[str, FlaskClient]) -> None:
    fac_id = account_id(app, "fac@example.org")
    public_id = make_committee(app, facilitator_ids=(fac_id,))
    with app.app_context():
        change_committee_status(committee_row(public_id), CommitteeStatus.PAUSED,
                                actor=user(account_id(app, "org@example.org")))
        db.session.commit()
    page = browsers["fac"].get(f"/staff/committees/{public_id}").get_data(as_text=True)
    assert "no new session can be recorded" in page and "Record a new session" not in page


def test_a_lead_sees_the_committees_they_lead(app: Flask,
                                              browsers: dict[str, FlaskClient]) -> None:
    led = make_committee(app, name="Led", lead_id=account_id(app, "lead@example.org"))
    other = make_committee(app, name="Other")
    lead = browsers["lead"]
    listing = lead.get("/staff/committees").get_data(as_text=True)
    assert "Led" in listing and "Other" not in listing and "(you are its safeguarding lead)" in listing
    assert lead.get(f"/staff/committees/{led}").status_code == 200
    assert lead.get(f"/staff/committees/{other}").status_code == 403


def test_people_and_status_over_http(app: Flask, browsers: dict[str, FlaskClient]) -> None:
    public_id = make_committee(app)
    org, base = browsers["admin"], f"/staff/committees/{public_id}"
    fac_ids = [account_id(app, f"{name}@example.org") for name in ("fac", "fac2")]
    token = csrf_token(org, base)
    response = org.post(f"{base}/facilitators", data={
        "csrf_token": token, "facilitators": [str(i) for i in fac_ids]})
    assert response.status_code == 302
    assert "The facilitators are saved." in org.get(base).get_data(as_text=True)
    refused = org.post(f"{base}/facilitators", data={
        "csrf_token": token, "facilitators": [str(account_id(app, "lead@example.org"))]})
    assert refused.status_code == 422
    lead_id = account_id(app, "lead@example.org")
    assert org.post(f"{base}/lead", data={"csrf_token": token,
                                          "lead": str(lead_id)}).status_code == 302
    assert org.post(f"{base}/lead", data={"csrf_token": token,
                                          "lead": str(fac_ids[0])}).status_code == 422
    assert org.post(f"{base}/pause", data={"csrf_token": token}).status_code == 302
    assert "The committee is paused." in org.get(base).get_data(as_text=True)
    # Pausing again (another tab): a message, no change, no event.
    org.post(f"{base}/pause", data={"csrf_token": token})
    assert "changed this committee&#39;s status meanwhile" in org.get(base).get_data(
        as_text=True)
    assert org.post(f"{base}/close", data={"csrf_token": token}).status_code == 302
    page = org.get(base).get_data(as_text=True)
    assert "Reactivate the committee" in page and "Close the committee" not in page
    assert org.post(f"{base}/reactivate", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        committee = committee_row(public_id)
        assert committee.status is CommitteeStatus.ACTIVE and committee.lead_id == lead_id
        assert [p.id for p in committee.facilitators] == fac_ids
        assert [e.action for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.action.startswith("committee.")).order_by(AuditEvent.id))] == [
            "committee.facilitators", "committee.lead", "committee.status",
            "committee.status", "committee.status"]
    # The facilitators now see it.
    assert browsers["fac2"].get(base).status_code == 200


def test_edit_over_http(app: Flask, browsers: dict[str, FlaskClient]) -> None:
    public_id = make_committee(app)
    org, base = browsers["org"], f"/staff/committees/{public_id}/edit"
    form = org.get(base).get_data(as_text=True)
    assert 'value="West Africa"' in form and 'value="2025-01-01"' in form
    assert re.search(r'value="fr"[^>]*checked|checked[^>]*value="fr"', form)
    data = {**FORM, "csrf_token": csrf_token(org, base)}
    assert org.post(base, data={**data, "region": "x" * 81}).status_code == 422
    assert org.post(base, data=data).status_code == 302
    with app.app_context():
        committee = committee_row(public_id)
        assert (committee.region, committee.kind, committee.locales) == (
            "Quebec", CommitteeKind.NATIONAL, ["fr", "en"])
        [event] = events("committee.update")
        assert "region" in event.details["fields"]  # type: ignore[index]


def test_pages_are_valid_html(app: Flask, browsers: dict[str, FlaskClient],
                              demo_plan: PlanContent, tmp_path: Path) -> None:
    fac_id = account_id(app, "fac@example.org")
    public_id = make_committee(app, facilitator_ids=(fac_id,),
                               lead_id=account_id(app, "lead@example.org"))
    make_session(app, public_id, fac_id, status=SessionStatus.SUBMITTED)
    org = browsers["org"]
    pages = {
        "index": org.get("/staff/committees").data,
        "new": org.get("/staff/committees/new").data,
        "new-errors": post_new(org, region="r" * 81, locales=None).data,
        "committee": org.get(f"/staff/committees/{public_id}").data,
        "edit": org.get(f"/staff/committees/{public_id}/edit").data,
        "overview": org.get("/staff/committees/overview").data,
        "fac-index": browsers["fac"].get("/staff/committees").data,
        "fac-committee": browsers["fac"].get(f"/staff/committees/{public_id}").data,
        "lead-index": browsers["lead"].get("/staff/committees").data,
    }
    problems = html_problems(pages, tmp_path)
    assert problems == [], "\n".join(problems)
