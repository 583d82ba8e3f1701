"""Organisers' exports: fixed, documented tables written as CSV, XLSX or JSON, streamed.

What a file may hold is decided here, once, for every format:

- counts only as ``reports.privacy`` publishes them (0, "<10", or rounded to 5), shares only
  through ``privacy.share``/``shares``;
- children's words only as an adult approved and published them, labelled "idea-0001" in the
  order of this file (never a database id, token, hash or idempotency key);
- months, never exact times; a quote's language and age band only when its cell (the children
  whose approved ideas share its part, language and age band) reaches the threshold;
- no screening flags, suggested redactions, rejection reasons, concerns, consent details or
  reviewers' names: the queries below never select those columns.

Every text cell that a spreadsheet could read as a formula (it starts with = + - @, a tab or a
carriage return) is prefixed with a single quote, in CSV, XLSX and JSON alike (JSON too, so a
value copied from it into a spreadsheet is just as safe, and all three files say the same).

Each table's columns are documented in :data:`TABLES`, which the XLSX "About this file" sheet,
the JSON metadata and the export page all read.

Streaming: CSV and JSON are generators that read rows with ``yield_per`` (a server-side cursor
on PostgreSQL), so a 100,000-idea file starts at once and memory stays flat. An XLSX file is a
zip whose directory comes last, so it cannot be sent before it is complete: it is written in
openpyxl's write-only mode (rows go to disk as they come) into a spooled temporary file, then
sent in chunks.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from participation.answers.models import Answer, AnswerStatus, AnswerText, Decision
from participation.committees.models import (
    Committee,
    CommitteeSession,
    ShareOfGroup,
    Statement,
    StatementKind,
    StatementVoice,
)
from participation.committees.queries import committee_label
from participation.db import db, start_request_budget
from participation.feedback.models import (
    AgeBand,
    Submission,
    SubmissionSource,
    SubmissionStatus,
)
from participation.plans.models import Section, SectionText
from participation.plans.queries import plan_view_for
from participation.reports.models import ConsultationPeriod
from participation.reports.privacy import Protected, protect
from participation.reports.queries import (
    CONFUSED_SIGNAL,
    IDEA_STATUSES,
    MAJORITY_SIGNAL,
    POSITIONS,
    REACTION_KINDS,
    UNSURE_OR_CONFUSED_SIGNAL,
    PartRef,
    committee_coverage,
    committee_positions,
    idea_summary,
    plan_parts,
    reaction_summary,
)

Format = Literal["csv", "xlsx", "json"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "json")
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}
Breakdown = Literal["locale", "age_band"]
# Rows read from the database per round trip (a server-side cursor on PostgreSQL).
BATCH = 2000
# An XLSX file stays in memory up to this size, then moves to a temporary file on disk.
XLSX_SPOOL_BYTES = 8 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
BOM = "\ufeff"
# A spreadsheet reads a cell starting with one of these as a formula (or a DDE command).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot hold (an XLSX cell refuses them): dropped from XLSX cells only.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

Cell = str | int | float | Protected | None


def escape_formula(text: str) -> str:
    """``text`` as a spreadsheet shows it, never as a formula: a leading = + - @ tab or
    carriage return gets a single quote in front (OWASP's CSV injection advice)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def month_of(moment: datetime | date | None) -> str:
    """A date as its month only ("2026-05"): exact times are never exported."""
    return "" if moment is None else f"{moment.year:04d}-{moment.month:02d}"


# --- What is exported: tables and their documented columns ------------------------------------


@dataclass(frozen=True)
class Column:
    """One documented column; ``name`` is the same in every language and format."""

    name: str
    description: Any  # a lazy string: shown in the exporter's language


@dataclass(frozen=True)
class Part:
    """A part of the plan as an export names it."""

    number: int | None  # None: "something missing", or a part no longer in the plan
    title: str


@dataclass
class ExportRequest:
    """What an organiser asked for (already checked by the form)."""

    plan_id: int
    tables: list[str]
    format: Format
    locale: str  # the exporter's language: part titles and the documentation
    threshold: int
    by: Breakdown | None = None  # reactions and ideas by status: per language or age band
    language: str | None = None  # text tables: one language only
    period: ConsultationPeriod | None = None

    def filters(self) -> dict[str, Any]:
        """The filters as the export log keeps them."""
        return {"by": self.by, "language": self.language,
                "period": self.period.public_id if self.period else None}


@dataclass
class ExportContext:
    """What the row readers share while one file is written."""

    request: ExportRequest
    _parts: dict[int | None, Part] | None = field(default=None, repr=False)

    @property
    def parts(self) -> dict[int | None, Part]:
        if self._parts is None:
            self._parts = part_labels(self.request.plan_id, self.request.locale)
        return self._parts

    def part(self, section_id: int | None) -> Part:
        return self.parts.get(section_id) or Part(None, "")

    def protect(self, count: int) -> Protected:
        return protect(count, self.request.threshold)


RowReader = Callable[[ExportContext], Iterator[tuple[Cell, ...]]]


@dataclass(frozen=True)
class Table:
    """A fixed export table: its name (file and sheet name), documentation and rows."""

    name: str
    title: Any
    description: Any
    columns: tuple[Column, ...]
    rows: RowReader

    @property
    def headers(self) -> list[str]:
        return [column.name for column in self.columns]


def part_labels(plan_id: int, locale: str) -> dict[int | None, Part]:
    """Every part of a plan, numbered as the summaries number them (reports.queries), titles in
    ``locale`` or the plan's language; retired parts keep a title and no number."""
    labels: dict[int | None, Part] = {
        part.section_id: Part(part.number, part.title) for part in plan_parts(plan_id, locale)}
    for section_id, text_locale, title in db.session.execute(
        select(SectionText.section_id, SectionText.locale, SectionText.title)
        .join(Section, Section.id == SectionText.section_id)
        .where(Section.plan_id == plan_id, Section.retired_at.is_not(None))
        .order_by(SectionText.section_id, SectionText.locale)
    ):
        if section_id not in labels or text_locale == locale:
            labels[section_id] = Part(None, title)
    labels[None] = Part(None, _("Something missing"))
    return labels


def _period_bounds(period: ConsultationPeriod | None) -> tuple[datetime, datetime] | None:
    """The period as UTC instants [start of its first day, end of its last day)."""
    if period is None:
        return None
    start = datetime.combine(period.starts_on, time.min, tzinfo=UTC)
    end = datetime.combine(period.ends_on, time.max, tzinfo=UTC)
    return start, end


def _part_order(query: Any, section_id: Any) -> Any:
    """Rows in the plan's order of parts ("something missing" last)."""
    return query.outerjoin(Section, Section.id == section_id).order_by(
        Section.position.is_(None), Section.position)


def _streamed(query: Any) -> Iterator[Any]:
    """Rows a batch at a time (a server-side cursor on PostgreSQL), never all in memory.

    Each batch gets a fresh request wait budget: the app bounds every wait on the database
    (db.py), and a long file would otherwise run out of it; each fetch stays bounded.
    """
    # Core rows on the session's connection: the ORM adds nothing to plain columns but time.
    result = db.session.connection().execute(query.execution_options(yield_per=BATCH))
    for partition in result.partitions():
        start_request_budget()
        yield from partition


# Shared ideas ------------------------------------------------------------------------------


def _approved_child_ideas(request: ExportRequest) -> list[Any]:
    conditions = [
        Submission.plan_id == request.plan_id,
        Submission.source == SubmissionSource.CHILD,
        Submission.status == SubmissionStatus.APPROVED,
        Submission.published_body.is_not(None),
    ]
    bounds = _period_bounds(request.period)
    if bounds is not None:
        conditions.append(Submission.created_at.between(*bounds))
    return conditions


def _children() -> Any:
    """Distinct children (an idea without a device token counts as one child)."""
    return func.count(func.distinct(func.coalesce(Submission.child_token_hash,
                                                  Submission.public_id)))


def _in_part(section_id: int | None) -> Any:
    return (Submission.section_id == section_id if section_id is not None
            else Submission.section_id.is_(None))


def quote_cells(request: ExportRequest, section_id: int | None
                ) -> tuple[dict[str, int], dict[tuple[str, AgeBand], int]]:
    """How many children each quote's cell holds in one part: per language and per (language,
    age band), among the approved ideas in the export's scope (whatever language the file is
    filtered to)."""
    conditions = [*_approved_child_ideas(request), _in_part(section_id)]
    by_language: dict[str, int] = {
        locale: count for locale, count in db.session.execute(
            select(Submission.locale, _children()).where(*conditions)
            .group_by(Submission.locale))
    }
    by_band: dict[tuple[str, AgeBand], int] = {
        (locale, band): count for locale, band, count in db.session.execute(
            select(Submission.locale, Submission.age_band, _children())
            .where(*conditions, Submission.age_band.is_not(None))
            .group_by(Submission.locale, Submission.age_band))
    }
    return by_language, by_band


def _parts_in_order(plan_id: int) -> list[int | None]:
    """The plan's parts in reading order (retired ones too), then "something missing"."""
    ids: list[int | None] = list(db.session.scalars(
        select(Section.id).where(Section.plan_id == plan_id)
        .order_by(Section.retired_at.is_not(None), Section.position, Section.id)))
    return [*ids, None]


def shared_idea_rows(context: ExportContext) -> Iterator[tuple[Cell, ...]]:
    """Approved children's ideas, as published, with export-local labels, part by part (one
    small sort per part instead of one large one: the first rows come at once)."""
    request = context.request
    threshold = request.threshold
    conditions = _approved_child_ideas(request)
    if request.language:
        conditions.append(Submission.locale == request.language)
    months: dict[tuple[int, int], str] = {}
    number = 0
    for section_id in _parts_in_order(request.plan_id):
        by_language, by_band = quote_cells(request, section_id)
        if not by_language:
            continue
        part = context.part(section_id)
        # What a row shows of its language and age band, worked out once per cell.
        shown: dict[tuple[str, AgeBand | None], tuple[str, str]] = {}
        query = (select(Submission.locale, Submission.age_band, Submission.created_at,
                        Submission.published_body)
                 .where(*conditions, _in_part(section_id))
                 .order_by(Submission.created_at, Submission.id))
        for locale, band, created_at, text in _streamed(query):
            cell = shown.get((locale, band))
            if cell is None:
                language_shown = by_language.get(locale, 0) >= threshold
                band_shown = language_shown and band is not None and (
                    by_band.get((locale, band), 0) >= threshold)
                cell = shown[(locale, band)] = (locale if language_shown else "",
                                                band.value if band_shown and band else "")
            month = months.get((created_at.year, created_at.month))
            if month is None:
                month = months[(created_at.year, created_at.month)] = month_of(created_at)
            number += 1
            yield (f"idea-{number:04d}", part.number, part.title, *cell, month, text)


# Committee statements ---------------------------------------------------------------------


def statement_rows(context: ExportContext) -> Iterator[tuple[Cell, ...]]:
    """Committees' statements an adult approved, as published; a committee is named only when
    its name may be published."""
    request = context.request
    conditions = [
        Submission.plan_id == request.plan_id,
        Submission.source == SubmissionSource.COMMITTEE,
        Submission.status == SubmissionStatus.APPROVED,
        Submission.published_body.is_not(None),
    ]
    if request.language:
        conditions.append(Submission.locale == request.language)
    if request.period is not None:
        conditions.append(CommitteeSession.held_on.between(request.period.starts_on,
                                                           request.period.ends_on))
    query = _part_order(
        select(Submission.section_id, Committee.name, Committee.name_is_public, Statement.kind,
               Statement.voice, Statement.share, Submission.locale, CommitteeSession.held_on,
               Submission.published_body)
        .join(Statement, Statement.submission_id == Submission.id)
        .join(CommitteeSession, CommitteeSession.id == Statement.session_id)
        .join(Committee, Committee.id == CommitteeSession.committee_id)
        .where(*conditions),
        Submission.section_id,
    ).order_by(CommitteeSession.held_on, Statement.id)
    for number, row in enumerate(_streamed(query), 1):
        section_id, name, public, kind, voice, share, locale, held_on, text = row
        part = context.part(section_id)
        yield (f"statement-{number:03d}", committee_label(name, public), part.number,
               part.title, kind.value, voice.value, share.value if share else "", locale,
               month_of(held_on), text)


# Summaries: reactions, ideas by status, committee positions, coverage -------------------------
# One aggregation for pages, charts and exports (reports/queries.py); a closed period's figures
# come from its snapshot, already protected with the threshold of the day it closed.


def _part_cells(part: PartRef | None) -> tuple[Cell, Cell]:
    """A summary's part as two cells: number and title ("Whole plan" for the plan's row)."""
    if part is None:
        return None, _("Whole plan")
    return part.number, part.title


def reaction_rows(context: ExportContext) -> Iterator[tuple[Cell, ...]]:
    """Per part (and the whole plan) and group: children who reacted, their reactions, the
    shares and the signals, all as the summary page publishes them."""
    request = context.request
    summary = reaction_summary(request.plan_id, by=request.by, period=request.period,
                               locale=request.locale, threshold=request.threshold)
    threshold = summary.threshold
    for row in summary.rows:
        shares = row.shares(threshold)
        signals = row.signals(threshold)
        ease = row.reading_ease()
        yield (*_part_cells(row.part), row.group or "",
               row.children.protected(threshold),
               *(row.counts[kind].protected(threshold) for kind in REACTION_KINDS),
               *(shares[kind] for kind in REACTION_KINDS),
               _yes_no(signals.hard_to_understand) if signals.shown else "",
               (signals.clear_majority or "") if signals.shown else "",
               ease if ease is not None else None)


def idea_status_rows(context: ExportContext) -> Iterator[tuple[Cell, ...]]:
    """Children's ideas per part and group by status (urgent items are counted inside "not
    shared" and never shown apart: that is for safeguarding leads only)."""
    request = context.request
    summary = idea_summary(request.plan_id, by=request.by, period=request.period,
                           locale=request.locale, threshold=request.threshold,
                           missing_title=_("Something missing"))
    threshold = summary.threshold
    for row in summary.rows:
        yield (*_part_cells(row.part), row.group or "",
               *(row.statuses[status].protected(threshold) for status in IDEA_STATUSES),
               row.total.protected(threshold))


def position_rows(context: ExportContext) -> Iterator[tuple[Cell, ...]]:
    """The committees' positions on each part: sessions, children present, sessions per
    position. Kept apart from individual children's counts."""
    request = context.request
    summary = committee_positions(request.plan_id, request.period, locale=request.locale,
                                  threshold=request.threshold)
    threshold = summary.threshold
    for row in summary.rows:
        yield (*_part_cells(row.part), row.sessions.protected(threshold),
               row.children.protected(threshold),
               *(row.positions[position].protected(threshold) for position in POSITIONS))


def coverage_rows(context: ExportContext) -> Iterator[tuple[Cell, ...]]:
    """Which parts committees discussed: per part, committees and sessions that did."""
    request = context.request
    summary = committee_coverage(request.plan_id, request.period, locale=request.locale,
                                 threshold=request.threshold)
    threshold = summary.threshold
    for row in summary.rows:
        sessions = row.sessions.protected(threshold)
        yield (*_part_cells(row.part), row.committees.protected(threshold), sessions,
               _yes_no(sessions.value != 0))


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


# Answers -----------------------------------------------------------------------------------


def answer_rows(context: ExportContext) -> Iterator[tuple[Cell, ...]]:
    """Published answers, one row per language, with export-local labels."""
    request = context.request
    conditions = [Answer.plan_id == request.plan_id, Answer.status == AnswerStatus.PUBLISHED]
    if request.language:
        conditions.append(AnswerText.locale == request.language)
    bounds = _period_bounds(request.period)
    if bounds is not None:
        conditions.append(Answer.published_at.between(*bounds))
    query = (
        select(Answer.id, Answer.subject, Answer.section_id, Answer.theme, Committee.name,
               Committee.name_is_public, Answer.decision, Answer.published_at, AnswerText.locale,
               AnswerText.body, AnswerText.reason)
        .join(AnswerText, AnswerText.answer_id == Answer.id)
        .outerjoin(CommitteeSession, CommitteeSession.id == Answer.committee_session_id)
        .outerjoin(Committee, Committee.id == CommitteeSession.committee_id)
        .where(*conditions)
        .order_by(Answer.published_at, Answer.id, AnswerText.locale)
    )
    labels: dict[int, str] = {}
    for row in _streamed(query):
        answer_id, subject, section_id, theme, name, public, decision, published_at = row[:8]
        locale, body, reason = row[8:]
        label = labels.setdefault(answer_id, f"answer-{len(labels) + 1:03d}")
        part = context.part(section_id) if section_id is not None else Part(None, "")
        committee = committee_label(name, bool(public)) if name is not None else ""
        yield (label, subject.value, part.number, part.title, theme or "", committee,
               decision.value, locale, body, reason or "", month_of(published_at))


def _values(members: Iterable[Any]) -> str:
    return ", ".join(member.value for member in members)


COUNT_NOTE = _l("a count: 0, a number rounded to the nearest 5, or \"<N\" when it is between 1 "
                "and N - 1 (N is the threshold)")
PART_NUMBER = Column("part_number", _l("The part's number in the plan, as children see it "
                                       "(empty: \"something missing\", or a part no longer in "
                                       "the plan)."))
PART_TITLE = Column("part_title", _l("The part's title in the exporter's language."))

# Every table an export can hold, in this order; the one place their columns are described.
TABLES: dict[str, Table] = {}


def _register(table: Table) -> Table:
    TABLES[table.name] = table
    return table


GROUP = Column("group", _l("The language (fr, en, es) or age band (%(bands)s, not_given) of "
                           "this row, as chosen when exporting; empty: everyone.",
                           bands=_values(AgeBand)))
_register(Table(
    "reactions", _l("Reactions"),
    _l("Children's one-tap reactions to each part of the plan (and the whole plan, part "
       "empty): how many children reacted and how. Every language and age band is listed, "
       "empty ones too. Committees are not counted here."),
    (
        PART_NUMBER,
        Column("part_title", _l("The part's title in the exporter's language (\"Whole plan\" "
                                "for the plan as a whole).")),
        GROUP,
        Column("children", _l("Children who reacted: %(note)s.", note=COUNT_NOTE)),
        *(Column(kind, _l("Children whose reaction was \"%(kind)s\": %(note)s.", kind=kind,
                          note=COUNT_NOTE)) for kind in REACTION_KINDS),
        *(Column(f"share_{kind}", _l("Percentage of \"%(kind)s\" (one decimal), empty when it "
                                     "could reveal a small group.", kind=kind))
          for kind in REACTION_KINDS),
        Column("hard_to_understand", _l("yes when \"confused\" (I don't understand) reaches "
                                        "%(confused)s%% or \"unsure\" and \"confused\" "
                                        "together reach %(both)s%%, else no; empty when the "
                                        "shares cannot be published.",
                                        confused=int(CONFUSED_SIGNAL),
                                        both=int(UNSURE_OR_CONFUSED_SIGNAL))),
        Column("clear_majority", _l("The reaction that reached %(majority)s%%, if one did; "
                                    "empty otherwise or when the shares cannot be published.",
                                    majority=int(MAJORITY_SIGNAL))),
        Column("reading_ease", _l("For a language's row: the part's measured reading ease in "
                                  "that language (higher is easier; 70 is the target).")),
    ),
    reaction_rows,
))
_register(Table(
    "ideas_by_status", _l("Ideas by status"),
    _l("Children's ideas on each part (and \"something missing\", and the whole plan) by "
       "status. Possible disclosures are counted inside not_shared. Committee statements are "
       "not counted here."),
    (
        PART_NUMBER,
        Column("part_title", _l("The part's title (\"Something missing\" for ideas not about "
                                "one part, \"Whole plan\" for all of them).")),
        GROUP,
        Column("waiting", _l("Ideas waiting for an adult: %(note)s.", note=COUNT_NOTE)),
        Column("shared", _l("Ideas shared with other children: %(note)s.", note=COUNT_NOTE)),
        Column("not_shared", _l("Ideas not shared: %(note)s.", note=COUNT_NOTE)),
        Column("withdrawn", _l("Ideas their authors took back: %(note)s.", note=COUNT_NOTE)),
        Column("total", _l("All of them, counted from the real data (not the sum of the "
                           "rounded cells): %(note)s.", note=COUNT_NOTE)),
    ),
    idea_status_rows,
))
_register(Table(
    "shared_ideas", _l("Shared ideas"),
    _l("Children's ideas an adult approved, exactly as they were published under the plan "
       "(never the original words). Committee statements are in their own table."),
    (
        Column("idea", _l("A label for this file only (idea-0001, idea-0002...): not a "
                          "reference to anything in the app.")),
        PART_NUMBER, PART_TITLE,
        Column("language", _l("The idea's language (fr, en, es), given only when at least "
                              "the threshold number of children sent approved ideas on this "
                              "part in this language; otherwise empty.")),
        Column("age_band", _l("The child's age band (%(bands)s), given only when at least the "
                              "threshold number of children of this part, language and age "
                              "band sent approved ideas; otherwise empty.",
                              bands=_values(AgeBand))),
        Column("month", _l("The month the idea was sent (yyyy-mm).")),
        Column("text", _l("The idea as published.")),
    ),
    shared_idea_rows,
))
_register(Table(
    "committee_statements", _l("Committee statements"),
    _l("Children's committees' recommendations, questions and minority views an adult "
       "approved, as published. They are the group's voice and are never counted with "
       "individual children's ideas."),
    (
        Column("statement", _l("A label for this file only (statement-001...).")),
        Column("committee", _l("The committee's name when it may be published, otherwise "
                               "\"A children's committee\".")),
        PART_NUMBER, PART_TITLE,
        Column("kind", _l("What it is: %(values)s.", values=_values(StatementKind))),
        Column("voice", _l("Whose words: %(values)s.", values=_values(StatementVoice))),
        Column("share_of_group", _l("How many in the group held it, in words: %(values)s "
                                    "(empty when not recorded).",
                                    values=_values(ShareOfGroup))),
        Column("language", _l("The statement's language.")),
        Column("month", _l("The month of the session (yyyy-mm).")),
        Column("text", _l("The statement as published.")),
    ),
    statement_rows,
))
_register(Table(
    "committee_positions", _l("Committee positions"),
    _l("For each part: the children's committees' sessions sent to the organisation that "
       "discussed it, the children present at them, and how many of those sessions took each "
       "position. The group's voice, never added to individual children's counts."),
    (
        PART_NUMBER, PART_TITLE,
        Column("sessions", _l("Sessions that discussed the part: %(note)s.", note=COUNT_NOTE)),
        Column("children_present", _l("Children present at those sessions (one child at "
                                      "several sessions counts each time): %(note)s.",
                                      note=COUNT_NOTE)),
        *(Column(f"sessions_{position}",
                 _l("Sessions whose position was \"%(position)s\": %(note)s.",
                    position=position, note=COUNT_NOTE))
          for position in POSITIONS),
    ),
    position_rows,
))
_register(Table(
    "answers", _l("Answers"),
    _l("The organisation's published answers to children (\"you said, we did\"), one row per "
       "language. Drafts, answers awaiting approval and withdrawn answers are not exported."),
    (
        Column("answer", _l("A label for this file only (answer-001...); the same for every "
                            "language of one answer.")),
        Column("subject", _l("What it answers: part (a part of the plan), missing (a "
                             "\"something missing\" theme) or committee_session.")),
        PART_NUMBER, PART_TITLE,
        Column("theme", _l("The organisers' name for a \"something missing\" theme.")),
        Column("committee", _l("For an answer to a committee session: the committee's name "
                               "when it may be published, otherwise \"A children's "
                               "committee\".")),
        Column("decision", _l("The decision: %(values)s.", values=_values(Decision))),
        Column("language", _l("The language of this text.")),
        Column("text", _l("The answer as children read it.")),
        Column("reason", _l("Why, when the decision is not_now or cannot.")),
        Column("month", _l("The month it was published (yyyy-mm).")),
    ),
    answer_rows,
))
_register(Table(
    "coverage", _l("Coverage by committees"),
    _l("Which parts of the plan children's committees discussed in the sessions they sent."),
    (
        PART_NUMBER, PART_TITLE,
        Column("committees", _l("Committees that discussed the part: %(note)s.",
                                note=COUNT_NOTE)),
        Column("sessions", _l("Sessions that discussed the part: %(note)s.", note=COUNT_NOTE)),
        Column("covered", _l("yes when at least one committee discussed the part, else no.")),
    ),
    coverage_rows,
))
# The fixed order of tables in a file and on the page.
TABLE_ORDER = ("reactions", "ideas_by_status", "shared_ideas", "committee_positions",
               "committee_statements", "answers", "coverage")
TABLES = {name: TABLES[name] for name in TABLE_ORDER}


# --- Writers --------------------------------------------------------------------------------


@dataclass
class Tally:
    """Rows written per table, filled in while a file is produced."""

    rows: dict[str, int] = field(default_factory=dict)


def chosen_tables(request: ExportRequest) -> list[Table]:
    """The chosen tables in their fixed order (unknown names were refused by the form)."""
    return [table for name, table in TABLES.items() if name in request.tables]


def _text_cells(row: tuple[Cell, ...]) -> list[Any]:
    """A row for CSV: text escaped, counts as digits or "<10" (the csv module writes numbers
    as digits and None as an empty cell itself). Written for speed: 100,000 rows pass here."""
    return [
        ("'" + value if value.startswith(FORMULA_STARTS) else value)
        if value.__class__ is str
        else (value.as_export() if isinstance(value, Protected) else value)
        for value in row
    ]


def _json_value(value: Cell) -> Any:
    if isinstance(value, Protected):
        return value.value if not value.below else value.as_export()
    if isinstance(value, str):
        return escape_formula(value)
    return value


def _xlsx_value(value: Cell) -> Any:
    if isinstance(value, Protected):
        return value.value if not value.below else value.as_export()
    if isinstance(value, str):
        return _XML_ILLEGAL.sub("", escape_formula(value))
    return value


class _Sink:
    """A write-only file whose bytes are collected until the generator sends them."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def drain(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _csv_text(table: Table, context: ExportContext, tally: Tally) -> Iterator[str]:
    """One table as CSV text, a batch of rows at a time (the header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.headers)
    count = 0
    tally.rows[table.name] = 0
    for row in table.rows(context):
        writer.writerow(_text_cells(row))
        count += 1
        if count % BATCH == 0:
            tally.rows[table.name] = count
            yield buffer.getvalue()
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
    tally.rows[table.name] = count
    yield buffer.getvalue()


def csv_file(context: ExportContext, tally: Tally) -> Iterator[bytes]:
    """One table: a UTF-8 CSV with a byte-order mark (spreadsheets then read the accents
    right). Several: a zip of such CSVs, streamed as it is written."""
    tables = chosen_tables(context.request)
    if len(tables) == 1:
        yield BOM.encode("utf-8")
        for text in _csv_text(tables[0], context, tally):
            yield text.encode("utf-8")
        return
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            with archive.open(f"{table.name}.csv", "w", force_zip64=True) as member:
                member.write(BOM.encode("utf-8"))
                for text in _csv_text(table, context, tally):
                    member.write(text.encode("utf-8"))
                    data = sink.drain()
                    if data:
                        yield data
            yield sink.drain()
    yield sink.drain()


def about_rows(context: ExportContext) -> list[tuple[str, str]]:
    """The "About this file" sheet: what the file is, the rules, and every column."""
    request = context.request
    meta = metadata(context)
    rows: list[tuple[str, str]] = [
        (_("About this file"), ""),
        (_("Plan"), meta["plan"]),
        (_("Exported on"), meta["exported_on"]),
        (_("Period"), meta["period"]["name"] if meta["period"] else _("Everything so far")),
    ]
    if meta["period"]:
        rows.append((_("Period dates"), f"{meta['period']['starts_on']} / "
                                        f"{meta['period']['ends_on']}"))
    rows += [
        (_("Threshold"), str(request.threshold)),
        (_("Suppression rule"), meta["suppression_rule"]),
        (_("Text cells"), meta["text_escaping"]),
        (_("Breakdown"), meta["filters"]["by_label"]),
        (_("Language of texts"), request.language or _("All languages")),
        ("", ""),
    ]
    for table in chosen_tables(request):
        rows.append((str(table.title), str(table.description)))
        rows.append((_("Sheet"), table.name))
        rows += [(column.name, str(column.description)) for column in table.columns]
        rows.append(("", ""))
    return rows


def xlsx_file(context: ExportContext, tally: Tally) -> Iterator[bytes]:
    """One sheet per table and an "About this file" sheet, written in openpyxl's write-only
    mode into a spooled temporary file, then sent in chunks (an XLSX is a zip whose
    directory comes last: nothing can be sent before it is complete)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    about = workbook.create_sheet(_("About this file")[:31])
    for key, text in about_rows(context):
        about.append([_xlsx_value(key), _xlsx_value(text)])
    for table in chosen_tables(context.request):
        sheet = workbook.create_sheet(table.name)
        sheet.append(table.headers)
        count = 0
        for row in table.rows(context):
            sheet.append([_xlsx_value(value) for value in row])
            count += 1
        tally.rows[table.name] = count
    with tempfile.SpooledTemporaryFile(max_size=XLSX_SPOOL_BYTES) as spool:
        workbook.save(spool)
        spool.seek(0)
        while chunk := spool.read(CHUNK_BYTES):
            yield chunk


def json_file(context: ExportContext, tally: Tally) -> Iterator[bytes]:
    """``{"metadata": ..., "tables": {name: [row objects]}, "row_counts": ...}``, streamed."""
    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    yield ('{"metadata":' + dump(metadata(context)) + ',"tables":{').encode("utf-8")
    for index, table in enumerate(chosen_tables(context.request)):
        parts = [("," if index else "") + dump(table.name) + ":["]
        count = 0
        for row in table.rows(context):
            record = {name: _json_value(value) for name, value in zip(table.headers, row,
                                                                      strict=True)}
            parts.append(("," if count else "") + dump(record))
            count += 1
            if count % BATCH == 0:
                tally.rows[table.name] = count
                yield "".join(parts).encode("utf-8")
                parts.clear()
        tally.rows[table.name] = count
        parts.append("]")
        yield "".join(parts).encode("utf-8")
    yield ('},"row_counts":' + dump(tally.rows) + "}").encode("utf-8")


BREAKDOWN_LABELS = {None: _l("Whole plan only"), "locale": _l("By language"),
                    "age_band": _l("By age band")}
SUPPRESSION_RULE = _l(
    "0 is shown as 0; 1 to %(below)s children are shown as \"<%(threshold)s\"; %(threshold)s and "
    "more are rounded to the nearest 5. A percentage is given only when its total reaches "
    "%(threshold)s and its own count is 0 or reaches %(threshold)s; when one share of a whole "
    "is hidden, the smallest other one is hidden too. Totals are computed from the real data, "
    "then protected the same way.")
ESCAPING_NOTE = _l(
    "A text that starts with = + - @, a tab or a carriage return begins with a single quote "
    "(') so that no spreadsheet runs it as a formula; the quote is not part of the text.")


def metadata(context: ExportContext) -> dict[str, Any]:
    """What the file is and how to read it (the JSON metadata, and the XLSX "about" sheet)."""
    request = context.request
    view = plan_view_for(request.plan_id, request.locale)
    period = request.period
    return {
        "plan": escape_formula(view.title),
        "plan_version": view.version,
        "exported_on": datetime.now(UTC).date().isoformat(),
        "period": None if period is None else {
            "name": escape_formula(period.name), "starts_on": period.starts_on.isoformat(),
            "ends_on": period.ends_on.isoformat(), "frozen": period.is_closed},
        "threshold": request.threshold,
        "suppression_rule": str(SUPPRESSION_RULE % {"below": request.threshold - 1,
                                                    "threshold": request.threshold}),
        "text_escaping": str(ESCAPING_NOTE),
        "filters": {"by": request.by, "by_label": str(BREAKDOWN_LABELS[request.by]),
                    "language": request.language},
        "tables": {
            table.name: {"title": str(table.title), "description": str(table.description),
                         "columns": [{"name": column.name,
                                      "description": str(column.description)}
                                     for column in table.columns]}
            for table in chosen_tables(request)
        },
    }


WRITERS: dict[str, Callable[[ExportContext, Tally], Iterator[bytes]]] = {
    "csv": csv_file, "xlsx": xlsx_file, "json": json_file,
}


def file_name(request: ExportRequest) -> tuple[str, str]:
    """The download's name and media type ("participation-shared_ideas-2026-05.csv")."""
    tables = chosen_tables(request)
    stem = "participation-" + (tables[0].name if len(tables) == 1 else "tables")
    stem += "-" + month_of(datetime.now(UTC))
    if request.format == "csv" and len(tables) > 1:
        return stem + ".zip", MEDIA_TYPES["zip"]
    return f"{stem}.{request.format}", MEDIA_TYPES[request.format]


def export_bytes(request: ExportRequest, tally: Tally) -> Iterator[bytes]:
    """The file's bytes, in order, as they are produced."""
    return WRITERS[request.format](ExportContext(request), tally)
