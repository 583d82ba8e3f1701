"""Classroom services: codes, the time window, the join cap, counts (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from flask import Flask, session
from flask_limiter import Limiter
from sqlalchemy import event, func, select

from participation.accounts.models import Role, User
from participation.audit.models import AuditEvent
from participation.classrooms import services
from participation.classrooms.models import ClassroomCount, ClassroomMetric, ClassroomSession
from participation.classrooms.services import (
    CODE_ALPHABET,
    CODE_BITS,
    ClassroomError,
    ClassroomRef,
    JoinError,
    classroom_limits,
    classroom_rate_key,
    count_activity,
    current_classroom,
    end_classroom,
    find_open_classroom,
    format_code,
    join_cap,
    join_classroom,
    live_counts,
    new_code,
    normalise_code,
    start_classroom,
)
from participation.db import db, utcnow
from participation.plans.content import PlanContent
from participation.plans.queries import get_plan_view
from tests.classrooms.conftest import make_user, open_classroom


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    assert user is not None
    return user


# --- Codes ------------------------------------------------------------------------------------


def test_codes_use_an_unambiguous_alphabet_and_about_40_bits() -> None:
    assert len(CODE_ALPHABET) == len(set(CODE_ALPHABET)) == 31
    assert not set("0O1IL") & set(CODE_ALPHABET)
    assert CODE_BITS > 39.6  # 31^8: the 40-bit target less the five confusable characters
    codes = [new_code() for _ in range(3000)]
    assert all(len(code) == 8 and set(code) <= set(CODE_ALPHABET) for code in codes)
    assert len(set(codes)) == len(codes)
    # Every symbol turns up at every position (a short alphabet or a fixed position fails).
    for position in range(8):
        seen = Counter(code[position] for code in codes)
        assert set(seen) == set(CODE_ALPHABET), position
        assert max(seen.values()) < 3 * min(seen.values())


def test_a_code_never_spells_an_insult(monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter(["FUCKABCD", "XXPUTEXX", "ABCDEFGH"])
    monkeypatch.setattr(services, "_random_code", lambda: next(draws))
    assert new_code() == "ABCDEFGH"


@pytest.mark.parametrize("typed", ["ABCD-EFGH", "abcdefgh", " abcd efgh ", "AbCd - eFgH",
                                   "ABCD\u2013EFGH"])
def test_codes_are_accepted_with_or_without_the_dash_in_any_case(typed: str) -> None:
    assert normalise_code(typed) == "ABCDEFGH"


@pytest.mark.parametrize("typed", ["", "ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFG0", "OBCD-EFGH",
                                   "1BCD-EFGH", "ABCD-EFGL", "ABCD-EFGI", "ABCD_EFGH", "ÀBCD-EFGH"])
def test_malformed_codes_are_refused(typed: str) -> None:
    assert normalise_code(typed) is None


def test_codes_are_shown_in_two_groups() -> None:
    assert format_code("ABCDEFGH") == "ABCD-EFGH"


def test_a_code_already_in_use_is_drawn_again(app: Flask, facilitator: int,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _, first = open_classroom(app, facilitator)
    draws = iter([first, first, "ZZZZ2345"])
    monkeypatch.setattr(services, "_random_code", lambda: next(draws))
    _, second = open_classroom(app, facilitator)
    assert second == "ZZZZ2345"


# --- Starting and ending -----------------------------------------------------------------------


def test_a_session_starts_now_for_its_minutes_and_is_audited(app: Flask, facilitator: int) -> None:
    now = utcnow()
    classroom_id, code = open_classroom(app, facilitator, minutes=45, now=now)
    with app.app_context():
        classroom = db.session.get(ClassroomSession, classroom_id)
        assert classroom is not None
        assert classroom.starts_at == now and classroom.ends_at == now + timedelta(minutes=45)
        assert find_open_classroom(code, now) is not None
        assert find_open_classroom(format_code(code).lower(), now) is not None
        assert find_open_classroom(code, now + timedelta(minutes=44, seconds=59)) is not None
        assert find_open_classroom(code, now + timedelta(minutes=45)) is None
        assert find_open_classroom(code, now - timedelta(seconds=1)) is None
        assert find_open_classroom("ZZZZ-ZZZZ", now) is None
        event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "classroom.start"))
        assert event_ is not None and event_.actor_id == facilitator
        assert event_.object_id == str(classroom_id)
        assert code not in str(event_.details) and "Year 6" not in str(event_.details)


@pytest.mark.parametrize(("field", "value", "error"), [
    ("expected_children", 0, "bad_expected"), ("expected_children", 201, "bad_expected"),
    ("minutes", 14, "bad_minutes"), ("minutes", 481, "bad_minutes"),
    ("locale", "de", "bad_locale"), ("name", "   ", "bad_name"), ("name", "x" * 121, "bad_name"),
])
def test_start_checks_its_arguments(app: Flask, facilitator: int, field: str, value: object,
                                    error: str) -> None:
    arguments: dict[str, object] = {"name": "Year 6", "expected_children": 30, "minutes": 60,
                                     "locale": "en"}
    arguments[field] = value
    with app.app_context():
        with pytest.raises(ClassroomError) as raised:
            start_classroom(**arguments, user=_user(facilitator))  # type: ignore[arg-type]
        assert raised.value.code == error
        assert db.session.scalar(select(func.count()).select_from(ClassroomSession)) == 0


def test_bounds_are_accepted(app: Flask, facilitator: int) -> None:
    open_classroom(app, facilitator, expected=1, minutes=15)
    open_classroom(app, facilitator, expected=200, minutes=480)


def test_only_facilitators_organisers_and_admins_start_sessions(app: Flask) -> None:
    lead = make_user(app, "lead@example.org", Role.SAFEGUARDING_LEAD)
    with app.app_context(), pytest.raises(ClassroomError) as raised:
        start_classroom(name="x", expected_children=5, minutes=60, locale="en", user=_user(lead))
    assert raised.value.code == "forbidden"


def test_ending_twice_is_harmless_and_audited_once(app: Flask, facilitator: int) -> None:
    classroom_id, code = open_classroom(app, facilitator)
    with app.app_context():
        classroom = db.session.get(ClassroomSession, classroom_id)
        assert classroom is not None
        assert end_classroom(classroom, _user(facilitator)) is True
        db.session.commit()
        assert end_classroom(classroom, _user(facilitator)) is False
        db.session.commit()
        assert classroom.ended_at is not None
        assert find_open_classroom(code) is None
        ends = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "classroom.end"))
        assert ends == 1


def test_someone_else_cannot_end_a_session(app: Flask, facilitator: int) -> None:
    other = make_user(app, "other@example.org", Role.FACILITATOR)
    admin = make_user(app, "admin@example.org", Role.ADMIN)
    classroom_id, _ = open_classroom(app, facilitator)
    with app.app_context():
        classroom = db.session.get(ClassroomSession, classroom_id)
        assert classroom is not None
        with pytest.raises(ClassroomError):
            end_classroom(classroom, _user(other))
        assert end_classroom(classroom, _user(admin)) is True


def test_a_session_past_its_time_cannot_be_ended(app: Flask, facilitator: int) -> None:
    classroom_id, _ = open_classroom(app, facilitator, minutes=15)
    with app.app_context():
        classroom = db.session.get(ClassroomSession, classroom_id)
        assert classroom is not None
        later = utcnow() + timedelta(minutes=16)
        assert end_classroom(classroom, _user(facilitator), now=later) is False
        assert classroom.ended_at is None


# --- Joining -----------------------------------------------------------------------------------


def _joined_count(classroom_id: int) -> int:
    count = db.session.scalar(select(ClassroomCount.count).where(
        ClassroomCount.classroom_id == classroom_id,
        ClassroomCount.metric == ClassroomMetric.JOINED))
    return count or 0


def test_a_tablet_joins_and_keeps_the_session_in_its_cookie(app: Flask, facilitator: int) -> None:
    classroom_id, code = open_classroom(app, facilitator, expected=12)
    with app.test_request_context():
        ref = join_classroom(format_code(code).lower())
        db.session.commit()
        assert ref.id == classroom_id and ref.expected_children == 12 and ref.code == code
        assert current_classroom() == ref
        assert set(session["classroom"]) == {"id", "code", "expected", "closes"}
        # Joining again from the same tablet (a second scan) is not a new child.
        join_classroom(code)
        db.session.commit()
        assert _joined_count(classroom_id) == 1


def test_current_classroom_reads_the_cookie_only(app: Flask, facilitator: int) -> None:
    _, code = open_classroom(app, facilitator, minutes=15)
    with app.test_request_context():
        ref = join_classroom(code)
        db.session.commit()
        statements: list[str] = []

        def record(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert current_classroom() == ref
            assert current_classroom(ref.closes_at - timedelta(seconds=1)) == ref
            assert current_classroom(ref.closes_at) is None
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert statements == []
    with app.test_request_context():
        assert current_classroom() is None
        session["classroom"] = {"id": "x"}
        assert current_classroom() is None


def test_joining_a_closed_or_unknown_session_fails(app: Flask, facilitator: int) -> None:
    classroom_id, code = open_classroom(app, facilitator, minutes=15)
    with app.test_request_context():
        for typed, reason in (("ZZZZ-ZZZZ", "unknown"), ("hello", "unknown"), ("", "unknown")):
            with pytest.raises(JoinError) as raised:
                join_classroom(typed)
            assert raised.value.code == reason
        with pytest.raises(JoinError) as raised:
            join_classroom(code, now=utcnow() + timedelta(minutes=15))
        assert raised.value.code == "closed"
        classroom = db.session.get(ClassroomSession, classroom_id)
        assert classroom is not None
        end_classroom(classroom, None)
        db.session.commit()
        with pytest.raises(JoinError) as raised:
            join_classroom(code)
        assert raised.value.code == "closed"
        assert "classroom" not in session


def test_the_join_cap() -> None:
    assert join_cap(1) == 11
    assert join_cap(10) == 20
    assert join_cap(30) == 60
    assert join_cap(200) == 400


def test_a_full_session_refuses_more_tablets(app: Flask, facilitator: int) -> None:
    classroom_id, code = open_classroom(app, facilitator, expected=1)
    for _tablet in range(join_cap(1)):
        with app.test_request_context():  # a new tablet, or one after "I'm finished"
            join_classroom(code)
            db.session.commit()
    with app.test_request_context():
        with pytest.raises(JoinError) as raised:
            join_classroom(code)
        assert raised.value.code == "full"
        db.session.rollback()
        assert _joined_count(classroom_id) == 11


# --- Counts and limits ------------------------------------------------------------------------


def test_live_counts_per_part_in_reading_order(app: Flask, facilitator: int,
                                               demo_plan: PlanContent) -> None:
    classroom_id, code = open_classroom(app, facilitator, locale="fr")
    with app.test_request_context():
        plan = get_plan_view("fr")
        assert plan is not None
        first, second = (plan.section_ids[s.slug] for s in plan.sections[:2])
        join_classroom(code)
        for metric, section_id in [(ClassroomMetric.PART_OPENED, first),
                                   (ClassroomMetric.PART_OPENED, second),
                                   (ClassroomMetric.PART_OPENED, second),
                                   (ClassroomMetric.REACTION, second),
                                   (ClassroomMetric.IDEA, first),
                                   (ClassroomMetric.IDEA, 0)]:
            count_activity(classroom_id, metric, section_id)
        db.session.commit()
        classroom = db.session.get(ClassroomSession, classroom_id)
        assert classroom is not None
        counts = live_counts(classroom)
    assert (counts.joined, counts.parts_opened, counts.reactions, counts.ideas) == (1, 3, 1, 2)
    assert [p.title for p in counts.parts] == [s.title for s in plan.sections]
    assert (counts.parts[0].opened, counts.parts[0].reactions, counts.parts[0].ideas) == (1, 0, 1)
    assert (counts.parts[1].opened, counts.parts[1].reactions, counts.parts[1].ideas) == (2, 1, 0)
    assert counts.other is not None and counts.other.ideas == 1
    data = counts.as_dict()
    assert data["joined"] == 1 and len(data["parts"]) == len(plan.sections) + 1


def test_counts_of_another_session_stay_apart(app: Flask, facilitator: int) -> None:
    first, _ = open_classroom(app, facilitator)
    second, _ = open_classroom(app, facilitator)
    with app.app_context():
        count_activity(first, ClassroomMetric.IDEA)
        db.session.commit()
        classroom = db.session.get(ClassroomSession, second)
        assert classroom is not None
        assert live_counts(classroom).ideas == 0


def test_count_activity_is_atomic_under_concurrent_requests(app: Flask, facilitator: int) -> None:
    """Threads, each with its own connection, increment one counter: no count is lost."""
    classroom_id, _ = open_classroom(app, facilitator)
    threads_n, per_thread = 8, 25
    errors: list[BaseException] = []
    start = threading.Barrier(threads_n)

    def work() -> None:
        try:
            with app.app_context():
                start.wait()
                for _ in range(per_thread):
                    count_activity(classroom_id, ClassroomMetric.IDEA, 7)
                    db.session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with app.app_context():
        rows = db.session.scalars(select(ClassroomCount).where(
            ClassroomCount.classroom_id == classroom_id)).all()
        assert [(r.section_id, r.metric, r.count) for r in rows] == [
            (7, ClassroomMetric.IDEA, threads_n * per_thread)]


def test_concurrent_joins_never_pass_the_cap(app: Flask, facilitator: int) -> None:
    classroom_id, code = open_classroom(app, facilitator, expected=5)  # cap 15
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(10)

    def tablet() -> None:
        start.wait()
        for _ in range(3):
            with app.test_request_context():
                try:
                    join_classroom(code)
                    db.session.commit()
                    result = "joined"
                except JoinError as error:
                    db.session.rollback()
                    result = error.code
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=tablet) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Counter(outcomes) == {"joined": 15, "full": 15}
    with app.app_context():
        assert _joined_count(classroom_id) == 15


def test_per_session_limits_scale_with_the_class() -> None:
    ref = ClassroomRef(1, "ABCDEFGH", 30, utcnow())
    assert classroom_limits(None) == ""
    assert classroom_limits(ref) == "90 per minute"
    assert classroom_limits(ref, ClassroomMetric.IDEA) == "90 per minute"
    assert classroom_limits(ref, ClassroomMetric.REACTION) == "300 per minute"
    with pytest.raises(ValueError):
        classroom_limits(ref, ClassroomMetric.JOINED)


def test_the_documented_limiter_wiring_moves_a_class_off_the_address_limit() -> None:
    """The wiring in classroom_limits' docstring, on a small app of its own: tablets behind one
    address share its limit until they join; then the session's limit applies instead."""
    wired = Flask("wiring")
    wired.secret_key = "test"
    own_limiter = Limiter(key_func=lambda: "addr:one-school", storage_uri="memory://")
    own_limiter.init_app(wired)

    @wired.post("/join/<int:expected>")
    def join(expected: int) -> str:
        session["classroom"] = {"id": 7, "code": "ABCDEFGH", "expected": expected,
                                "closes": int(time.time()) + 600}
        return "joined"

    @wired.post("/idea")
    @own_limiter.limit(lambda: classroom_limits(current_classroom()),
                       key_func=classroom_rate_key)
    @own_limiter.limit("4 per minute", exempt_when=lambda: current_classroom() is not None)
    def idea() -> str:
        return "stored"

    tablets = [wired.test_client() for _ in range(6)]
    statuses = [tablet.post("/idea").status_code for tablet in tablets]
    assert statuses == [200, 200, 200, 200, 429, 429]  # one address: 4 a minute for all
    for tablet in tablets:
        tablet.post("/join/2")  # a class of 2 expected: 6 ideas a minute for the session
    statuses = [tablet.post("/idea").status_code for tablet in tablets for _ in range(2)]
    assert statuses.count(200) == 6 and statuses[-1] == 429
