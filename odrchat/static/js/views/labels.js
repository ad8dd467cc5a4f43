// Plain words for the server's codes (case kinds, statuses, roles, sides, room events).

import { formatNumber, lazy, lazyPairs, t } from "../i18n.js";
import { AGREEMENT, CASE, OFFER } from "../wire.js";

export const KINDS = lazyPairs([
  ["small_claims", "labels.kind.smallClaims"],
  ["unlawful_detainer", "labels.kind.unlawfulDetainer"],
  ["civil_harassment", "labels.kind.civilHarassment"],
  ["community", "labels.kind.community"],
]);

export const STATUS = lazy({
  invited: "labels.status.invited",
  awaiting_consent: "labels.status.awaitingConsent",
  awaiting_mediator: "labels.status.awaitingMediator",
  in_mediation: "labels.status.inMediation",
  declined: "labels.status.declined",
  expired: "labels.status.expired",
  opted_out: "labels.status.optedOut",
  impasse: "labels.status.impasse",
  settled: "labels.status.settled",
});

export const ROLES = lazy({
  party: "labels.role.party",
  attorney: "labels.role.attorney",
  mediator: "labels.role.mediator",
  co_mediator: "labels.role.coMediator",
  observer: "labels.role.observer",
  admin: "labels.role.admin",
});

const FILED = new Set(["small_claims", "unlawful_detainer", "civil_harassment"]);

// The Account page's text-message number (odrchat/notify/routes.py; API errors come from
// odrchat/notify/texts.py).
export const PHONE = lazy({
  heading: "account.phone.heading",
  none: "account.phone.none",
  confirmed: (number) => t("account.phone.confirmed", { number }),
  optedOut: "account.phone.optedOut",
  remove: "account.phone.remove",
  numberLabel: "account.phone.numberLabel",
  changeLabel: "account.phone.changeLabel",
  numberHint: "account.phone.numberHint",
  registerHint: "account.phone.registerHint",
  send: "account.phone.send",
  codeLabel: "account.phone.codeLabel",
  codeHint: (number) => t("account.phone.codeHint", { number }),
  confirm: "account.phone.confirm",
});

// The Account page's notification settings (odrchat/notify/preferences.py).
export const NOTIFY_PREFS = lazy({
  heading: "account.notify.heading",
  intro: "account.notify.intro",
  kind: "account.notify.kind",
  email: "account.notify.email",
  sms: "account.notify.sms",
  emailFor: (kind) => t("account.notify.emailFor", { kind }),
  smsFor: (kind) => t("account.notify.smsFor", { kind }),
  always: "account.notify.always",
  requiredWhy: "account.notify.requiredWhy",
  noPhone: "account.notify.noPhone",
  quiet: "account.notify.quiet",
  quietHint: "account.notify.quietHint",
  quietFrom: "account.notify.quietFrom",
  quietUntil: "account.notify.quietUntil",
  zone: "account.notify.zone",
  zoneHint: "account.notify.zoneHint",
  zoneCentre: (zone) => t("account.notify.zoneCentre", { zone }),
  delay: "account.notify.delay",
  delayHint: "account.notify.delayHint",
  delayChoice: (minutes) => (minutes === 60 ? t("account.notify.delayHour")
    : t("account.notify.delayMinutes", { count: minutes })),
  save: "account.notify.save",
});

// The kinds of notice, in the order the page lists them.
export const TOPICS = lazyPairs([
  ["case", "account.notify.topic.case"],
  ["offers", "account.notify.topic.offers"],
  ["updates", "account.notify.topic.updates"],
  ["messages", "account.notify.topic.messages"],
  ["reminders", "account.notify.topic.reminders"],
]);

// The administration's view of notifications (odrchat/notify/routes.py).
export const NOTIFY = lazy({
  smsOff: "admin.notify.smsOff",
  emailOff: "admin.notify.emailOff",
  smsOn: (provider) => (provider === "twilio" ? t("admin.notify.smsOnTwilio")
    : t("admin.notify.smsOnGateway")),
  outboxCaption: "admin.notify.outboxCaption",
  channel: "admin.notify.channel",
  channels: lazy({ email: "admin.notify.channelEmail", sms: "admin.notify.channelSms" }),
});

const OUTBOX_STATUS = lazy({
  pending: "admin.outbox.pending",
  sent: "admin.outbox.sent",
  unsent: "admin.outbox.unsent",
  dead: "admin.outbox.dead",
});

export function outboxStatusLabel(status) {
  return OUTBOX_STATUS[status] ?? status;
}

export function kindLabel(kind) {
  return (KINDS.find(([k]) => k === kind) || [kind, kind || t("labels.kind.case")])[1];
}

export function isFiled(kind) {
  return FILED.has(kind);
}

export function sideLabel(kind, side) {
  if (!side) return "";
  // A civil harassment case is a petition: Petitioner and Respondent, as on the court forms.
  if (kind === "civil_harassment") {
    return side === "plaintiff" ? t("labels.side.petitioner") : t("labels.side.respondent");
  }
  if (isFiled(kind)) return side === "plaintiff" ? t("labels.side.plaintiff") : t("labels.side.defendant");
  return side === "plaintiff" ? t("labels.side.filingParty") : t("labels.side.respondingParty");
}

/** The intake form's two choices for "I am the", in this kind's words. */
export function sideChoices(kind) {
  if (kind === "civil_harassment") {
    return [t("labels.sideChoice.petitioner"), t("labels.sideChoice.respondent")];
  }
  if (isFiled(kind)) return [t("labels.sideChoice.plaintiff"), t("labels.sideChoice.defendant")];
  return [t("labels.sideChoice.filingParty"), t("labels.side.respondingParty")];
}

export function statusLabel(status) {
  return STATUS[status] || status;
}

/** "Party (Plaintiff)", "Mediator", "Attorney for the Defendant". */
export function roleLabel(role, side, kind) {
  const s = sideLabel(kind, side);
  if (role === "party") return s || ROLES.party;
  if (role === "attorney") return s ? t("labels.role.attorneyFor", { side: s }) : ROLES.attorney;
  return ROLES[role] || role;
}

/** The list from an API answer that may be a bare array or {key: [...]}. */
export function listOf(body, ...keys) {
  if (Array.isArray(body)) return body;
  for (const k of [...keys, "items", "results"]) if (body && Array.isArray(body[k])) return body[k];
  return [];
}

/** A stored case, offer or agreement event as a line in the chat. */
export const EVENT_TEXT = lazy({
  [CASE.OPENED]: "labels.event.caseOpened",
  [CASE.JOINED]: "labels.event.caseJoined",
  [CASE.DECLINED]: "labels.event.caseDeclined",
  [CASE.CONSENTED]: "labels.event.caseConsented",
  [CASE.READY_FOR_MEDIATOR]: "labels.event.caseReadyForMediator",
  [CASE.MEDIATOR_ASSIGNED]: "labels.event.caseMediatorAssigned",
  [CASE.PARTICIPANT_ADDED]: "labels.event.caseParticipantAdded",
  [CASE.PARTICIPANT_REMOVED]: "labels.event.caseParticipantRemoved",
  [CASE.OBSERVER_APPROVED]: "labels.event.caseObserverApproved",
  [CASE.CLOSED]: "labels.event.caseClosed",
  [CASE.HELP_REQUESTED]: "labels.event.caseHelpRequested",
  [OFFER.MADE]: "labels.event.offerMade",
  [OFFER.ACCEPTED]: "labels.event.offerAccepted",
  [OFFER.REJECTED]: "labels.event.offerRejected",
  [OFFER.COUNTERED]: "labels.event.offerCountered",
  [OFFER.WITHDRAWN]: "labels.event.offerWithdrawn",
  [OFFER.EXPIRED]: "labels.event.offerExpired",
  [AGREEMENT.DRAFTED]: "labels.event.agreementDrafted",
  [AGREEMENT.UPDATED]: "labels.event.agreementUpdated",
  [AGREEMENT.SIGNED]: "labels.event.agreementSigned",
  [AGREEMENT.FINAL]: "labels.event.agreementFinal",
  [AGREEMENT.FILED]: "labels.event.agreementFiled",
});

/** Shown for a stored event this version of the page does not know (a catalog key). */
export const EVENT_TEXT_OTHER = "labels.event.other";

/** Optional standard clauses the mediator may switch on with the parties. */
export const CLAUSES = lazyPairs([
  ["no_admission", "labels.clause.noAdmission"],
  ["mutual_release", "labels.clause.mutualRelease"],
  ["entire_agreement", "labels.clause.entireAgreement"],
]);

/** How an unlawful detainer case ends, chosen with the parties. */
export const UD_ROUTES = lazyPairs([
  ["conditional_dismissal", "labels.udRoute.conditionalDismissal"],
  ["stipulated_judgment", "labels.udRoute.stipulatedJudgment"],
]);

// Documents shared in rooms (odrchat/documents; refusal codes as in docs/protocol.md).
export const DOCS = lazy({
  takePhoto: "docs.takePhoto",
  attachFile: "docs.attachFile",
  captionLabel: "docs.captionLabel",
  uploading: (name) => t("docs.uploading", { name }),
  failed: (name, why) => t("docs.failed", { name, why }),
  retry: "docs.retry",
  dismiss: "docs.dismiss",
  shared: "docs.shared",
  download: "docs.download",
  shareWithOther: "docs.shareWithOther",
  confirmShare: (name) => t("docs.confirmShare", { name }),
  sharedWithOther: "docs.sharedWithOther",
  listClosed: "docs.listClosed",
  listTitle: (n) => t("docs.listTitle", { count: n }),
  listEmpty: "docs.listEmpty",
  loading: "docs.loading",
  myZip: "docs.myZip",
  myZipHint: "docs.myZipHint",
  pages: (n) => t("docs.pages", { count: n }),
  size: (bytes) => (bytes >= 1048576
    ? t("docs.sizeMb", { size: formatNumber(bytes / 1048576, { maximumFractionDigits: 1, minimumFractionDigits: 1 }) })
    : t("docs.sizeKb", { size: formatNumber(Math.max(1, Math.round(bytes / 1024))) })),
  offline: "api.network",
}, { accept: "image/jpeg,image/png,image/heic,image/heif,application/pdf,.heic,.heif" });

// Names of the scrolling table regions (a screen reader announces them on focus).
export const TABLES = lazy({
  cases: "admin.tables.cases",
  audit: "admin.tables.audit",
  outbox: "admin.tables.outbox",
  flags: "admin.tables.flags",
});
