// The invitation landing page: what ODR is in plain words, then join or say no.

import { api, currentUser } from "../api.js";
import { formatDate, h, mount } from "../dom.js";
import { currentLanguage, languages, t } from "../i18n.js";
import { switchLanguage } from "../language.js";
import { explainer } from "./pages.js";
import { interpreterChoice } from "./interpreter.js";
import { kindLabel, sideLabel } from "./labels.js";

/** An invitation sent to my confirmed address, opened from My cases (no emailed link needed). */
export function mine(main, [id], ctx) {
  return landing(main, [null], ctx, `/api/me/invitations/${Number(id)}`);
}

export async function landing(main, [token], ctx, base = `/api/invitations/${token}`) {
  ctx.setTitle(t("invite.tab"));
  let info;
  try {
    info = await api.get(base);
  } catch (err) {
    if (token) forgetInvitation(token); // used, withdrawn or expired: My cases stops pointing to it
    mount(main, h("div", { class: "narrow" }, languageChoice(), h("h1", { text: t("invite.unusable.title") }),
      h("p", { class: "notice warn", attrs: { role: "alert" }, text: err.message }),
      h("p", { text: t("invite.unusable.text") }),
      h("a", { href: "#/login", class: "button", text: t("nav.login") })));
    return;
  }
  const user = currentUser();
  const attorney = info.role === "attorney";
  const status = h("div", { attrs: { role: "status" } });
  const share = h("input", { type: "checkbox", id: "share-contact" });
  // Only a party is asked: the API records an interpreter for parties (an attorney is not one).
  const interpreter = attorney ? null : interpreterChoice();
  const facts = h("dl", { class: "facts" },
    h("dt", { text: t("invite.fact.case") }), h("dd", { text: kindLabel(info.kind) }),
    info.court_case_number ? [h("dt", { text: t("invite.fact.caseNumber") }), h("dd", { text: info.court_case_number })] : null,
    info.court_name ? [h("dt", { text: t("invite.fact.court") }), h("dd", { text: info.court_name })] : null,
    info.hearing_date ? [h("dt", { text: t("invite.fact.hearing") }), h("dd", { text: formatDate(info.hearing_date) })] : null,
    h("dt", { text: t("invite.fact.invitedBy") }), h("dd", { text: info.inviter }),
    h("dt", { text: t("invite.fact.joinAs") }),
    h("dd", { text: attorney ? t("labels.role.attorneyFor", { side: sideLabel(info.kind, info.side) })
      : sideLabel(info.kind, info.side) }));

  const accept = async () => {
    if (interpreter && !interpreter.check()) return;
    const body = { share_contact: share.checked };
    if (interpreter?.value()) body.interpreter = interpreter.value();
    try {
      const res = await api.post(`${base}/accept`, body);
      forgetInvitation(token);
      ctx.navigate(`/cases/${res.case_id ?? res.id}`);
    } catch (err) {
      mount(status, h("p", { class: "notice warn", attrs: { role: "alert" }, text: err.message }));
    }
  };
  const decline = async () => {
    try {
      await api.post(`${base}/decline`);
      forgetInvitation(token);
      mount(main, h("div", { class: "narrow" }, h("h1", { text: t("invite.declined.title") }),
        h("p", { class: "notice", attrs: { role: "status" }, text: attorney
          ? t("invite.declined.attorney") : t("invite.declined.party") })));
    } catch (err) {
      mount(status, h("p", { class: "notice warn", attrs: { role: "alert" }, text: err.message }));
    }
  };
  const confirmDecline = h("div", { hidden: true, class: "notice" },
    h("p", { text: t("invite.confirmDecline.text") }),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "danger", text: t("invite.confirmDecline.yes"), on: { click: decline } }),
      h("button", { type: "button", class: "secondary", text: t("invite.confirmDecline.back"),
        on: { click: () => { confirmDecline.hidden = true; } } })));

  let actions;
  if (user) {
    actions = h("div", {},
      h("div", { class: "field" }, h("label", { class: "check", htmlFor: "share-contact" }, share,
        t("invite.shareContact"))),
      interpreter?.el,
      h("div", { class: "actions" },
        h("button", { type: "button", text: t("invite.accept"), on: { click: accept } }),
        h("button", { type: "button", class: "secondary", text: t("invite.noThanks"),
          on: { click: () => { confirmDecline.hidden = false; } } })));
  } else {
    const remember = () => {
      sessionStorage.setItem("odr-next", `/invite/${token}`);
      rememberInvitation(token);
    };
    actions = h("div", {},
      h("p", { text: t("invite.howToJoin") }),
      h("div", { class: "actions" },
        h("a", { href: "#/register", class: "button", text: t("pages.home.register"),
          on: { click: remember } }),
        h("a", { href: "#/login", class: "button secondary", text: t("nav.login"), on: { click: remember } }),
        h("button", { type: "button", class: "secondary", text: t("invite.noThanks"),
          on: { click: () => { confirmDecline.hidden = false; } } })));
  }
  mount(main, languageChoice(), h("h1", { text: t("invite.title", { inviter: info.inviter }) }),
    h("p", { text: info.name ? t("invite.hello", { name: info.name }) : "" }),
    info.explainer ? h("p", { class: "prose", dataset: { serverText: "" }, text: info.explainer }) : null,
    h("p", { class: "hint", text: t("invite.languageNote") }),
    facts, actions, confirmDecline, status, explainer());
}

/** This is where an invited person decides: offer the other languages first, in their own words. */
function languageChoice() {
  const others = Object.entries(languages()).filter(([code]) => code !== currentLanguage());
  if (others.length === 0) return null;
  return h("p", { class: "lang-choice" }, others.map(([code, name]) => h("button", {
    type: "button", class: "link", text: name, attrs: { lang: code },
    on: { click: () => switchLanguage(code) },
  })));
}

// The confirmation email opens in another tab, where this tab's sessionStorage is not seen: the
// invitation someone is registering for is also kept in this browser's localStorage for a week,
// so that tab (and My cases) can lead back to it. Only the link's token is kept, nothing else.
const PENDING = "odr-pending-invite";
const PENDING_DAYS = 7;

export function rememberInvitation(token) {
  try {
    localStorage.setItem(PENDING, JSON.stringify({ token, at: Date.now() }));
  } catch {
    // Storage may be off (private mode): the same tab still has sessionStorage.
  }
}

export function forgetInvitation(token) {
  try {
    if (pendingInvitation() === token || !token) localStorage.removeItem(PENDING);
  } catch {
    // Nothing to forget.
  }
}

/** The token of the invitation this browser was registering for, if it is recent. */
export function pendingInvitation() {
  try {
    const kept = JSON.parse(localStorage.getItem(PENDING) || "null");
    if (!kept || Date.now() - kept.at > PENDING_DAYS * 86400000) return null;
    return /^[A-Za-z0-9_-]+$/.test(kept.token) ? kept.token : null;
  } catch {
    return null;
  }
}
