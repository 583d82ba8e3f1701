"""The extension point for what other domains show under each part of the plan.

Plans must not import the domains built on it (feedback, later "you said, we did"), yet their
panels belong on the part page. They register a :class:`PartPanel` in
``app.extensions["part_panels"]``; the part page is rendered once per plan revision with each
panel's skeleton, and every request only fills the skeletons' holes.
"""

from __future__ import annotations

from typing import Protocol

from participation.plans.queries import PlanView, SectionView


class PartPanel(Protocol):
    def skeleton(self, plan: PlanView, part: SectionView) -> str:
        """HTML that is the same for every child, with named holes for the rest."""

    def holes(self, plan: PlanView, part: SectionView) -> dict[str, str]:
        """This request's values for the skeleton's holes (already safe HTML)."""
