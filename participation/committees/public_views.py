"""Children's side of committee work: what an adult approved, shown apart from individual
children's ideas, under each part ("From children's committees"), and the photos of the
children's work whose caption was approved."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Flask, abort, current_app, g, make_response, render_template
from werkzeug.wrappers import Response

from participation.committees.queries import (
    CHILD_KIND_LABELS,
    ApprovedCaption,
    ApprovedStatement,
    approved_captions,
    approved_statements,
    public_photo,
)
from participation.feedback.queries import PartFragmentCache
from participation.plans.queries import PlanView, SectionView

bp = Blueprint("committee_public", __name__)

# Children may keep a photo a few minutes: an approval withdrawn later stops showing it soon.
PHOTO_MAX_AGE = 300
SERVED_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


@dataclass(frozen=True)
class CommitteeWork:
    """Approved group input under one part: in the page's language first, the others one tap
    away (like children's shared ideas)."""

    statements: list[ApprovedStatement]
    captions: list[ApprovedCaption]
    elsewhere: list[ApprovedStatement]

    @property
    def empty(self) -> bool:
        return not (self.statements or self.captions or self.elsewhere)

    @property
    def other_locales(self) -> list[str]:
        present = {item.locale for item in self.elsewhere}
        return [code for code in current_app.config["LANGUAGES"] if code in present]


def committee_work(plan_id: int, section_id: int | None, locale: str) -> CommitteeWork:
    """What children see of committees under a part (three small indexed queries)."""
    return CommitteeWork(
        statements=approved_statements(plan_id, section_id, locale=locale),
        captions=approved_captions(plan_id, section_id, locale=locale),
        elsewhere=approved_statements(plan_id, section_id, other_than=locale),
    )


def _render_committee_work(plan_id: int, section_id: int | None, locale: str) -> str:
    work = committee_work(plan_id, section_id, locale)
    if work.empty:
        return ""  # no region at all: nothing to say yet, nothing to scroll past
    return render_template("committees/_for_children.html", work=work,
                           kind_labels=CHILD_KIND_LABELS)


class CommitteeWorkCache(PartFragmentCache):
    """Approved committee input under each part, rendered once per PLAN_CACHE_SECONDS per
    worker (like children's shared ideas): the part page runs no query for it."""

    def __init__(self) -> None:
        super().__init__(_render_committee_work)


class CommitteeWorkPanel:
    """The region "From children's committees" under each part: one hole in the cached part
    page, filled from :class:`CommitteeWorkCache`."""

    def skeleton(self, plan: PlanView, part: SectionView) -> str:
        return render_template("committees/_for_children_panel.html")

    def holes(self, plan: PlanView, part: SectionView) -> dict[str, str]:
        cache: CommitteeWorkCache = current_app.extensions["committee_work"]
        return {"committee_work": cache.html(plan.id, plan.section_ids[part.slug], plan.locale)}


@bp.get("/<locale:lang_code>/committee-work/<public_id>")
def photo(lang_code: str, public_id: str) -> Response:
    """A photo of children's work, once an adult approved its caption (the file was
    re-encoded without any metadata on upload); otherwise nothing, not even that it exists."""
    found = public_photo(public_id)
    if found is None or found.media_type not in SERVED_TYPES:
        abort(404)
    # A picture is not a choice of language: no cookie on a response caches may keep.
    g.pop("lang_code", None)
    response = make_response(found.image)
    response.headers["Content-Type"] = found.media_type
    response.headers["Cache-Control"] = f"public, max-age={PHOTO_MAX_AGE}"
    response.headers["Content-Disposition"] = "inline"
    return response


def init_app(app: Flask) -> None:
    """Show approved group input under each part for children (one cached panel per part)."""
    app.register_blueprint(bp)
    app.extensions["committee_work"] = CommitteeWorkCache()
    app.extensions["part_panels"].append(CommitteeWorkPanel())
