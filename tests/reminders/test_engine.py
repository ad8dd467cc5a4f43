"""The reminder rules as pure functions of rows and a clock: no database, no sleeping."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from odrchat.reminders.engine import LATE, stage
from odrchat.reminders.sources import (
    AwaitingMediator,
    AwaitingSignature,
    ConsentSource,
    ExpiringOffer,
    HearingSource,
    InvitationSource,
    MediatorSource,
    MissingConsent,
    OfferSource,
    OpenInvitation,
    SignatureSource,
    UpcomingHearing,
)

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
DAY = timedelta(days=1)
MIN = timedelta(minutes=1)
LA = ZoneInfo("America/Los_Angeles")


def test_stage_is_the_latest_mark_reached_and_never_stale() -> None:
    marks = [("3d", T0 + 3 * DAY), ("7d", T0 + 7 * DAY)]
    assert stage(T0 + 3 * DAY - MIN, marks) is None
    assert stage(T0 + 3 * DAY, marks) == "3d"
    assert stage(T0 + 7 * DAY - MIN, marks) is None  # 3d is more than LATE late by now
    assert stage(T0 + 3 * DAY + LATE - MIN, marks) == "3d"
    assert stage(T0 + 7 * DAY + MIN, marks) == "7d"
    assert stage(T0 + 7 * DAY + LATE, marks) is None
    assert stage(T0 + 7 * DAY + MIN, marks, end=T0 + 7 * DAY) is None


def _invitation() -> OpenInvitation:
    return OpenInvitation(
        id=12,
        case_id=3,
        label="24SC01234",
        created_at=T0,
        expires_at=T0 + 14 * DAY,
        email="dana@example.org",
        name="Dana",
        inviter_id=7,
        language="en",
    )


def test_unanswered_invitation_reminds_invitee_and_inviter_at_3_and_7_days() -> None:
    source, rows = InvitationSource(), [_invitation()]
    assert source.due(rows, T0 + 3 * DAY - MIN) == []
    (third,) = source.due(rows, T0 + 3 * DAY)
    assert third.key == "invitation.unanswered:12:3d"
    assert [(x.to.email, x.to.user_id) for x in third.letters] == [
        ("dana@example.org", None),
        (None, 7),
    ]
    assert "not answered" in third.letters[1].write().subject
    (seventh,) = source.due(rows, T0 + 7 * DAY + MIN)
    assert seventh.key == "invitation.unanswered:12:7d"
    # Past its expiry an invitation reminds nobody (it cannot be used any more).
    short = [replace(_invitation(), expires_at=T0 + 5 * DAY)]
    assert source.due(short, T0 + 7 * DAY + MIN) == []


def test_missing_consent_reminds_the_party_at_2_and_5_days() -> None:
    rows = [MissingConsent(40, 3, "24SC01234", 8, T0, "en")]
    source = ConsentSource()
    assert source.due(rows, T0 + 2 * DAY - MIN) == []
    assert [r.key for r in source.due(rows, T0 + 2 * DAY)] == ["consent.missing:40:2d"]
    assert [r.key for r in source.due(rows, T0 + 5 * DAY)] == ["consent.missing:40:5d"]


def test_unassigned_case_reaches_every_admin_after_2_days() -> None:
    rows = [AwaitingMediator(3, "24SC01234", T0, ((1, "en"), (2, "es")))]
    source = MediatorSource()
    assert source.due(rows, T0 + 2 * DAY - MIN) == []
    (r,) = source.due(rows, T0 + 2 * DAY)
    assert r.key == "mediator.unassigned:3:2d"
    assert [x.to.user_id for x in r.letters] == [1, 2]
    assert r.letters[0].write().subject == "No mediator assigned to 24SC01234 for 2 days"
    assert r.letters[1].write().subject == "24SC01234 lleva 2 días sin mediador asignado"


def test_signature_reminders_belong_to_one_text_of_the_agreement() -> None:
    rows = [AwaitingSignature(5, 3, "24SC01234", "abcdef012345", T0, ((8, "en"),))]
    source = SignatureSource()
    (r,) = source.due(rows, T0 + 2 * DAY)
    assert r.key == "signature.waiting:5:abcdef012345-2d"
    assert r.topic == "offers"  # required: a signature has consequences
    signed = [AwaitingSignature(5, 3, "24SC01234", "abcdef012345", T0, ())]
    assert source.due(signed, T0 + 2 * DAY) == []


def test_offer_reminder_a_day_before_its_deadline_only_for_those_to_answer() -> None:
    deadline = T0 + 3 * DAY
    rows = [ExpiringOffer(9, 3, "24SC01234", T0, deadline, ((8, "en"),))]
    source = OfferSource()
    assert source.due(rows, deadline - DAY - MIN) == []
    (r,) = source.due(rows, deadline - DAY)
    assert r.key == "offer.expiring:9:24h"
    assert [x.to.user_id for x in r.letters] == [8]
    assert source.due(rows, deadline) == []
    # An offer made with less than a day to go had its own notice; no reminder.
    late = [ExpiringOffer(9, 3, "24SC01234", deadline - DAY + MIN, deadline, ((8, "en"),))]
    assert source.due(late, deadline - MIN) == []


def test_hearing_reminders_7_and_2_days_before_at_nine_centre_time() -> None:
    hearing = date(2026, 3, 20)
    rows = [UpcomingHearing(3, "24SC01234", hearing, ((7, "en"), (8, "es"), (9, "en")))]
    source = HearingSource(LA)
    nine = datetime(2026, 3, 13, 9, 0, tzinfo=LA)
    assert source.due(rows, nine - MIN) == []
    (r,) = source.due(rows, nine)
    assert r.key == "hearing.approaching:3:2026-03-20-7d"
    assert r.topic == "case"
    assert [x.to.user_id for x in r.letters] == [7, 8, 9]
    words = r.letters[0].write()
    assert "Mediation must finish before your court date" in words.text
    assert "Mediation must finish before your court date" in " ".join(words.paragraphs)
    spanish = r.letters[1].write()  # user 8 reads Spanish
    assert "La mediación debe terminar antes de esa fecha" in spanish.text
    (r2,) = source.due(rows, datetime(2026, 3, 18, 9, 0, tzinfo=LA))
    assert r2.key == "hearing.approaching:3:2026-03-20-2d"
    assert source.due(rows, datetime(2026, 3, 20, 0, 0, tzinfo=LA)) == []


def test_no_reminder_text_fits_more_than_one_sms_segment_before_its_link() -> None:
    hearing = date(2026, 3, 20)
    source = HearingSource(LA)
    (r,) = source.due(
        [UpcomingHearing(3, "24SC01234", hearing, ((7, "en"),))],
        datetime(2026, 3, 18, 9, tzinfo=LA),
    )
    assert len(r.letters[0].write().text) <= 120
