"""A facilitator records a committee session on a tablet, start to send: prepare, print the
pack, consent (refused first: one child did not assent), part by part, a photo of the
children's work, read back (printed), attest and send. Every page is checked with axe; the
pack and the read-back page are printed to PDF and screenshotted as print."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

import pyotp
from flask import Flask
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from participation.accounts.models import Role
from participation.accounts.services import create_user
from participation.committees.models import CommitteeSession, SessionPhoto, SessionStatus
from participation.db import db
from participation.feedback.models import Submission, SubmissionSource
from participation.plans.content import PlanContent
from tests.committees.builders import make_committee
from tests.e2e.conftest import TABLET, Visitor, print_to_pdf

PASSPHRASE = "a long and calm passphrase"


def sign_in(staff: Visitor, email: str, secret: str) -> None:
    page = staff.page
    staff.visit("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("6-digit code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")


def drawing_with_camera_details() -> bytes:
    image = Image.effect_noise((320, 240), 70).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "Tablette SuperCam"
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 24.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def fill_consent(page: Any, *, present: int, ages: tuple[int, int, int], assents: int) -> None:
    """Counts only: no field anywhere asks for a name."""
    page.get_by_label("Children taking part").fill(str(present))
    for label, count in zip(("Aged 8 to 10", "Aged 11 to 13", "Aged 14 to 17"), ages,
                            strict=True):
        page.get_by_label(label).fill(str(count))
    page.get_by_label("Guardian consent forms received").fill(str(present))
    page.get_by_label("Children who agreed (assent)").fill(str(assents))
    for question in ("May the children's own words be quoted?",
                     "May photos of their work be taken?"):
        page.get_by_role("group", name=question).get_by_label("Yes").check()
    page.get_by_label("Where the paper forms are kept").fill("Locked cabinet, regional office")
    page.get_by_label("Kept until").fill((date.today() + timedelta(days=400)).isoformat())


def print_views(staff: Visitor, name: str) -> bytes:
    """The page as Chromium prints it (only the children's sheet): a PDF with its pages as
    pictures, and a screenshot with print media."""
    pdf, _pages = print_to_pdf(staff.page, name, (".staff-header", ".session-steps", "form"))
    staff.page.emulate_media(media="print")
    staff.screenshot(f"{name}-print")
    staff.page.emulate_media(media="null")
    return pdf


def test_a_facilitator_records_and_sends_a_session(
        app: Flask, visitor_factory: Any, demo_plan: PlanContent) -> None:
    with app.app_context():
        user = create_user("fac@example.org", PASSPHRASE, [Role.FACILITATOR], actor_id=None,
                           with_totp=True)
        db.session.commit()
        user_id, secret = user.id, user.totp_secret or ""
    committee = make_committee(app, facilitator_ids=(user_id,), locales=("fr", "en"))
    staff: Visitor = visitor_factory(viewport=TABLET, locale="en-GB")
    page = staff.page
    sign_in(staff, "fac@example.org", secret)

    # Start, then 1. Prepare.
    staff.visit(f"/staff/committee-sessions/start/{committee}")
    page.get_by_label("Language of the session").select_option("en")
    staff.follow(page.get_by_role("button", name="Start recording"))
    expect(page.get_by_role("heading", level=1)).to_have_text("1. Prepare")
    staff.audit()
    parts = page.get_by_role("group", name="Parts of the plan to discuss")
    parts.get_by_role("checkbox").nth(0).check()
    parts.get_by_role("checkbox").nth(2).check()
    page.get_by_label("Discussion").check()
    page.get_by_label("Show of hands").check()
    staff.screenshot("tablet-en-committee-prepare")
    staff.follow(page.get_by_role("button", name="Save"))
    expect(page.get_by_role("status")).to_contain_text("Saved")
    staff.audit()

    # The pack, on screen and in print.
    staff.follow(page.get_by_role("link", name="Print the session pack").first)
    expect(page.get_by_role("heading", name="Words to know")).to_be_visible()
    staff.audit()
    staff.screenshot("tablet-en-committee-pack")
    pdf = print_views(staff, "committee-pack")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 3

    # 2. Consent: one child did not assent, so the session cannot go on.
    staff.follow(page.get_by_role("link", name="2. Consent"))
    expect(page.get_by_text("never your names")).to_be_visible()
    staff.audit()
    fill_consent(page, present=6, ages=(2, 3, 1), assents=5)
    staff.follow(page.get_by_role("button", name="Save consent"))
    expect(page.get_by_role("alert")).to_contain_text("Every child taking part must agree")
    staff.audit()
    staff.screenshot("tablet-en-committee-consent-refused")
    staff.follow(page.get_by_role("link", name="3. Part by part"))
    expect(page.get_by_role("alert")).to_contain_text("Record the children's consent first")
    staff.audit()
    staff.follow(page.get_by_role("link", name="2. Consent"))
    fill_consent(page, present=5, ages=(2, 2, 1), assents=5)
    staff.follow(page.get_by_role("button", name="Save consent"))
    expect(page.get_by_role("status")).to_contain_text("Consent saved")
    expect(page.get_by_role("heading", level=1)).to_have_text("3. Part by part")
    staff.audit()

    # The session page: where it is, and what is missing.
    staff.follow(page.get_by_role("link", name="overview"))
    expect(page.get_by_text("2 parts have no group position yet.")).to_be_visible()
    staff.audit()
    staff.screenshot("tablet-en-committee-session")

    # 3. Part by part.
    staff.follow(page.get_by_role("link", name="Part by part"))
    staff.audit()
    first = page.locator("section.part-card").first
    first.get_by_label("Agree", exact=True).check()
    first.get_by_label("Votes for").fill("4")
    first.get_by_label("Votes against").fill("1")
    first.get_by_label("Words the children found hard").fill("mandate, advocacy")
    staff.follow(first.get_by_role("button", name="Save this part"))
    expect(page.get_by_role("status")).to_contain_text("Part saved")
    first = page.locator("section.part-card").first
    first.get_by_text("Add a statement").click()
    first.get_by_label("What the group said").fill("Children should be asked every year.")
    staff.follow(first.get_by_role("button", name="Add", exact=True))
    expect(page.locator(".statement-body")).to_have_text(["Children should be asked every year."])
    missing = page.get_by_role("region", name="Something missing from the plan")
    missing.get_by_text("Add a statement").click()
    missing.get_by_label("Minority view").check()
    missing.get_by_label("The facilitator's paraphrase").check()
    missing.get_by_label("What the group said").fill("Sport is missing from the plan.")
    staff.follow(missing.get_by_role("button", name="Add", exact=True))  # no share: refused
    expect(page.get_by_role("alert")).to_contain_text("Say how many held this minority view")
    staff.audit()
    missing = page.get_by_role("region", name="Something missing from the plan")
    missing.get_by_label("How many held this view").select_option("one_or_two")
    staff.follow(missing.get_by_role("button", name="Add", exact=True))
    expect(page.locator(".statement-body")).to_have_text([
        "Children should be asked every year.", "Sport is missing from the plan."])
    staff.audit()
    staff.screenshot("tablet-en-committee-parts")

    # 4. Children's work: a photo, its camera details dropped.
    staff.follow(page.get_by_role("link", name="4. Children's work"))
    staff.audit()
    page.get_by_label("Photo of the children's work").set_input_files(
        files=[{"name": "IMG_0042.jpg", "mimeType": "image/jpeg",
                "buffer": drawing_with_camera_details()}])
    page.get_by_label("The children's caption").fill("Our park, with a place to rest")
    staff.follow(page.get_by_role("button", name="Save the photo"))  # not confirmed: refused
    expect(page.get_by_role("alert")).to_contain_text("shows no face and no name")
    staff.audit()
    page.get_by_label("Photo of the children's work").set_input_files(
        files=[{"name": "IMG_0042.jpg", "mimeType": "image/jpeg",
                "buffer": drawing_with_camera_details()}])
    page.get_by_label("I checked: it shows no face and no name.").check()
    staff.follow(page.get_by_role("button", name="Save the photo"))
    expect(page.get_by_role("status")).to_contain_text("without any of the camera's details")
    photo = page.get_by_role("img", name="Photo of the children's work: Our park")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.naturalWidth") == 320
    staff.audit()
    staff.screenshot("tablet-en-committee-work")
    with app.app_context():
        stored = db.session.scalars(select(SessionPhoto)).one()
        assert b"SuperCam" not in stored.image

    # 5. Read back, on screen and in print; the children check it.
    staff.follow(page.get_by_role("link", name="5. Check with the children"))
    sheet = page.locator("article.read-back-sheet")
    expect(sheet.get_by_text("We agree with this part.")).to_be_visible()
    expect(sheet.get_by_text("One or two of us think:")).to_be_visible()
    expect(sheet).not_to_contain_text(re.compile(r"\b5\b"))  # no counts of children
    staff.audit()
    staff.screenshot("tablet-en-committee-read-back")
    pdf = print_views(staff, "committee-read-back")
    assert pdf.startswith(b"%PDF")
    staff.follow(page.get_by_role("button", name="The children checked it"))
    expect(page.get_by_role("heading", level=1)).to_have_text("6. Attest and send")
    staff.audit()

    # 6. Attest and send.
    page.get_by_label("How the session went").fill("A calm session; everyone had a turn.")
    page.get_by_role("group", name="Could every child speak?").get_by_label("Yes").check()
    page.get_by_label("I confirm the children were not told what to say.").check()
    staff.follow(page.get_by_role("button", name="Save my account of the session"))
    expect(page.get_by_role("status")).to_contain_text("Your account of the session is saved")
    staff.audit()
    staff.screenshot("tablet-en-committee-attest")
    staff.follow(page.get_by_role("button", name="Send for review").last)
    expect(page.get_by_role("status")).to_contain_text("3 items are waiting for review")
    expect(page.get_by_text("Sent for review").first).to_be_visible()
    staff.audit()
    staff.screenshot("tablet-en-committee-sent")
    with app.app_context():
        session = db.session.scalars(select(CommitteeSession)).one()
        assert session.status == SessionStatus.SUBMITTED
        sources = db.session.scalars(select(Submission.source)).all()
        assert sources == [SubmissionSource.COMMITTEE] * 3
