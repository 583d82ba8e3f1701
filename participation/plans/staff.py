"""Organisers keep the plan simple: reading-ease scores per part and language, on a staff page."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from sqlalchemy import select

from participation.accounts.models import Role
from participation.auth import staff_required
from participation.db import db
from participation.plans.models import Plan, Section, SectionText
from participation.plans.readability import FORMULA_NAMES, TARGET_READING_EASE

bp = Blueprint("plan_staff", __name__, url_prefix="/staff/plan")


@bp.get("/readability")
@staff_required(Role.ORGANISER, Role.ADMIN)
def readability() -> str:
    """Each part's simplified and official reading ease, per language, against the target."""
    rows = db.session.execute(
        select(Plan.slug, Section.slug, Section.position, SectionText.locale, SectionText.title,
               SectionText.reading_ease, SectionText.official_reading_ease)
        .join(Section, Section.plan_id == Plan.id)
        .join(SectionText, SectionText.section_id == Section.id)
        .where(Section.retired_at.is_(None))
        .order_by(Plan.slug, Section.position, SectionText.locale)
    ).all()
    return render_template("plans/readability.html", rows=rows, target=TARGET_READING_EASE,
                           formulas=FORMULA_NAMES)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
