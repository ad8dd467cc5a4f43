// Plain words for the server's codes (case kinds, statuses, roles, sides, room events).

import { AGREEMENT, CASE, OFFER } from "../wire.js";

export const KINDS = [
  ["small_claims", "Small claims"],
  ["unlawful_detainer", "Unlawful detainer (eviction)"],
  ["civil_harassment", "Civil harassment"],
  ["community", "Community mediation (not filed in court)"],
];

export const STATUS = {
  invited: "Waiting for the other side to join",
  awaiting_consent: "Waiting for the agreement to mediate",
  awaiting_mediator: "Waiting for a mediator",
  in_mediation: "In mediation",
  declined: "Closed: the other side did not join",
  expired: "Closed: the invitation expired",
  opted_out: "Closed: mediation stopped",
  impasse: "Closed: no agreement reached",
  settled: "Closed: settled",
};

export const ROLES = {
  party: "Party",
  attorney: "Attorney",
  mediator: "Mediator",
  co_mediator: "Co-mediator",
  observer: "Observer",
  admin: "CCR administration",
};

const FILED = new Set(["small_claims", "unlawful_detainer", "civil_harassment"]);

// The Account page's text-message number (odrchat/notify/routes.py; API errors come from
// odrchat/notify/texts.py).
export const PHONE = {
  heading: "Text messages",
  none: "No number yet: we reach you by email only.",
  confirmed: (number) => `Texts about your case go to ${number}.`,
  optedOut: "This number replied STOP, so we send it no texts. Text START to our number to "
    + "get texts again.",
  remove: "Stop texts and remove this number",
  numberLabel: "Mobile phone",
  changeLabel: "Use another mobile phone",
  numberHint: "We text a six-digit code to this number. Texts only say that your case has news; "
    + "they never contain what anyone wrote.",
  registerHint: "For text updates about your case. We text you a code to confirm the number.",
  send: "Text me a code",
  codeLabel: "Code from the text",
  codeHint: (number) => `We texted a code to ${number}. It expires in 10 minutes.`,
  confirm: "Confirm number",
  optionalLabel: "Tell me when there are new messages in my case while I am away",
  optionalHint: "At most one email (and text, if you have a confirmed number) per conversation "
    + "per hour, never with what was written. Offers, requests to sign and the end of the "
    + "mediation are always sent.",
};

// The administration's view of notifications (odrchat/notify/routes.py).
export const NOTIFY = {
  smsOff: "Text messages are off: no SMS provider is configured (SMS_PROVIDER). "
    + "Texts are recorded as not sent; email still goes out.",
  emailOff: "Email is off: no SMTP server is configured (SMTP_HOST). Emails are kept in the "
    + "outbox and recorded as not sent.",
  smsOn: (provider) => `Text messages go out through ${provider === "twilio" ? "Twilio" : "the SMS gateway"}.`,
  outboxCaption: "Messages waiting or handled, by channel",
  channel: "Channel",
  channels: { email: "Email", sms: "Text message" },
};

const OUTBOX_STATUS = {
  pending: "Waiting to be sent",
  sent: "Sent (a server accepted it)",
  unsent: "Not sent (no provider, or the number is not confirmed or opted out)",
  dead: "Failed for good",
};

export function outboxStatusLabel(status) {
  return OUTBOX_STATUS[status] ?? status;
}

export function kindLabel(kind) {
  return (KINDS.find(([k]) => k === kind) || [kind, kind || "Case"])[1];
}

export function isFiled(kind) {
  return FILED.has(kind);
}

export function sideLabel(kind, side) {
  if (!side) return "";
  // A civil harassment case is a petition: Petitioner and Respondent, as on the court forms.
  if (kind === "civil_harassment") return side === "plaintiff" ? "Petitioner" : "Respondent";
  if (isFiled(kind)) return side === "plaintiff" ? "Plaintiff" : "Defendant";
  return side === "plaintiff" ? "Filing party" : "Responding party";
}

/** The intake form's two choices for "I am the", in this kind's words. */
export function sideChoices(kind) {
  if (kind === "civil_harassment") {
    return ["Petitioner (I asked for the restraining order)", "Respondent (the order is against me)"];
  }
  if (isFiled(kind)) return ["Plaintiff (I filed the case)", "Defendant (I am being sued)"];
  return ["Filing party (I am asking for mediation)", "Responding party"];
}

export function statusLabel(status) {
  return STATUS[status] || status;
}

/** "Party (Plaintiff)", "Mediator", "Attorney for the Defendant". */
export function roleLabel(role, side, kind) {
  const s = sideLabel(kind, side);
  if (role === "party") return s || "Party";
  if (role === "attorney") return s ? `Attorney for the ${s}` : "Attorney";
  return ROLES[role] || role;
}

/** The list from an API answer that may be a bare array or {key: [...]}. */
export function listOf(body, ...keys) {
  if (Array.isArray(body)) return body;
  for (const k of [...keys, "items", "results"]) if (body && Array.isArray(body[k])) return body[k];
  return [];
}

/** A stored case, offer or agreement event as a line in the chat. */
export const EVENT_TEXT = {
  [CASE.OPENED]: "The case was opened.",
  [CASE.JOINED]: "The other side joined the case.",
  [CASE.DECLINED]: "The invitation to mediate was declined.",
  [CASE.CONSENTED]: "A party accepted the agreement to mediate.",
  [CASE.READY_FOR_MEDIATOR]: "Both sides agreed to mediate. CCR will assign a mediator.",
  [CASE.MEDIATOR_ASSIGNED]: "A mediator was assigned.",
  [CASE.PARTICIPANT_ADDED]: "Someone new takes part in the case.",
  [CASE.PARTICIPANT_REMOVED]: "Someone no longer takes part in the case.",
  [CASE.OBSERVER_APPROVED]: "An observer was approved by the mediator.",
  [CASE.CLOSED]: "The case is closed.",
  [OFFER.MADE]: "An offer was made.",
  [OFFER.ACCEPTED]: "An offer was accepted.",
  [OFFER.REJECTED]: "An offer was rejected.",
  [OFFER.COUNTERED]: "A counter-offer was made.",
  [OFFER.WITHDRAWN]: "An offer was withdrawn.",
  [OFFER.EXPIRED]: "An offer expired.",
  [AGREEMENT.DRAFTED]: "An agreement was drafted.",
  [AGREEMENT.UPDATED]: "The agreement was updated.",
  [AGREEMENT.SIGNED]: "The agreement was signed.",
  [AGREEMENT.FINAL]: "The agreement is final.",
  [AGREEMENT.FILED]: "The agreement was filed with the court.",
};

/** Shown for a stored event this version of the page does not know. */
export const EVENT_TEXT_OTHER = "The case was updated.";

/** Optional standard clauses the mediator may switch on with the parties. */
export const CLAUSES = [
  ["no_admission", "No admission of liability"],
  ["mutual_release", "Mutual release of the claims in this case"],
  ["entire_agreement", "Entire agreement (replaces earlier promises)"],
];

/** How an unlawful detainer case ends, chosen with the parties. */
export const UD_ROUTES = [
  ["conditional_dismissal", "Conditional dismissal: dismissed once the terms are performed"],
  ["stipulated_judgment", "Stipulated judgment: judgment entered on the terms now"],
];

// Documents shared in rooms (odrchat/documents; refusal codes as in docs/protocol.md).
export const DOCS = {
  takePhoto: "Take a photo",
  attachFile: "Attach a file",
  accept: "image/jpeg,image/png,image/heic,image/heif,application/pdf,.heic,.heif",
  captionLabel: "Caption (optional)",
  uploading: (name) => `Sending ${name}…`,
  failed: (name, why) => `${name} was not shared. ${why}`,
  retry: "Try again",
  dismiss: "Dismiss",
  shared: "Shared a document",
  download: "Download",
  shareWithOther: "Share with the other side",
  confirmShare: (name) => `Share "${name}" with the other side? They will be able to see and `
    + "download it in the joint room. This cannot be undone.",
  sharedWithOther: "Shared in the joint room.",
  listClosed: "Documents",
  listTitle: (n) => `Documents (${n})`,
  listEmpty: "No documents have been shared here yet.",
  loading: "Loading…",
  myZip: "Download my own documents (ZIP)",
  size: (bytes) => (bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB`
    : `${Math.max(1, Math.round(bytes / 1024))} KB`),
  offline: "Could not reach the server. Check your connection and try again.",
};
