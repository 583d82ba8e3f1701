"""The plan editor: writing with optimistic locking, publishing revisions, the YAML door, the
child's-eye preview, the choice of the plan children see, and bad input of every kind."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from participation.accounts.models import Role
from participation.audit.models import AuditEvent
from participation.db import db
from participation.feedback.models import Submission
from participation.plans.content import PlanContent, read_plan_folder
from participation.plans.models import Plan, PlanRevision, SectionText
from participation.plans.publishing import load_plan_file
from tests.conftest import csrf_token
from tests.feedback.helpers import Child

StaffClient = Callable[..., FlaskClient]
SECOND_PLAN = Path(__file__).resolve().parents[2] / "content" / "plans" / "ibcr-flagship-actions"
EDIT = "/staff/plans/crc-2025-2029/edit"


@pytest.fixture
def organiser(staff_client: StaffClient, demo_plan: PlanContent) -> FlaskClient:
    return staff_client("org@example.org", Role.ORGANISER)


def form_of(client: FlaskClient, path: str) -> dict[str, str]:
    """The edit form's current values, as a browser would send them back."""
    page = client.get(path).get_data(as_text=True)
    values = {"csrf_token": csrf_token(client, path)}
    for name in ("title", "summary"):
        found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
        values[name] = found.group(1) if found else ""
    for name in ("simple", "official"):
        found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\n?(.*?)</textarea>', page, re.S)
        if found:
            values[name] = found.group(1).replace("&#39;", "'").replace("&amp;", "&")
    values["version"] = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    values["ready"] = "y"
    return values


def publish(client: FlaskClient, *locales: str, **extra: str) -> str:
    path = "/staff/plans/crc-2025-2029/publish"
    data = {"csrf_token": csrf_token(client, path), "locale": list(locales), **extra}
    response = client.post(path, data=data)
    return response.get_data(as_text=True) if response.status_code != 302 else ""


def test_the_overview_shows_what_is_left_per_part_and_language(organiser: FlaskClient) -> None:
    page = organiser.get("/staff/plans/crc-2025-2029").get_data(as_text=True)
    assert page.count('class="status-ready"') == 10 * 3  # the plan's own words and 9 parts
    assert "Can be published now in: English, French and Spanish." in page or \
        "Can be published now in:" in page


def test_a_saved_part_is_published_and_children_read_it(app: Flask, organiser: FlaskClient,
                                                        client: FlaskClient) -> None:
    values = form_of(organiser, f"{EDIT}/en/vision")
    values["simple"] = "Zebras and children dream of a world where every child is heard."
    assert organiser.post(f"{EDIT}/en/vision", data=values).status_code == 302
    assert "Zebras and children" not in client.get("/en/plan/vision").get_data(as_text=True)
    assert publish(organiser, "fr", "en", "es") == ""
    with app.app_context():
        plan = db.session.scalars(select(Plan)).one()
        assert plan.version == 2
        revision = db.session.scalars(select(PlanRevision).where(PlanRevision.number == 2)).one()
        assert revision.source == "editor" and revision.published_by_id is not None
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"plan.text_saved", "plan.published"} <= actions
    # The plan cache is cleared on this worker; the others look again within seconds.
    assert "Zebras and children dream" in client.get("/en/plan/vision").get_data(as_text=True)
    # A child's idea is tied to the revision being read.
    Child(client).send("vision", "More parks near schools.")
    with app.app_context():
        idea = db.session.scalars(select(Submission)).one()
        assert idea.revision_id == revision.id


def test_two_organisers_never_lose_each_others_words(
    organiser: FlaskClient, staff_client: StaffClient, app: Flask
) -> None:
    second = staff_client("second@example.org", Role.ORGANISER)
    first_form = form_of(organiser, f"{EDIT}/fr/values")
    second_form = form_of(second, f"{EDIT}/fr/values")
    first_form["simple"] = "Première version, écrite par la première personne."
    second_form["simple"] = "Seconde version, écrite par la seconde personne."
    assert organiser.post(f"{EDIT}/fr/values", data=first_form).status_code == 302
    conflict = second.post(f"{EDIT}/fr/values", data=second_form)
    page = conflict.get_data(as_text=True)
    assert conflict.status_code == 409
    assert "Première version" in page and "Seconde version" in page
    with app.app_context():
        saved = db.session.scalar(select(SectionText.id))  # live pages untouched
        assert saved is not None
    # Saving "mine over theirs" is an explicit choice, based on the version now saved.
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    again = {**second_form, "version": version, "csrf_token": csrf_token(second, f"{EDIT}/fr/values")}
    assert second.post(f"{EDIT}/fr/values", data=again).status_code == 302
    assert "Seconde version" in second.get(f"{EDIT}/fr/values").get_data(as_text=True)


def test_an_incomplete_language_cannot_be_published(organiser: FlaskClient) -> None:
    values = form_of(organiser, f"{EDIT}/es/values")
    values["official"] = ""
    organiser.post(f"{EDIT}/es/values", data=values)
    page = organiser.get("/staff/plans/crc-2025-2029/publish").get_data(as_text=True)
    assert re.search(r'value="es" id="locale-es"[^>]*disabled', page)
    answer = publish(organiser, "es")
    assert "is not complete" in answer or "not complete" in answer


def test_a_hard_text_needs_a_reason_and_the_reason_is_kept(app: Flask,
                                                           organiser: FlaskClient) -> None:
    hard = ("Notwithstanding the aforementioned considerations, the organisation's strategic "
            "orientation necessitates comprehensive institutional reconfiguration.")
    values = form_of(organiser, f"{EDIT}/en/changes")
    values["simple"] = hard
    organiser.post(f"{EDIT}/en/changes", data=values)
    refused = publish(organiser, "en")
    assert "Why publish it as it is?" in refused and "Below the reading-ease target" in refused
    assert publish(organiser, "en", **{"reason-changes-en": "A quote from our board."}) == ""
    with app.app_context():
        revision = db.session.scalars(select(PlanRevision).order_by(
            PlanRevision.number.desc())).first()
        assert revision is not None and "A quote from our board." in (revision.note or "")
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "plan.published").order_by(AuditEvent.id.desc())).first()
        assert event is not None and "A quote from our board." in json.dumps(event.details)


def test_scripts_and_styles_are_cleaned_never_run(organiser: FlaskClient,
                                                  client: FlaskClient) -> None:
    values = form_of(organiser, f"{EDIT}/en/values")
    values["simple"] = ('Be kind. <script>alert(1)</script> <style>body{display:none}</style> '
                        '<img src=x onerror=alert(2)>')
    organiser.post(f"{EDIT}/en/values", data=values)
    editor = organiser.get(f"{EDIT}/en/values").get_data(as_text=True)
    assert "<script>alert(1)" not in editor and "&lt;script&gt;" in editor
    answer = publish(organiser, "fr", "en", "es")
    assert "HTML is not allowed" in answer  # plan markup only: the draft is refused, explained
    assert "<script>alert" not in client.get("/en/plan/values").get_data(as_text=True)


def test_a_part_of_100000_characters_gets_a_clear_limit(organiser: FlaskClient) -> None:
    values = form_of(organiser, f"{EDIT}/en/values")
    values["simple"] = "Word. " * 20_000
    response = organiser.post(f"{EDIT}/en/values", data=values)
    assert response.status_code == 413  # the request limit answers before the form
    assert "up to 20,000 characters" in response.get_data(as_text=True)
    # Under the request limit but over a text's limit: the form says so, nothing is cut.
    values["simple"] = "Word. " * 4_000
    response = organiser.post(f"{EDIT}/en/values", data=values)
    assert response.status_code == 422
    assert "Word. Word." in response.get_data(as_text=True)


def test_a_link_to_a_word_that_does_not_exist(organiser: FlaskClient) -> None:
    values = form_of(organiser, f"{EDIT}/en/values")
    values["simple"] = "Everyone has [[no-such-word|rights]] here."
    organiser.post(f"{EDIT}/en/values", data=values)
    page = organiser.get(f"{EDIT}/en/values").get_data(as_text=True)
    assert "Links to words not in the list" in page and "no-such-word" in page
    answer = publish(organiser, "fr", "en", "es")
    assert "glossary key &#39;no-such-word&#39; is not in this file&#39;s glossary" in answer
    # The child's-eye preview still shows the words, without a broken link.
    preview = organiser.get("/staff/plans/crc-2025-2029/preview/en/values").get_data(as_text=True)
    assert "Everyone has rights here." in preview


def test_reading_help_and_one_click_words_to_know(organiser: FlaskClient) -> None:
    path = "/staff/plans/crc-2025-2029/analyse"
    token = csrf_token(organiser, f"{EDIT}/en/values")
    answer = organiser.post(path, data={"csrf_token": token, "locale": "en", "field": "simple",
                                        "text": "The ombudsperson helps. We all play."})
    data = answer.get_json()
    assert {"ease", "per_sentence", "long", "rare", "preview", "highlight"} <= set(data)
    assert "ombudsperson" in data["rare"]
    added = organiser.post("/staff/plans/crc-2025-2029/words/add", data={
        "csrf_token": token, "locale": "en", "term": "ombudsperson"}).get_json()
    assert added == {"key": "ombudsperson", "term": "ombudsperson"}
    words = organiser.get("/staff/plans/crc-2025-2029/words/en").get_data(as_text=True)
    assert "ombudsperson" in words and "no definition yet" in words
    # Each word lists the parts that use it; a new one is not used yet.
    assert "not used yet" in words and "Who are we?" in words
    # A word without its definition keeps the language from being published.
    overview = organiser.get("/staff/plans/crc-2025-2029").get_data(as_text=True)
    assert "English" not in overview.split("Can be published now in:")[-1].split("</p>")[0]


def test_revisions_compare_and_an_earlier_one_is_published_again(
    app: Flask, organiser: FlaskClient, client: FlaskClient
) -> None:
    values = form_of(organiser, f"{EDIT}/fr/vision")
    before = values["title"]
    values["title"] = "Notre grand rêve"
    organiser.post(f"{EDIT}/fr/vision", data=values)
    assert publish(organiser, "fr", "en", "es") == ""
    diff = organiser.get("/staff/plans/crc-2025-2029/revisions/2").get_data(as_text=True)
    assert "<ins>" in diff and "grand" in diff and "What changed since revision 1" in diff
    path = "/staff/plans/crc-2025-2029/revisions/1/republish"
    organiser.post(path, data={"csrf_token": csrf_token(
        organiser, "/staff/plans/crc-2025-2029/revisions/1")})
    with app.app_context():
        plan = db.session.scalars(select(Plan)).one()
        assert plan.version == 3
    assert before in client.get("/fr/plan/vision").get_data(as_text=True)


def test_yaml_export_and_import_are_the_same_door(app: Flask, organiser: FlaskClient,
                                                  tmp_path: Path) -> None:
    exported = organiser.get("/staff/plans/crc-2025-2029/export.zip")
    assert exported.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(exported.data))
    archive.extractall(tmp_path)
    content = read_plan_folder(tmp_path / "crc-2025-2029")  # what flask load-plan reads
    assert [s.slug for s in content.sections][:2] == ["who-we-are", "vision"]
    token = csrf_token(organiser, "/staff/plans/crc-2025-2029")
    answer = organiser.post("/staff/plans/crc-2025-2029/import", data={
        "csrf_token": token, "archive": (io.BytesIO(exported.data), "plan.zip")},
        content_type="multipart/form-data")
    assert answer.status_code == 302
    # Not a zip, a zip without plan.yaml, a plan with a broken link: refused, explained.
    for raw, message in ((b"not a zip", "not a plan export"),
                         (_zip({"x.yaml": "a: 1"}), "has no plan.yaml")):
        refused = organiser.post("/staff/plans/crc-2025-2029/import", data={
            "csrf_token": token, "archive": (io.BytesIO(raw), "plan.zip")},
            content_type="multipart/form-data", follow_redirects=True)
        assert message in refused.get_data(as_text=True)
    files = {n.split("/")[-1]: archive.read(n).decode() for n in archive.namelist()}
    files["en.yaml"] = files["en.yaml"].replace("[[crc]]", "[[nope]]", 1)
    broken = organiser.post("/staff/plans/crc-2025-2029/import", data={
        "csrf_token": token, "archive": (io.BytesIO(_zip(files)), "plan.zip")},
        content_type="multipart/form-data")
    assert broken.status_code == 422 and "nope" in broken.get_data(as_text=True)


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_a_second_plan_and_the_choice_of_what_children_see(
    app: Flask, organiser: FlaskClient, client: FlaskClient
) -> None:
    with app.app_context():
        load_plan_file(read_plan_folder(SECOND_PLAN))
        db.session.commit()
    assert "IBCR" in client.get("/fr/").get_data(as_text=True)  # the latest loaded, until chosen
    token = csrf_token(organiser, "/staff/plans/")
    organiser.post("/staff/plans/crc-2025-2029/show", data={"csrf_token": token})
    assert "Child Rights Connect" in client.get("/fr/").get_data(as_text=True)
    organiser.post("/staff/plans/ibcr-flagship-actions/show", data={"csrf_token": token})
    home = client.get("/es/").get_data(as_text=True)
    assert "IBCR" in home
    second = read_plan_folder(SECOND_PLAN)
    for locale, texts in second.locales.items():
        # Every page works for it: its parts, titles, icons and words to know.
        words = html.unescape(client.get(f"/{locale}/words").get_data(as_text=True))
        missing = [e.term for e in texts.glossary.values() if e.term.split()[0] not in words]
        assert missing == [], locale
        for spec in second.sections:
            page = client.get(f"/{locale}/plan/{spec.slug}")
            assert page.status_code == 200
            assert texts.sections[spec.slug].title.split()[0] in html.unescape(
                page.get_data(as_text=True))
            assert f"icon-{spec.icon}" in page.get_data(as_text=True) or spec.icon in \
                page.get_data(as_text=True)


def test_the_preview_is_framed_only_by_the_editor(organiser: FlaskClient) -> None:
    look = organiser.get("/staff/plans/crc-2025-2029/look/en?part=vision")
    assert "frame-src 'self'" in look.headers["Content-Security-Policy"]
    assert look.get_data(as_text=True).count("<iframe") == 2
    preview = organiser.get("/staff/plans/crc-2025-2029/preview/en/vision")
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    assert preview.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "Our dream" in preview.get_data(as_text=True)


def test_facilitators_write_but_never_publish(staff_client: StaffClient,
                                              demo_plan: PlanContent) -> None:
    facilitator = staff_client("fac@example.org", Role.FACILITATOR)
    values = form_of(facilitator, f"{EDIT}/en/vision")
    values["summary"] = "A short dream."
    assert facilitator.post(f"{EDIT}/en/vision", data=values).status_code == 302
    assert facilitator.get("/staff/plans/crc-2025-2029/publish").status_code == 403
    lead = staff_client("lead@example.org", Role.SAFEGUARDING_LEAD)
    assert lead.get("/staff/plans/").status_code == 403


def test_summaries_can_be_read_per_revision(app: Flask, organiser: FlaskClient,
                                           client: FlaskClient) -> None:
    from participation.reports.queries import idea_summary, reaction_summary

    Child(client).send("vision", "More parks near schools.")
    values = form_of(organiser, f"{EDIT}/en/vision")
    values["summary"] = "A new summary of our dream."
    organiser.post(f"{EDIT}/en/vision", data=values)
    assert publish(organiser, "fr", "en", "es") == ""
    Child(app.test_client()).send("vision", "Cleaner rivers please.")
    with app.test_request_context("/staff/"):
        plan = db.session.scalars(select(Plan)).one()
        first, second = (db.session.scalar(select(PlanRevision.id).where(
            PlanRevision.number == number)) for number in (1, 2))

        def ideas(revision_id: int | None) -> int | None:
            whole = idea_summary(plan.id, by=None, threshold=1, revision_id=revision_id).rows[-1]
            return whole.total.raw

        assert (ideas(None), ideas(first), ideas(second)) == (2, 1, 1)
        reactions = reaction_summary(plan.id, by=None, threshold=1, revision_id=second)
        assert reactions.rows  # the same parts, counted for revision 2 only
    page = organiser.get("/staff/reports?revision=2").get_data(as_text=True)
    assert '<option selected value="2">Revision 2</option>' in page or \
        'value="2" selected' in page


def test_browser_line_breaks_and_the_ready_mark(app: Flask, organiser: FlaskClient) -> None:
    values = form_of(organiser, f"{EDIT}/fr/vision")
    values["simple"] = "Le plan est bon.\r\n\r\nIl est pour toi.\r\n- un\r\n- deux"
    organiser.post(f"{EDIT}/fr/vision", data=values)
    with app.app_context():
        from participation.plans.drafts import text_of

        plan = db.session.scalars(select(Plan)).one()
        saved = text_of(plan.id, "vision", "fr")
        assert saved is not None and "\r" not in saved.simple
    # A part not marked ready keeps its language from being published.
    values = form_of(organiser, f"{EDIT}/es/vision")
    del values["ready"]
    organiser.post(f"{EDIT}/es/vision", data=values)
    page = organiser.get("/staff/plans/crc-2025-2029").get_data(as_text=True)
    assert "Can be published now in: French and English." in page
    assert publish(organiser, "fr", "en") == ""  # paragraphs from a browser publish fine
