"""Photos of the children's work: nothing of the camera's file survives the upload, bad files
are refused kindly, and only the right people see the image."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import date

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select

from participation.accounts.models import Role, User
from participation.committees.models import SessionPhoto
from participation.committees.photos import add_photo, reencode
from participation.committees.sessions import SessionError, record_consent
from participation.db import db
from participation.plans.content import PlanContent
from tests.committees.session_helpers import (
    BASE,
    consent_record,
    load,
    recorder,
    session_at,
    signed_in,
    token,
)

GPS_IFD = 0x8825
MAKE, MODEL, ORIENTATION, DESCRIPTION = 0x010F, 0x0110, 0x0112, 0x010E


def camera_jpeg(width: int = 64, height: int = 32, *, orientation: int = 1) -> bytes:
    """A JPEG as a tablet camera writes it: camera make and model, GPS position, a
    description, an orientation, an ICC profile, and a comment."""
    image = Image.new("RGB", (width, height))
    for x in range(width):  # many colours: kept as a JPEG
        for y in range(height):
            image.putpixel((x, y), (x * 4 % 256, y * 8 % 256, (x * y) % 256))
    exif = Image.Exif()
    exif[MAKE] = "Tablette SuperCam"
    exif[MODEL] = "ST-2000"
    exif[DESCRIPTION] = "Ecole Jules Ferry"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), comment=b"Salle 12",
               icc_profile=b"\x00" * 128)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image (a decompression bomb's trick)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_the_camera_details_are_gone_after_reencoding() -> None:
    raw = camera_jpeg()
    with Image.open(io.BytesIO(raw)) as before:  # the test file really carries them
        assert before.getexif()[MAKE] == "Tablette SuperCam"
        assert before.getexif().get_ifd(GPS_IFD)
    clean = reencode(raw, max_side=2000)
    assert clean.media_type == "image/jpeg"
    assert b"SuperCam" not in clean.data and b"Jules" not in clean.data
    assert b"Salle 12" not in clean.data and b"Exif" not in clean.data
    with Image.open(io.BytesIO(clean.data)) as after:
        assert dict(after.getexif()) == {}
        assert "exif" not in after.info and "icc_profile" not in after.info
        assert "comment" not in after.info and "xmp" not in after.info
        assert after.size == (64, 32) == (clean.width, clean.height)


def test_the_photo_is_turned_upright_and_shrunk() -> None:
    clean = reencode(camera_jpeg(300, 100, orientation=6), max_side=120)
    assert (clean.width, clean.height) == (40, 120)  # rotated a quarter turn, then shrunk


def test_a_drawing_with_few_colours_stays_a_sharp_png() -> None:
    image = Image.new("RGBA", (50, 50), (255, 255, 255, 0))
    for x in range(10, 40):
        image.putpixel((x, 25), (200, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=_png_text("Author", "Camille D."))
    clean = reencode(out.getvalue(), max_side=2000)
    assert clean.media_type == "image/png"
    assert b"Camille" not in clean.data and b"tEXt" not in clean.data
    with Image.open(io.BytesIO(clean.data)) as after:
        assert after.getpixel((5, 5)) != after.getpixel((20, 25))  # white, red: kept


def _png_text(key: str, value: str) -> object:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text(key, value)
    return info


@pytest.mark.parametrize(("raw", "code"), [
    (b"", "photo_empty"),
    (b"%PDF-1.4 not a picture at all", "photo_not_image"),
    (b"GIF89a" + b"\x00" * 40, "photo_not_image"),
    (camera_jpeg()[:200], "photo_not_image"),  # cut short
    (png_claiming(100_000, 100_000), "photo_too_many_pixels"),
    (png_claiming(8_000, 8_000), "photo_too_many_pixels"),
])
def test_bad_files_are_refused(raw: bytes, code: str) -> None:
    with pytest.raises(SessionError) as refused:
        reencode(raw, max_side=2000)
    assert refused.value.code == code


def _upload(client: object, public_id: str, raw: bytes, **fields: str) -> object:
    page = client.get(f"{BASE}/{public_id}/work").get_data(as_text=True)  # type: ignore[attr-defined]
    data = {"csrf_token": token(page), "section": "missing",
            "caption": "Notre dessin du parc", "no_faces_or_names": "y",
            "photo": (io.BytesIO(raw), "IMG_0042.jpg", "image/jpeg"), **fields}
    return client.post(f"{BASE}/{public_id}/photos", data=data,  # type: ignore[attr-defined]
                       content_type="multipart/form-data")


def test_an_upload_keeps_only_the_clean_copy(app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "consented")
    raw = camera_jpeg()
    response = _upload(who.client, public_id, raw)
    assert response.status_code == 302  # type: ignore[attr-defined]
    with app.app_context():
        photo = db.session.scalars(select(SessionPhoto)).one()
        assert photo.image != raw and b"SuperCam" not in photo.image
        assert b"IMG_0042" not in photo.image  # nor the file's name
        assert photo.no_faces_or_names and photo.caption == "Notre dessin du parc"
        photo_id = photo.public_id
    served = who.client.get(f"{BASE}/{public_id}/photos/{photo_id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Cache-Control"] == "no-store"
    with Image.open(io.BytesIO(served.data)) as image:
        assert dict(image.getexif()) == {}


def test_uploads_are_refused_kindly(app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "consented")
    cases = [
        (b"not a photo", {}, "not a photo we can read"),
        (png_claiming(50_000, 50_000), {}, "too many pixels"),
        (camera_jpeg(), {"no_faces_or_names": ""}, "shows no face and no name"),
        (camera_jpeg(), {"caption": ""}, "This field is required"),
    ]
    for raw, fields, words in cases:
        response = _upload(who.client, public_id, raw, **fields)
        assert response.status_code == 422, words  # type: ignore[attr-defined]
        assert words in response.get_data(as_text=True), words  # type: ignore[attr-defined]
    with app.app_context():
        assert db.session.scalars(select(SessionPhoto)).all() == []


def test_a_file_over_the_limit_gets_a_kind_page(app: Flask, demo_plan: PlanContent,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "COMMITTEE_PHOTO_MAX_BYTES", 200 * 1024)
    who = recorder(app)
    public_id = session_at(app, who, "consented")
    response = _upload(who.client, public_id, b"\xff" * (300 * 1024))
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert "That file is too big" in response.get_data(as_text=True)  # type: ignore[attr-defined]


def test_a_photo_bigger_than_other_forms_is_accepted(app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "consented")
    big = Image.effect_noise((700, 700), 90).convert("RGB")
    out = io.BytesIO()
    big.save(out, format="JPEG", quality=98)
    assert len(out.getvalue()) > app.config["MAX_CONTENT_LENGTH"]
    assert _upload(who.client, public_id, out.getvalue()).status_code == 302  # type: ignore[attr-defined]
    # Every other route keeps the app's limit.
    page = who.client.get(f"{BASE}/{public_id}/concern").get_data(as_text=True)
    response = who.client.post(f"{BASE}/{public_id}/concern", data={
        "csrf_token": token(page), "case_reference": "R-1", "note": "x" * 100_000})
    assert response.status_code == 413


def test_no_photos_without_the_childrens_agreement(app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "prepared")
    with app.app_context():
        session = load(app, public_id)
        fac = db.session.get_one(User, who.account.id)
        record_consent(session, fac, consent_record(may_photograph_work=False),
                       today=date.today())
        with pytest.raises(SessionError) as refused:
            add_photo(session, fac, raw=camera_jpeg(), section_id=None, caption="Nous",
                      no_faces_or_names=True, max_side=2000)
        assert refused.value.code == "photos_not_agreed"
    page = who.client.get(f"{BASE}/{public_id}/work").get_data(as_text=True)
    assert 'type="file"' not in page


def test_only_the_sessions_people_see_a_photo(app: Flask, demo_plan: PlanContent) -> None:
    who = recorder(app)
    public_id = session_at(app, who, "consented")
    assert _upload(who.client, public_id, camera_jpeg()).status_code == 302  # type: ignore[attr-defined]
    with app.app_context():
        photo_id = db.session.scalars(select(SessionPhoto)).one().public_id
    url = f"{BASE}/{public_id}/photos/{photo_id}"
    _, other = signed_in(app, "other@example.org", Role.FACILITATOR)
    _, lead = signed_in(app, "lead@example.org", Role.SAFEGUARDING_LEAD)
    _, organiser = signed_in(app, "org@example.org", Role.ORGANISER)
    assert other.get(url).status_code == 403  # not sent yet: nobody else
    assert lead.get(url).status_code == 403
    assert organiser.get(url).status_code == 403
    assert who.client.get(f"{BASE}/{public_id}/photos/{'0' * 32}").status_code == 404
