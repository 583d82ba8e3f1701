"""Photos of the children's work (drawings, boards), kept only as a clean re-encoding.

An upload is decoded with Pillow, turned upright, flattened to RGB, shrunk and encoded again
from its bare pixels, so nothing of the camera's file survives: no EXIF (place, time, camera),
no ICC profile, no XMP, no comment. The upload itself is never stored, on disk or in the
database. Sizes are checked before any pixel is decoded, so a small file that claims a huge
image (a decompression bomb) is refused without using the memory it asks for.
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from participation.accounts.models import User
from participation.committees.access import can_record_session
from participation.committees.models import CommitteeSession, SessionPhoto, SessionStep
from participation.committees.sessions import (
    SessionError,
    audit_session,
    clean_text,
    ensure_consent,
    ensure_editable,
    reach_step,
)
from participation.db import db
from participation.feedback.models import Submission
from participation.feedback.services import MAX_IDEA_LENGTH
from participation.moderation.services import can_review

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
# About a 50-megapixel photo: more than any tablet camera, far less than a bomb's claim.
MAX_PIXELS = 50_000_000
# A drawing with this many colours or fewer is kept as PNG (sharper lines, smaller file).
PNG_MAX_COLOURS = 64
JPEG_QUALITY = 85


@dataclass(frozen=True)
class CleanImage:
    """The re-encoded image and what the page needs to show it."""

    data: bytes
    media_type: str
    width: int
    height: int


def reencode(raw: bytes, *, max_side: int) -> CleanImage:
    """Decode ``raw`` safely and encode its pixels again, without any metadata."""
    if not raw:
        raise SessionError("photo_empty")
    with warnings.catch_warnings():
        # Pillow warns (then errors) about huge images; either way it is too big for us.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(raw)) as probe:
                if probe.format not in ALLOWED_FORMATS:
                    raise SessionError("photo_not_image")
                width, height = probe.size
                if width < 1 or height < 1 or width * height > MAX_PIXELS:
                    raise SessionError("photo_too_many_pixels")
                probe.verify()
            with Image.open(io.BytesIO(raw)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise SessionError("photo_too_many_pixels") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise SessionError("photo_not_image") from None
    rgb = _flatten(upright)
    rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # Only the pixels go on: a new image has no info, so nothing of the file can follow.
    bare = Image.frombytes("RGB", rgb.size, rgb.tobytes())
    out = io.BytesIO()
    if bare.getcolors(maxcolors=PNG_MAX_COLOURS) is not None:
        bare.quantize(colors=PNG_MAX_COLOURS).save(out, format="PNG", optimize=True)
        media_type = "image/png"
    else:
        bare.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        media_type = "image/jpeg"
    return CleanImage(out.getvalue(), media_type, bare.width, bare.height)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: transparency and palettes are resolved before the pixels are copied."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def add_photo(session: CommitteeSession, facilitator: User, *, raw: bytes,
              section_id: int | None, caption: str, no_faces_or_names: bool,
              max_side: int) -> SessionPhoto:
    """Keep a clean copy of a photo of the children's work, with the children's caption,
    once the children agreed to photos and the facilitator confirmed no face or name shows."""
    ensure_editable(session, facilitator)
    ensure_consent(session)
    if not session.may_photograph_work:
        raise SessionError("photos_not_agreed")
    if not no_faces_or_names:
        raise SessionError("faces_not_confirmed")
    if section_id is not None and section_id not in {p.section_id for p in session.parts}:
        raise SessionError("bad_part")
    words = clean_text(caption, MAX_IDEA_LENGTH, code="caption")
    clean = reencode(raw, max_side=max_side)
    photo = SessionPhoto(public_id=uuid.uuid4().hex, section_id=section_id, image=clean.data,
                         media_type=clean.media_type, width=clean.width, height=clean.height,
                         caption=words, no_faces_or_names=True)
    session.photos.append(photo)
    db.session.flush()
    reach_step(session, SessionStep.WORK)
    audit_session("committee.photo_added", session, facilitator, photo=photo.public_id,
                  media_type=clean.media_type, section_id=section_id)
    return photo


def delete_photo(session: CommitteeSession, facilitator: User, photo: SessionPhoto) -> None:
    """Remove a photo from the draft (the children changed their mind, a face showed...)."""
    ensure_editable(session, facilitator)
    if photo.session_id != session.id:
        raise SessionError("bad_photo")
    session.photos.remove(photo)
    audit_session("committee.photo_deleted", session, facilitator, photo=photo.public_id)


def can_see_photo(user: User, photo: SessionPhoto) -> bool:
    """The session's facilitators, and whoever may review its caption once it was sent."""
    if can_record_session(user, photo.session):
        return True
    if photo.submission_id is None:
        return False
    submission = db.session.get(Submission, photo.submission_id)
    return submission is not None and can_review(user, submission)
