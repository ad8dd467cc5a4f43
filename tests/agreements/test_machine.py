"""The agreement machine, walked exhaustively and rule by rule."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from odrchat.agreements.machine import (
    Agreement,
    AgreementEdited,
    AgreementError,
    AgreementFiled,
    AgreementSigned,
    AgreementStatus,
    AttorneyAuthorised,
    Authorisation,
    AuthoriseAttorney,
    Command,
    Edit,
    Event,
    Filing,
    MarkFiled,
    RecordPaperSignature,
    SendForSignature,
    SentForSignature,
    Sign,
    Signature,
    SignatureRecorded,
    SignaturesVoided,
    SigningMethod,
    apply,
    document_hash,
    new_agreement,
)
from odrchat.cases.kinds import CaseKind
from odrchat.cases.roles import Actor, Role, Side

T0 = datetime(2026, 3, 2, 17, 5, tzinfo=UTC)
TEXT = "Settlement Agreement\n\nAnn “Annie” O’Neil pays José Núñez $1,250.00 by 2026-04-01.\n"

ACTORS = {
    "plaintiff": Actor(1, Role.PARTY, Side.PLAINTIFF),
    "defendant": Actor(2, Role.PARTY, Side.DEFENDANT),
    "attorney_authorised": Actor(3, Role.ATTORNEY, Side.PLAINTIFF),
    "attorney_unauthorised": Actor(4, Role.ATTORNEY, Side.DEFENDANT),
    "mediator": Actor(5, Role.MEDIATOR),
    "co_mediator": Actor(6, Role.CO_MEDIATOR),
    "observer": Actor(7, Role.OBSERVER),
    "admin": Actor(8, Role.ADMIN),
}
NAMES = {1: "José Núñez", 2: "Ann “Annie” O’Neil", 3: "Lee Counsel", 4: "Kim Counsel"}
STATES = ("draft", "out", "out_plaintiff_signed", "signed", "filed")
COMMANDS = ("edit", "send", "sign", "paper", "authorise", "file")


def signature(user_id: int, side: Side, role: Role = Role.PARTY, sha: str = "") -> Signature:
    return Signature(
        user_id, side, role, NAMES[user_id], T0, "203.0.113.9", "UA", sha or document_hash(TEXT), T0
    )


def agreement(kind: CaseKind, state: str) -> Agreement:
    """An agreement in `state` whose plaintiff authorised attorney 3 (even in civil harassment,
    so the test proves the kind rule rather than a missing authorisation)."""
    base = replace(
        new_agreement(kind, TEXT),
        authorisations=(Authorisation(3, Side.PLAINTIFF, 1, T0),),
    )
    both = (signature(1, Side.PLAINTIFF), signature(2, Side.DEFENDANT))
    return {
        "draft": base,
        "out": replace(base, status=AgreementStatus.OUT_FOR_SIGNATURE),
        "out_plaintiff_signed": replace(
            base, status=AgreementStatus.OUT_FOR_SIGNATURE, signatures=both[:1]
        ),
        "signed": replace(base, status=AgreementStatus.SIGNED, signatures=both),
        "filed": replace(base, status=AgreementStatus.FILED, signatures=both),
    }[state]


def command(name: str, actor: Actor, current: Agreement) -> Command:
    """A well-formed command of each kind, so only the rules under test can refuse it."""
    if name == "edit":
        return Edit(current.text + "Clarified.\n", T0)
    if name == "send":
        return SendForSignature()
    if name == "authorise":
        return AuthoriseAttorney(4, T0)
    if name == "file":  # a community agreement is kept on file by the centre: no reference
        reference = "" if current.kind is CaseKind.COMMUNITY else "SC-REF-77"
        return MarkFiled(date(2026, 3, 5), reference)
    if name == "paper":  # the defendant's wet-ink signature, recorded by whoever acts
        return RecordPaperSignature(
            2, Side.DEFENDANT, NAMES[2], T0, current.document_sha256, T0 + timedelta(hours=1)
        )
    name_on_record = NAMES.get(actor.user_id, "Someone Neutral")
    return Sign(
        typed_name=name_on_record,
        expected_name=name_on_record,
        document_sha256=current.document_sha256,
        esign_consent=True,
        agree_bound=True,
        ip="203.0.113.9",
        user_agent="UA",
        at=T0,
    )


def expected(kind: CaseKind, state: str, cmd: str, who: str) -> str | AgreementStatus:
    """The rules restated in prose order: an error code, or the status afterwards."""
    editable = state in ("draft", "out", "out_plaintiff_signed")
    if cmd == "file":  # every kind: a court files it, the centre keeps a community one
        if state != "signed":
            return "wrong_status"
        return AgreementStatus.FILED if who == "admin" else "forbidden"
    if cmd == "edit":
        if not editable:
            return "wrong_status"
        return AgreementStatus.DRAFT if who in ("mediator", "co_mediator") else "forbidden"
    if cmd == "send":
        if state != "draft":
            return "wrong_status"
        return AgreementStatus.OUT_FOR_SIGNATURE if who == "mediator" else "forbidden"
    if cmd == "authorise":
        if not editable:
            return "wrong_status"
        if who not in ("plaintiff", "defendant"):
            return "forbidden"
        if kind is CaseKind.CIVIL_HARASSMENT:
            return "attorney_signing_barred"
        return agreement(kind, state).status
    if cmd == "paper":
        if state not in ("out", "out_plaintiff_signed"):
            return "wrong_status"
        if who not in ("mediator", "co_mediator", "admin"):
            return "forbidden"
        return (
            AgreementStatus.SIGNED
            if state == "out_plaintiff_signed"
            else (AgreementStatus.OUT_FOR_SIGNATURE)
        )
    # sign
    if state not in ("out", "out_plaintiff_signed"):
        return "wrong_status"
    if who not in ("plaintiff", "defendant", "attorney_authorised", "attorney_unauthorised"):
        return "forbidden"
    if who.startswith("attorney") and kind is CaseKind.CIVIL_HARASSMENT:
        return "attorney_signing_barred"
    if who == "attorney_unauthorised":
        return "attorney_not_authorised"
    side = Side.DEFENDANT if who == "defendant" else Side.PLAINTIFF
    if state == "out_plaintiff_signed":
        return "already_signed" if side is Side.PLAINTIFF else AgreementStatus.SIGNED
    return AgreementStatus.OUT_FOR_SIGNATURE


CASES = list(itertools.product(CaseKind, STATES, COMMANDS, ACTORS))


def test_exhaustive_grid_covers_every_combination() -> None:
    assert len(CASES) == 4 * 5 * 6 * 8


@pytest.mark.parametrize(("kind", "state", "cmd", "who"), CASES)
def test_every_kind_status_command_and_actor(
    kind: CaseKind, state: str, cmd: str, who: str
) -> None:
    before = agreement(kind, state)
    snapshot = replace(before)
    actor = ACTORS[who]
    want = expected(kind, state, cmd, who)
    if isinstance(want, AgreementStatus):  # a StrEnum, so test it before plain str
        after, events = apply(before, command(cmd, actor, before), actor)
        assert after.status is want
        assert events
        assert after.kind is kind
    else:
        with pytest.raises(AgreementError) as info:
            apply(before, command(cmd, actor, before), actor)
        assert info.value.code == want
        assert before == snapshot


def test_signed_and_filed_agreements_are_immutable_for_everyone() -> None:
    for kind, state, cmd, who in CASES:
        if state in ("signed", "filed") and not (cmd == "file" and state == "signed"):
            current = agreement(kind, state)
            with pytest.raises(AgreementError):
                apply(current, command(cmd, ACTORS[who], current), ACTORS[who])


def send(current: Agreement) -> Agreement:
    return apply(current, SendForSignature(), ACTORS["mediator"])[0]


def sign(current: Agreement, who: str, **changes: object) -> tuple[Agreement, tuple[Event, ...]]:
    actor = ACTORS[who]
    cmd = replace(command("sign", actor, current), **changes)  # type: ignore[arg-type]
    return apply(current, cmd, actor)


def test_happy_path_small_claims_draft_to_filed() -> None:
    current = new_agreement(CaseKind.SMALL_CLAIMS, TEXT)
    current, events = apply(current, SendForSignature(), ACTORS["mediator"])
    assert events == (SentForSignature(document_hash(TEXT)),)
    current, events = sign(current, "plaintiff")
    assert current.status is AgreementStatus.OUT_FOR_SIGNATURE
    assert [type(e) for e in events] == [SignatureRecorded]
    current, events = sign(current, "defendant")
    assert current.status is AgreementStatus.SIGNED
    assert [type(e) for e in events] == [SignatureRecorded, AgreementSigned]
    current, events = apply(current, MarkFiled(date(2026, 3, 5), " SC-1 "), ACTORS["admin"])
    assert current.status is AgreementStatus.FILED
    assert current.filing is not None and current.filing.court_reference == "SC-1"
    assert current.filing.filed_on == date(2026, 3, 5) and current.filing.by_user_id == 8
    assert events == (AgreementFiled(current.filing),)


def test_a_signed_community_agreement_is_kept_on_file_without_a_court_reference() -> None:
    current = send(new_agreement(CaseKind.COMMUNITY, TEXT))
    current = sign(sign(current, "plaintiff")[0], "defendant")[0]
    assert current.status is AgreementStatus.SIGNED
    with pytest.raises(AgreementError) as info:
        apply(current, MarkFiled(date(2026, 3, 5), "X"), ACTORS["admin"])
    assert info.value.code == "no_court_reference"
    with pytest.raises(AgreementError) as info:
        apply(current, MarkFiled(date(2026, 3, 5)), ACTORS["mediator"])
    assert info.value.code == "forbidden"
    kept, events = apply(current, MarkFiled(date(2026, 3, 5), "  "), ACTORS["admin"])
    assert kept.status is AgreementStatus.FILED
    assert kept.filing == Filing(date(2026, 3, 5), "", 8)
    assert events == (AgreementFiled(kept.filing),)


def test_signature_records_who_what_and_when() -> None:
    current, (event,) = sign(send(new_agreement(CaseKind.SMALL_CLAIMS, TEXT)), "plaintiff")
    assert isinstance(event, SignatureRecorded)
    assert current.signatures == (event.signature,)
    sig = event.signature
    assert (sig.signer_user_id, sig.for_side, sig.by_role) == (1, Side.PLAINTIFF, Role.PARTY)
    assert sig.document_sha256 == hashlib.sha256(TEXT.encode("utf-8")).hexdigest()
    assert (sig.ip, sig.user_agent, sig.at, sig.esign_consent_at) == ("203.0.113.9", "UA", T0, T0)


def test_editing_after_one_signature_voids_it_and_returns_to_draft() -> None:
    current = sign(send(new_agreement(CaseKind.SMALL_CLAIMS, TEXT)), "plaintiff")[0]
    old_sha = current.document_sha256
    later = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    current, events = apply(
        current, Edit(TEXT + "Keys means all keys.\n", later), ACTORS["mediator"]
    )
    assert current.status is AgreementStatus.DRAFT
    assert current.signatures == ()
    assert current.document_sha256 == document_hash(TEXT + "Keys means all keys.\n") != old_sha
    assert isinstance(events[0], AgreementEdited)
    voided = events[1]
    assert isinstance(voided, SignaturesVoided) and voided.signatures[0].signer_user_id == 1
    assert current.voided_notes == (voided.note,)
    assert "Signatures voided because the document changed at 2026-03-03T09:00:00+00:00" in (
        voided.note
    )
    assert "José Núñez" in voided.note
    # The old signature cannot be replayed against the new text.
    current = send(current)
    with pytest.raises(AgreementError) as info:
        sign(current, "plaintiff", document_sha256=old_sha)
    assert info.value.code == "stale_document"


def test_edit_in_draft_without_signatures_voids_nothing() -> None:
    current, events = apply(
        new_agreement(CaseKind.COMMUNITY, TEXT), Edit("New text.\n", T0), ACTORS["co_mediator"]
    )
    assert [type(e) for e in events] == [AgreementEdited] and current.voided_notes == ()


@pytest.mark.parametrize(("new_text", "code"), [(TEXT, "unchanged"), ("  \n", "empty_document")])
def test_edit_refuses_same_or_empty_text(new_text: str, code: str) -> None:
    with pytest.raises(AgreementError) as info:
        apply(new_agreement(CaseKind.SMALL_CLAIMS, TEXT), Edit(new_text, T0), ACTORS["mediator"])
    assert info.value.code == code


def test_new_agreement_refuses_empty_text() -> None:
    with pytest.raises(AgreementError) as info:
        new_agreement(CaseKind.SMALL_CLAIMS, "")
    assert info.value.code == "empty_document"


def test_same_person_cannot_sign_twice_even_for_the_other_side() -> None:
    current = sign(send(new_agreement(CaseKind.SMALL_CLAIMS, TEXT)), "plaintiff")[0]
    same_person = Actor(1, Role.PARTY, Side.DEFENDANT)
    cmd = replace(command("sign", ACTORS["plaintiff"], current))
    with pytest.raises(AgreementError) as info:
        apply(current, cmd, same_person)
    assert info.value.code == "already_signed"
    assert current.status is AgreementStatus.OUT_FOR_SIGNATURE


def test_stale_hash_is_refused() -> None:
    current = send(new_agreement(CaseKind.SMALL_CLAIMS, TEXT))
    with pytest.raises(AgreementError) as info:
        sign(current, "plaintiff", document_sha256=document_hash(TEXT + " "))
    assert info.value.code == "stale_document"


@pytest.mark.parametrize(
    "changes",
    [
        {"esign_consent": False},
        {"agree_bound": False},
        {"esign_consent": False, "agree_bound": False},
    ],
)
def test_both_consents_are_required(changes: dict[str, bool]) -> None:
    with pytest.raises(AgreementError) as info:
        sign(send(new_agreement(CaseKind.SMALL_CLAIMS, TEXT)), "plaintiff", **changes)
    assert info.value.code == "consent_required"


@pytest.mark.parametrize(
    ("typed", "code"),
    [("", "name_required"), ("   ", "name_required"), ("Jose Nunez", "name_mismatch")],
)
def test_typed_name_must_be_given_and_match(typed: str, code: str) -> None:
    with pytest.raises(AgreementError) as info:
        sign(send(new_agreement(CaseKind.SMALL_CLAIMS, TEXT)), "plaintiff", typed_name=typed)
    assert info.value.code == code


def test_typed_name_ignores_case_and_spacing() -> None:
    current, _ = sign(
        send(new_agreement(CaseKind.SMALL_CLAIMS, TEXT)), "plaintiff", typed_name="  JOSÉ \t núñez "
    )
    assert current.signatures[0].typed_name == "JOSÉ núñez"


def test_authorised_attorney_signs_for_their_party() -> None:
    current = send(new_agreement(CaseKind.UNLAWFUL_DETAINER, TEXT))
    current, (event,) = apply(current, AuthoriseAttorney(3, T0), ACTORS["plaintiff"])
    assert event == AttorneyAuthorised(Authorisation(3, Side.PLAINTIFF, 1, T0))
    current, _ = sign(current, "attorney_authorised")
    sig = current.signatures[0]
    assert (sig.signer_user_id, sig.for_side, sig.by_role) == (3, Side.PLAINTIFF, Role.ATTORNEY)


def test_authorisation_is_for_one_side_only() -> None:
    current = send(new_agreement(CaseKind.SMALL_CLAIMS, TEXT))
    current, _ = apply(current, AuthoriseAttorney(3, T0), ACTORS["plaintiff"])
    other_side = Actor(3, Role.ATTORNEY, Side.DEFENDANT)
    with pytest.raises(AgreementError) as info:
        apply(current, command("sign", ACTORS["attorney_authorised"], current), other_side)
    assert info.value.code == "attorney_not_authorised"


def test_authorising_twice_is_refused() -> None:
    current = new_agreement(CaseKind.SMALL_CLAIMS, TEXT)
    current, _ = apply(current, AuthoriseAttorney(3, T0), ACTORS["plaintiff"])
    with pytest.raises(AgreementError) as info:
        apply(current, AuthoriseAttorney(3, T0), ACTORS["plaintiff"])
    assert info.value.code == "already_authorised"


def test_civil_harassment_attorney_is_refused_even_when_authorised() -> None:
    current = agreement(CaseKind.CIVIL_HARASSMENT, "out")
    assert current.authorisations  # recorded, yet still refused
    with pytest.raises(AgreementError) as info:
        sign(current, "attorney_authorised")
    assert info.value.code == "attorney_signing_barred"
    with pytest.raises(AgreementError) as info:
        apply(current, AuthoriseAttorney(3, T0), ACTORS["plaintiff"])
    assert info.value.code == "attorney_signing_barred"


def test_filing_needs_a_court_reference() -> None:
    current = agreement(CaseKind.SMALL_CLAIMS, "signed")
    with pytest.raises(AgreementError) as info:
        apply(current, MarkFiled(date(2026, 3, 5), "  "), ACTORS["admin"])
    assert info.value.code == "reference_required"


def test_command_times_must_be_timezone_aware() -> None:
    naive = datetime(2026, 3, 2, 17, 5)
    with pytest.raises(ValueError, match="timezone-aware"):
        Edit("x", naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        AuthoriseAttorney(3, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        Sign("a", "a", "h", True, True, "ip", "ua", naive)


def test_document_hash_is_sha256_of_utf8_bytes() -> None:
    assert document_hash("José") == hashlib.sha256("José".encode()).hexdigest()
    assert new_agreement(CaseKind.COMMUNITY, TEXT).document_sha256 == document_hash(TEXT)


def paper(current: Agreement, **changes: object) -> RecordPaperSignature:
    fields: dict[str, object] = {
        "signer_user_id": 2,
        "for_side": Side.DEFENDANT,
        "printed_name": "  Ann  “Annie” O’Neil ",
        "signed_at": T0,
        "document_sha256": current.document_sha256,
        "at": T0 + timedelta(hours=2),
        **changes,
    }
    return RecordPaperSignature(**fields)  # type: ignore[arg-type]


def test_a_paper_signature_is_recorded_against_the_hash_with_who_and_when() -> None:
    current = agreement(CaseKind.CIVIL_HARASSMENT, "out_plaintiff_signed")
    after, events = apply(current, paper(current), ACTORS["mediator"])
    assert after.status is AgreementStatus.SIGNED
    recorded = after.signatures[-1]
    assert recorded.method is SigningMethod.PAPER
    assert (recorded.signer_user_id, recorded.for_side, recorded.by_role) == (
        2,
        Side.DEFENDANT,
        Role.PARTY,
    )
    assert recorded.typed_name == "Ann “Annie” O’Neil" and recorded.at == T0
    assert recorded.recorded_by == 5 and recorded.recorded_at == T0 + timedelta(hours=2)
    assert recorded.document_sha256 == current.document_sha256
    assert isinstance(events[0], SignatureRecorded)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"document_sha256": "0" * 64}, "stale_document"),
        ({"printed_name": " "}, "name_required"),
        ({"signed_at": T0 + timedelta(days=1)}, "future_signature"),
        ({"signer_user_id": 1, "for_side": Side.PLAINTIFF}, "already_signed"),
        ({"signer_user_id": 9, "for_side": Side.PLAINTIFF}, "already_signed"),
    ],
)
def test_a_paper_signature_is_refused_when_it_cannot_be_true(
    changes: dict[str, object], code: str
) -> None:
    current = agreement(CaseKind.SMALL_CLAIMS, "out_plaintiff_signed")
    with pytest.raises(AgreementError) as info:
        apply(current, paper(current, **changes), ACTORS["admin"])
    assert info.value.code == code
