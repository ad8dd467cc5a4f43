"""The agreement state machine: drafting, signing and filing one settlement agreement.

Pure: no I/O, no clock. The coordinator loads an `Agreement`, calls `apply`, persists the new
agreement and publishes the events.

Rules
-----
* Statuses run draft -> out_for_signature -> signed -> filed, for every kind. For a court case
  (small claims, unlawful detainer, civil harassment) `filed` means filed with the court, with
  the court's reference. A community agreement is never filed with a court: for it `filed` means
  kept on file by the centre (its closing record), with the day only and no court reference; the
  papers and views word it so.
* In draft the mediator or co-mediator may edit the text (to add clarifying wording). Only the lead
  mediator sends it out for signature: that is the statement "this text is final".
* Editing is also allowed while out for signature. Any signatures already given are ALL voided
  (each signer agreed to bytes that no longer exist), a human-readable note is kept in
  `voided_notes`, and the agreement goes back to draft so the mediator must send it again; parties
  are therefore always told, by a fresh send, that there is a new text to read.
* A signature binds to the exact document bytes: the signer's client sends the SHA-256 of the text
  it showed, and a mismatch is refused as `stale_document`. The signer must tick both the
  e-signature consent and "I agree to be bound", and type their own name; it must match their
  display name (case and spacing ignored). The coordinator puts the display name from the account
  record into `Sign.expected_name`; it never comes from the client.
* Only a party signs for their own side. An attorney may sign for their side only when that side's
  party has expressly authorised them (`AuthoriseAttorney`, recorded with who and when), and never
  in civil harassment cases (Code of Civil Procedure section 664.6 requires the party's own
  signature there, so authorising is refused too). Mediators, co-mediators, observers and admins
  never sign.
* A side signs once and a person signs once. When both sides have signed the agreement is signed:
  final and immutable.
* A party may sign in ink instead: staff (mediator, co-mediator or admin) record the wet-ink
  signature (`RecordPaperSignature`) with who signed, when, and the SHA-256 printed on the page
  that was signed, which must be the current text's. It counts exactly like an electronic
  signature of that party for their side. Paper signatures are always the party's own. Staff
  may attach the scan of the signed page (a document of the case; the coordinator checks that
  it is one): it is kept with the signature.
* Only an admin marks a signed agreement filed: a court one with the filing date and the court's
  reference (required), a community one with the day it was put on file and no reference.
* Every illegal move raises `AgreementError` and returns nothing: the old agreement is unchanged.

Known gaps: authorisations survive an edit (they name a person, not a text); a party cannot revoke
an authorisation here.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from odrchat.cases.kinds import CaseKind, is_court_filed
from odrchat.cases.roles import Actor, Role, Side


class SigningMethod(enum.StrEnum):
    ELECTRONIC = "electronic"
    PAPER = "paper"  # wet ink, recorded by staff against the document hash


class AgreementStatus(enum.StrEnum):
    DRAFT = "draft"
    OUT_FOR_SIGNATURE = "out_for_signature"
    SIGNED = "signed"
    FILED = "filed"


def N_(message: str) -> str:
    """Marks a catalog text (odrchat.i18n extracts every N_ call); this module stays pure."""
    return message


class AgreementError(Exception):
    """An illegal move; `code` is stable for clients, `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Signature:
    signer_user_id: int
    for_side: Side
    by_role: Role
    typed_name: str
    at: datetime
    ip: str
    user_agent: str
    document_sha256: str
    esign_consent_at: datetime  # paper: the ink signature's time (no e-sign consent is given)
    method: SigningMethod = SigningMethod.ELECTRONIC
    recorded_by: int | None = None  # paper: the staff member who recorded it
    recorded_at: datetime | None = None  # paper: when staff recorded it
    scan_document_id: int | None = None  # paper: the scan of the signed page, if attached


@dataclass(frozen=True, slots=True)
class Authorisation:
    """A party's express authorisation for their attorney to sign for their side."""

    attorney_user_id: int
    side: Side
    by_user_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Filing:
    filed_on: date
    court_reference: str
    by_user_id: int


@dataclass(frozen=True, slots=True)
class Agreement:
    kind: CaseKind
    status: AgreementStatus
    text: str
    document_sha256: str
    signatures: tuple[Signature, ...] = ()
    voided_notes: tuple[str, ...] = ()
    authorisations: tuple[Authorisation, ...] = ()
    filing: Filing | None = None

    @property
    def signed_sides(self) -> frozenset[Side]:
        return frozenset(s.for_side for s in self.signatures)


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("command times must be timezone-aware")


# Commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Edit:
    new_text: str
    at: datetime

    def __post_init__(self) -> None:
        _require_aware(self.at)


@dataclass(frozen=True, slots=True)
class SendForSignature:
    pass


@dataclass(frozen=True, slots=True)
class Sign:
    typed_name: str
    expected_name: str  # the signer's display name from the account record, set by the server
    document_sha256: str
    esign_consent: bool
    agree_bound: bool
    ip: str
    user_agent: str
    at: datetime

    def __post_init__(self) -> None:
        _require_aware(self.at)


@dataclass(frozen=True, slots=True)
class RecordPaperSignature:
    """Staff record a party's wet-ink signature of the printed text whose hash is given."""

    signer_user_id: int
    for_side: Side  # the party's side, from their participant row (set by the server)
    printed_name: str  # the party's name as printed on the signature page
    signed_at: datetime  # when the party signed in ink
    document_sha256: str  # the hash printed on the signed page
    at: datetime  # when staff recorded it
    scan_document_id: int | None = None  # a document of the case: the scan of the signed page

    def __post_init__(self) -> None:
        _require_aware(self.signed_at)
        _require_aware(self.at)


@dataclass(frozen=True, slots=True)
class AuthoriseAttorney:
    attorney_user_id: int
    at: datetime

    def __post_init__(self) -> None:
        _require_aware(self.at)


@dataclass(frozen=True, slots=True)
class MarkFiled:
    """Court cases: filed with the court. Community cases: kept on file by the centre."""

    filed_on: date
    court_reference: str = ""  # the court's reference; empty for a community agreement


Command = Edit | SendForSignature | Sign | RecordPaperSignature | AuthoriseAttorney | MarkFiled


# Events -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgreementEdited:
    document_sha256: str


@dataclass(frozen=True, slots=True)
class SignaturesVoided:
    signatures: tuple[Signature, ...]
    note: str


@dataclass(frozen=True, slots=True)
class SentForSignature:
    document_sha256: str


@dataclass(frozen=True, slots=True)
class AttorneyAuthorised:
    authorisation: Authorisation


@dataclass(frozen=True, slots=True)
class SignatureRecorded:
    signature: Signature


@dataclass(frozen=True, slots=True)
class AgreementSigned:
    document_sha256: str


@dataclass(frozen=True, slots=True)
class AgreementFiled:
    filing: Filing


Event = (
    AgreementEdited
    | SignaturesVoided
    | SentForSignature
    | AttorneyAuthorised
    | SignatureRecorded
    | AgreementSigned
    | AgreementFiled
)

_EDITORS = frozenset({Role.MEDIATOR, Role.CO_MEDIATOR})
_SIGNERS = frozenset({Role.PARTY, Role.ATTORNEY})
_RECORDERS = frozenset({Role.MEDIATOR, Role.CO_MEDIATOR, Role.ADMIN})

# status -> command -> (roles allowed, status after). Sign stays out for signature until the
# second side signs, then moves to signed; `apply` makes that one data-dependent step.
_Rule = tuple[frozenset[Role], AgreementStatus]
TRANSITIONS: Mapping[AgreementStatus, Mapping[type[Command], _Rule]] = {
    AgreementStatus.DRAFT: {
        Edit: (_EDITORS, AgreementStatus.DRAFT),
        SendForSignature: (frozenset({Role.MEDIATOR}), AgreementStatus.OUT_FOR_SIGNATURE),
        AuthoriseAttorney: (frozenset({Role.PARTY}), AgreementStatus.DRAFT),
    },
    AgreementStatus.OUT_FOR_SIGNATURE: {
        Edit: (_EDITORS, AgreementStatus.DRAFT),
        Sign: (_SIGNERS, AgreementStatus.OUT_FOR_SIGNATURE),
        RecordPaperSignature: (_RECORDERS, AgreementStatus.OUT_FOR_SIGNATURE),
        AuthoriseAttorney: (frozenset({Role.PARTY}), AgreementStatus.OUT_FOR_SIGNATURE),
    },
    AgreementStatus.SIGNED: {
        MarkFiled: (frozenset({Role.ADMIN}), AgreementStatus.FILED),
    },
    AgreementStatus.FILED: {},
}


def document_hash(text: str) -> str:
    """The SHA-256 hex digest of the document's exact UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_agreement(kind: CaseKind, text: str) -> Agreement:
    """A draft agreement holding `text`."""
    _require_text(text)
    return Agreement(kind, AgreementStatus.DRAFT, text, document_hash(text))


def normalise_name(name: str) -> str:
    """A name compared case-insensitively with runs of whitespace collapsed."""
    return " ".join(name.split()).casefold()


def is_authorised(agreement: Agreement, attorney_user_id: int, side: Side) -> bool:
    """Whether that side's party has authorised this attorney to sign for them."""
    return any(
        a.attorney_user_id == attorney_user_id and a.side is side for a in agreement.authorisations
    )


def apply(
    agreement: Agreement, command: Command, actor: Actor
) -> tuple[Agreement, tuple[Event, ...]]:
    """Decide `command` by `actor`; return the new agreement and the events it caused."""
    rule = TRANSITIONS[agreement.status].get(type(command))
    if rule is None:
        raise AgreementError(
            "wrong_status", N_("this cannot be done at the agreement's current step")
        )
    roles, after = rule
    if actor.role not in roles:
        raise AgreementError("forbidden", N_("your role in this case does not allow this"))
    match command:
        case Edit():
            return _edit(agreement, command)
        case SendForSignature():
            return replace(agreement, status=after), (SentForSignature(agreement.document_sha256),)
        case AuthoriseAttorney():
            return _authorise(agreement, command, actor)
        case Sign():
            return _sign(agreement, command, actor)
        case RecordPaperSignature():
            return _paper(agreement, command, actor)
        case MarkFiled():
            reference = command.court_reference.strip()
            if is_court_filed(agreement.kind) and not reference:
                raise AgreementError("reference_required", N_("the court reference is required"))
            if not is_court_filed(agreement.kind) and reference:
                raise AgreementError(
                    "no_court_reference",
                    N_(
                        "a community agreement is kept on file by the centre: it has no court "
                        "reference"
                    ),
                )
            filing = Filing(command.filed_on, reference, actor.user_id)
            return replace(agreement, status=after, filing=filing), (AgreementFiled(filing),)
    raise AgreementError("unknown_command", repr(command))  # pragma: no cover


def _require_text(text: str) -> None:
    if not text.strip():
        raise AgreementError("empty_document", N_("the agreement text is empty"))


def _edit(agreement: Agreement, command: Edit) -> tuple[Agreement, tuple[Event, ...]]:
    _require_text(command.new_text)
    if command.new_text == agreement.text:
        raise AgreementError("unchanged", N_("the new text is the same as the current text"))
    sha = document_hash(command.new_text)
    events: list[Event] = [AgreementEdited(sha)]
    notes = agreement.voided_notes
    if agreement.signatures:
        names = ", ".join(s.typed_name for s in agreement.signatures)
        note = (
            f"Signatures voided because the document changed at {command.at.isoformat()}: "
            f"{names} must sign the new text."
        )
        notes = (*notes, note)
        events.append(SignaturesVoided(agreement.signatures, note))
    new = replace(
        agreement,
        status=AgreementStatus.DRAFT,
        text=command.new_text,
        document_sha256=sha,
        signatures=(),
        voided_notes=notes,
    )
    return new, tuple(events)


def _authorise(
    agreement: Agreement, command: AuthoriseAttorney, actor: Actor
) -> tuple[Agreement, tuple[Event, ...]]:
    assert actor.side is not None  # a party always has a side (Actor checks)
    if agreement.kind is CaseKind.CIVIL_HARASSMENT:
        raise AgreementError(
            "attorney_signing_barred", N_("in civil harassment cases each party signs personally")
        )
    if is_authorised(agreement, command.attorney_user_id, actor.side):
        raise AgreementError("already_authorised", N_("that attorney is already authorised"))
    auth = Authorisation(command.attorney_user_id, actor.side, actor.user_id, command.at)
    new = replace(agreement, authorisations=(*agreement.authorisations, auth))
    return new, (AttorneyAuthorised(auth),)


def may_sign(agreement: Agreement, actor: Actor) -> bool:
    """Whether `actor` may sign now (given a matching hash, consent and name): `apply`'s rule."""
    rule = TRANSITIONS[agreement.status].get(Sign)
    if rule is None or actor.role not in rule[0] or actor.side is None:
        return False
    return _signer_refusal(agreement, actor) is None and _repeat_refusal(agreement, actor) is None


def _signer_refusal(agreement: Agreement, actor: Actor) -> AgreementError | None:
    """Why this party or attorney may not sign for their side at all, or None."""
    if actor.role is Role.ATTORNEY:
        assert actor.side is not None  # attorneys always have a side (Actor checks)
        if agreement.kind is CaseKind.CIVIL_HARASSMENT:
            return AgreementError(
                "attorney_signing_barred",
                N_("in civil harassment cases each party signs personally"),
            )
        if not is_authorised(agreement, actor.user_id, actor.side):
            return AgreementError(
                "attorney_not_authorised", N_("the party has not authorised you to sign for them")
            )
    return None


def _repeat_refusal(agreement: Agreement, actor: Actor) -> AgreementError | None:
    """A person signs once and a side signs once."""
    if any(s.signer_user_id == actor.user_id for s in agreement.signatures):
        return AgreementError("already_signed", N_("you have already signed this agreement"))
    if actor.side in agreement.signed_sides:
        return AgreementError("already_signed", N_("your side has already signed this agreement"))
    return None


def _sign(agreement: Agreement, command: Sign, actor: Actor) -> tuple[Agreement, tuple[Event, ...]]:
    side = actor.side
    assert side is not None  # parties and attorneys always have a side (Actor checks)
    refused = _signer_refusal(agreement, actor)
    if refused is not None:
        raise refused
    if command.document_sha256 != agreement.document_sha256:
        raise AgreementError("stale_document", N_("the agreement changed; read the new text first"))
    if not (command.esign_consent and command.agree_bound):
        raise AgreementError(
            "consent_required", N_("consent to sign electronically and to be bound is required")
        )
    if not command.typed_name.strip():
        raise AgreementError("name_required", N_("type your full name to sign"))
    if normalise_name(command.typed_name) != normalise_name(command.expected_name):
        raise AgreementError("name_mismatch", N_("the typed name does not match your name"))
    refused = _repeat_refusal(agreement, actor)
    if refused is not None:
        raise refused
    signature = Signature(
        signer_user_id=actor.user_id,
        for_side=side,
        by_role=actor.role,
        typed_name=" ".join(command.typed_name.split()),
        at=command.at,
        ip=command.ip,
        user_agent=command.user_agent,
        document_sha256=agreement.document_sha256,
        esign_consent_at=command.at,
    )
    return _add(agreement, signature)


def _paper(
    agreement: Agreement, command: RecordPaperSignature, actor: Actor
) -> tuple[Agreement, tuple[Event, ...]]:
    if command.document_sha256 != agreement.document_sha256:
        raise AgreementError(
            "stale_document", N_("the signed page is of another text: print the current one")
        )
    if not command.printed_name.strip():
        raise AgreementError("name_required", N_("the signer's name is required"))
    if command.signed_at > command.at:
        raise AgreementError("future_signature", N_("the ink signature cannot be in the future"))
    if any(s.signer_user_id == command.signer_user_id for s in agreement.signatures):
        raise AgreementError("already_signed", N_("that person has already signed"))
    if command.for_side in agreement.signed_sides:
        raise AgreementError("already_signed", N_("that side has already signed"))
    signature = Signature(
        signer_user_id=command.signer_user_id,
        for_side=command.for_side,
        by_role=Role.PARTY,
        typed_name=" ".join(command.printed_name.split()),
        at=command.signed_at,
        ip="",
        user_agent="",
        document_sha256=agreement.document_sha256,
        esign_consent_at=command.signed_at,
        method=SigningMethod.PAPER,
        recorded_by=actor.user_id,
        recorded_at=command.at,
        scan_document_id=command.scan_document_id,
    )
    return _add(agreement, signature)


def _add(agreement: Agreement, signature: Signature) -> tuple[Agreement, tuple[Event, ...]]:
    """Record one side's signature; the second side's makes the agreement signed."""
    signatures = (*agreement.signatures, signature)
    events: list[Event] = [SignatureRecorded(signature)]
    status = agreement.status
    if {s.for_side for s in signatures} == set(Side):
        status = AgreementStatus.SIGNED
        events.append(AgreementSigned(agreement.document_sha256))
    return replace(agreement, status=status, signatures=signatures), tuple(events)
