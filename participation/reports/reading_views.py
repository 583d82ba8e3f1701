"""Organisers' reading page: the approved ideas and committee statements of each part,
filtered by language and age band, and one form per action to mark an idea as considered."""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_skeleton
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import HiddenField, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from participation.accounts.models import Role
from participation.auth import staff_required
from participation.committees.labels import STATEMENT_KIND_LABELS
from participation.db import db
from participation.feedback.models import AgeBand
from participation.forms import Form
from participation.i18n import NATIVE_NAMES
from participation.plans.queries import PlanView, get_plan_view
from participation.reports.reading import (
    AGE_NOT_GIVEN,
    MISSING_PART,
    Filters,
    ReadingError,
    mark_idea_considered,
    read_ideas,
    unmark_idea_considered,
)

bp = Blueprint("report_reading", __name__, url_prefix="/staff/reports/ideas")
READERS = (Role.ORGANISER, Role.ADMIN)
AGE_CHOICE_LABELS = {
    AgeBand.AGE_8_10.value: _l("8 to 10"),
    AgeBand.AGE_11_13.value: _l("11 to 13"),
    AgeBand.AGE_14_17.value: _l("14 to 17"),
    AGE_NOT_GIVEN: _l("Age not given"),
}


def _optional_text(value: Any) -> str | None:
    return value or None


class FilterForm(Form):
    """The list's filters: read from the query string, no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    language = SelectField(_l("Language"), coerce=_optional_text, validators=[Optional()])
    age = SelectField(_l("Age group"), coerce=_optional_text, validators=[Optional()])
    part = SelectField(_l("Part of the plan"), coerce=_optional_text, validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=10_000)])

    def set_choices(self, plan: PlanView) -> None:
        """Every language the deployment offers and every age band, even with no idea yet."""
        self.language.choices = [("", _("All languages"))] + [
            (code, NATIVE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]
        self.age.choices = [("", _("All ages"))] + [
            (value, str(label)) for value, label in AGE_CHOICE_LABELS.items()]
        self.part.choices = [("", _("Every part"))] + [
            (str(plan.section_ids[section.slug]),
             _("%(number)s. %(title)s", number=section.number, title=section.title))
            for section in plan.sections] + [(MISSING_PART, _("Something missing from the plan"))]


class ConsideredForm(Form):
    """Mark (or unmark) one idea; the hidden fields bring the organiser back to the same list."""

    language = HiddenField()
    age = HiddenField()
    part = HiddenField()


def month_label(day: date) -> str:
    """A month as the page's language writes it ("mars 2025", "March 2025")."""
    return format_skeleton("yMMMM", day, locale=str(get_locale()))


def _filters(form: FilterForm) -> Filters:
    part = form.part.data
    return Filters(language=form.language.data, age_band=form.age.data,
                   part=part if part in (None, MISSING_PART) else int(part),
                   page=form.page.data or 1)


def _back(form: ConsideredForm, public_id: str) -> str:
    """The list the organiser came from (known filter values only), at the idea."""
    languages = current_app.config["LANGUAGES"]
    args = {
        "language": form.language.data if form.language.data in languages else None,
        "age": form.age.data if form.age.data in AGE_CHOICE_LABELS else None,
        "part": form.part.data if (form.part.data or "").isdigit()
        or form.part.data == MISSING_PART else None,
    }
    return url_for("report_reading.ideas", **{k: v for k, v in args.items() if v}) \
        + f"#idea-{public_id}"


@bp.get("")
@staff_required(*READERS)
def ideas() -> str:
    """What children and committees said about each part, as adults approved it."""
    plan = get_plan_view(str(get_locale()))
    if plan is None:
        return render_template("reports/reading.html", plan=None, reading=None, form=None)
    form = FilterForm(formdata=request.args)
    form.set_choices(plan)
    if not form.validate():
        abort(400)
    filters = _filters(form)
    reading = read_ideas(plan, filters)

    def list_url(**changes: Any) -> str:
        """This list with some filters changed (a part alone, the next page)."""
        args = {"language": filters.language, "age": filters.age_band, "part": filters.part,
                "page": None, **changes}
        return url_for("report_reading.ideas", **{k: v for k, v in args.items() if v})

    return render_template(
        "reports/reading.html", plan=plan, reading=reading, form=form,
        considered_form=ConsideredForm(), age_labels=AGE_CHOICE_LABELS,
        kind_labels=STATEMENT_KIND_LABELS, language_names=NATIVE_NAMES, list_url=list_url,
        month=month_label)


def _change(public_id: str, mark: bool) -> Response:
    form = ConsideredForm()
    if not form.validate_on_submit():
        abort(400)
    service = mark_idea_considered if mark else unmark_idea_considered
    try:
        service(public_id, actor_id=current_user.id)
    except ReadingError:
        abort(404)
    db.session.commit()
    flash("considered" if mark else "unconsidered", "reading")
    return redirect(_back(form, public_id))


@bp.post("/<public_id>/considered")
@staff_required(*READERS)
def mark_considered(public_id: str) -> Response:
    """An organiser took this idea into account (for the board, for an answer)."""
    return _change(public_id, True)


@bp.post("/<public_id>/not-considered")
@staff_required(*READERS)
def unmark_considered(public_id: str) -> Response:
    """Undo a considered mark made by mistake."""
    return _change(public_id, False)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
