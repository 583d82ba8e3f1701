"""The export page (organisers and admins) and the export log (admins only).

The export itself is the answer to the form's POST: a streamed download, recorded in the export
log once produced (reports/export_log.py). Facilitators and safeguarding leads cannot export.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import Field, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from participation.accounts.models import Role
from participation.auth import staff_required
from participation.committees.registry_forms import CheckboxesField
from participation.db import db
from participation.forms import Form
from participation.i18n import NATIVE_NAMES
from participation.plans.queries import get_plan_view
from participation.reports.export_log import PURPOSE_MAX_LENGTH, export_log_page, stream_export
from participation.reports.exports import (
    BREAKDOWN_LABELS,
    FORMATS,
    TABLES,
    ExportRequest,
    file_name,
)
from participation.reports.models import ConsultationPeriod
from participation.reports.settings import current_threshold

bp = Blueprint("report_exports", __name__, url_prefix="/staff/reports/exports")
EXPORTERS = (Role.ORGANISER, Role.ADMIN)
FORMAT_LABELS = {
    "csv": _l("CSV (one table per file; several tables come as a zip)"),
    "xlsx": _l("Excel workbook (XLSX), with an \"About this file\" sheet"),
    "json": _l("JSON"),
}
# Words a purpose needs at least: "report" alone says nothing about why.
PURPOSE_MIN_WORDS = 2


def purpose_says_why(form: Form, field: Field) -> None:
    """A purpose of at least two words (an empty or one-word purpose is refused)."""
    words = [word for word in (field.data or "").split() if any(c.isalnum() for c in word)]
    if len(words) < PURPOSE_MIN_WORDS:
        raise ValidationError(_l("Say in a few words why you need this file (for example "
                                 "\"board meeting in June\")."))


class ExportForm(Form):
    """What to export, in which format, and why."""

    tables = CheckboxesField(
        _l("Tables"), choices=lambda: _choices((name, table.title)
                                               for name, table in TABLES.items()),
        validators=[DataRequired(_l("Choose at least one table."))])
    format = RadioField(_l("Format"), default="csv", choices=lambda: _choices(
        (name, FORMAT_LABELS[name]) for name in FORMATS))
    by = RadioField(_l("Reactions and ideas by status"), default="", choices=lambda: _choices(
        [("", BREAKDOWN_LABELS[None]), ("locale", BREAKDOWN_LABELS["locale"]),
         ("age_band", BREAKDOWN_LABELS["age_band"])]))
    language = SelectField(_l("Language of ideas, statements and answers"))
    period = SelectField(_l("Consultation period"))
    purpose = TextAreaField(
        _l("Why do you need this file?"),
        description=_l("Kept in the export log with your name, the date and a fingerprint of "
                       "the file. Admins read the log."),
        validators=[DataRequired(_l("Say why you need this file.")),
                    Length(max=PURPOSE_MAX_LENGTH), purpose_says_why])


def _choices(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """Choices with their labels in the page's language."""
    return [SelectChoice(value, str(label)) for value, label in pairs]


def export_form(plan_id: int | None) -> ExportForm:
    """The form with this deployment's languages and the plan's periods as choices."""
    form = ExportForm()
    form.language.choices = _choices([("", _l("All languages"))] + [
        (code, NATIVE_NAMES.get(code, code)) for code in _languages()])
    periods = [] if plan_id is None else db.session.execute(
        select(ConsultationPeriod.public_id, ConsultationPeriod.name)
        .where(ConsultationPeriod.plan_id == plan_id)
        .order_by(ConsultationPeriod.starts_on.desc(), ConsultationPeriod.id.desc())).all()
    form.period.choices = _choices([("", _l("Everything so far"))] + [
        (public_id, name) for public_id, name in periods])
    return form


def _languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def _page(form: ExportForm, status: int = 200) -> tuple[str, int]:
    return render_template("reports/exports.html", form=form, tables=TABLES,
                           threshold=current_threshold()), status


@bp.get("")
@staff_required(*EXPORTERS)
def page() -> tuple[str, int]:
    """Choose tables, a format and the filters, and say why the file is needed."""
    plan = get_plan_view(str(get_locale()))
    return _page(export_form(plan.id if plan else None))


@bp.post("")
@staff_required(*EXPORTERS)
def download() -> Any:
    """The export itself: a streamed file, recorded in the export log once produced."""
    locale = str(get_locale())
    plan = get_plan_view(locale)
    form = export_form(plan.id if plan else None)
    if plan is None or not form.validate():
        return _page(form, 422)
    period = None
    if form.period.data:
        period = db.session.scalar(select(ConsultationPeriod).where(
            ConsultationPeriod.public_id == form.period.data))
    threshold = (period.snapshot_threshold if period is not None and period.is_closed
                 and period.snapshot_threshold else current_threshold())
    export = ExportRequest(
        plan_id=plan.id if period is None else period.plan_id, tables=list(form.tables.data),
        format=form.format.data, locale=locale, threshold=threshold,
        by=form.by.data or None, language=form.language.data or None, period=period)
    name, media_type = file_name(export)
    body = stream_export(actor=current_user._get_current_object(), request=export,
                         purpose=form.purpose.data.strip())
    response = Response(stream_with_context(body), mimetype=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/log")
@staff_required(Role.ADMIN)
def log() -> str:
    """Every export made, newest first: who, under which role, why, what and its fingerprint."""
    found = export_log_page(before=request.args.get("before", type=int),
                            after=request.args.get("after", type=int))
    return render_template("reports/export_log.html", page=found, tables=TABLES)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
