// My cases (status and what is waiting on me) and opening a new case.

import { pendingInvitation } from "./invite.js";
import { api } from "../api.js";
import { field, formatDayOf, h, mount, showErrors } from "../dom.js";
import { connection } from "../socket.js";
import { KINDS, isFiled, kindLabel, listOf, sideChoices, statusLabel } from "./labels.js";
import { interpreterChoice } from "./interpreter.js";
import { safetyChip } from "./safety.js";
import { t } from "../i18n.js";

function unreadOf(caseId) {
  return connection.roomsOfCase(caseId).reduce((n, r) => n + r.unread, 0);
}

export async function list(main, _params, ctx) {
  ctx.setTitle(t("cases.title"));
  const ul = h("ul", { class: "cards", attrs: { "aria-label": t("cases.title") } });
  // Invitations sent to my confirmed address that nobody answered (the server's list), or else
  // the one this browser kept while its owner registered from the emailed link.
  const [body, invited] = await Promise.all([api.get("/api/cases"),
    api.get("/api/me/invitations").then((r) => r.invitations || [], () => [])]);
  const kept = pendingInvitation();
  mount(main, h("h1", { text: t("cases.title") }),
    invited.length ? invitations(invited)
      : kept ? h("p", { class: "notice waiting", id: "pending-invitation" }, t("cases.pendingInvitation"), " ",
        h("a", { href: `#/invite/${kept}`, text: t("cases.pendingInvitationOpen") })) : null,
    h("div", { class: "actions" }, h("a", { href: "#/cases/new", class: "button",
      text: t("cases.new") })), ul);
  const cases = listOf(body, "cases");
  const render = () => {
    if (!cases.length) {
      mount(ul, h("li", { class: "card" }, h("p", { text: t("cases.none") }),
        h("p", {}, h("a", { href: "#/about", text: t("faq.heading.what") }))));
      return;
    }
    mount(ul, cases.map((c) => {
      const unread = unreadOf(c.id);
      const title = `${kindLabel(c.kind)}${c.court_case_number ? ` ${c.court_case_number}` : ""}`;
      return h("li", { class: "card", dataset: { caseId: c.id } },
        h("a", { class: "title", href: `#/cases/${c.id}`, text: title }), " ",
        h("span", { class: "badge", text: unread ? String(unread) : "",
          attrs: { "aria-label": unread ? t("cases.unread", { count: unread }) : null } }),
        h("p", {}, h("span", { class: "status", text: statusLabel(c.status) }), " ", safetyChip(c)),
        c.next_step ? h("p", { class: c.waiting_on_me ? "waiting" : "",
          text: c.waiting_on_me ? t("cases.waitingOnYou", { step: c.next_step }) : c.next_step,
          dataset: { serverText: "" } }) : null);
    }));
  };
  render();
  connection.addEventListener("room", render);
  connection.addEventListener("rooms", render);
  return () => {
    connection.removeEventListener("room", render);
    connection.removeEventListener("rooms", render);
  };
}

/** The invitations waiting for my answer, each with a link to read it and say yes or no. */
function invitations(list) {
  return h("section", { class: "notice waiting", id: "pending-invitation",
    attrs: { "aria-labelledby": "pending-invitation-h" } },
  h("h2", { id: "pending-invitation-h", text: t("cases.invitations.title") }),
  h("ul", {}, list.map((inv) => {
    const what = `${kindLabel(inv.kind)}${inv.court_case_number ? ` ${inv.court_case_number}` : ""}`;
    return h("li", { dataset: { invitationId: inv.id } },
      t(inv.role === "attorney" ? "cases.invitations.attorney" : "cases.invitations.party",
        { inviter: inv.inviter, case: what }), " ",
      t("cases.invitations.until", { date: formatDayOf(inv.expires_at) }), " ",
      h("a", { href: `#/invitations/${inv.id}`, text: t("cases.pendingInvitationOpen") }));
  })));
}

// The case went in, but another open case at the centre has the same court case number. The
// filer is told only that, in the reply to their own filing (never which case, or whose): staff
// see both in the queue and the audit log and will check them.
function filedWithSameNumber(main, caseId, ctx) {
  ctx.setTitle(t("cases.sameNumber.title"));
  mount(main, h("div", { class: "narrow" }, h("h1", { text: t("cases.sameNumber.title") }),
    h("p", { class: "notice warn", id: "same-number",
      text: t("cases.sameNumber.text") }),
    h("p", {}, h("a", { href: `#/cases/${caseId}`, class: "button",
      text: t("cases.sameNumber.open") }))));
  const heading = main.querySelector("h1");
  heading.tabIndex = -1;
  heading.focus({ preventScroll: true });
  ctx.announce(t("cases.sameNumber.text"));
}

export function create(main, _params, ctx) {
  ctx.setTitle(t("cases.new"));
  const f = {
    kind: field("kind", t("cases.kind"), { tag: "select", required: true, options: KINDS }),
    side: field("side", t("cases.side"), { tag: "select", required: true,
      options: [["plaintiff", t("labels.sideChoice.plaintiff")], ["defendant", t("labels.sideChoice.defendant")]] }),
    court_name: field("court_name", t("cases.court"), { required: true,
      hint: t("cases.courtHint") }),
    court_case_number: field("court_case_number", t("cases.caseNumber"), { required: true,
      hint: t("cases.caseNumberHint") }),
    hearing_date: field("hearing_date", t("cases.hearing"), { type: "date" }),
    department: field("department", t("cases.department"), {
      hint: t("cases.departmentHint") }),
    premises_address: field("premises_address", t("cases.premises"), { required: true,
      hint: t("cases.premisesHint") }),
    description: field("description", t("cases.description"), { tag: "textarea",
      required: true, hint: t("cases.descriptionHint") }),
    other_name: field("other_name", t("cases.otherName"), { required: true }),
    other_email: field("other_email", t("cases.otherEmail"), { type: "email", required: true,
      hint: t("cases.otherEmailHint") }),
    other_phone: field("other_phone", t("cases.otherPhone"), { type: "tel" }),
  };
  const share = h("input", { type: "checkbox", id: "share-contact", name: "share_contact" });
  const interpreter = interpreterChoice();
  const fields = { ...f, interpreter: interpreter.field };
  const filedOnly = [f.court_name, f.court_case_number, f.hearing_date, f.department];
  const sync = () => {
    const kind = f.kind.input.value;
    const filed = isFiled(kind);
    for (const x of filedOnly) {
      x.wrap.hidden = !filed;
      x.input.disabled = !filed;
    }
    const premises = kind === "unlawful_detainer";
    f.premises_address.wrap.hidden = !premises;
    f.premises_address.input.disabled = !premises;
    const [first, second] = sideChoices(kind);
    const side = f.side.input;
    side.options[0].text = first;
    side.options[1].text = second;
  };
  f.kind.input.addEventListener("change", sync);
  const form = h("form", { attrs: { novalidate: true } },
    Object.values(f).map((x) => x.wrap),
    h("div", { class: "field" }, h("label", { class: "check", htmlFor: "share-contact" }, share,
      t("invite.shareContact"))),
    interpreter.el,
    h("p", { class: "form-error", attrs: { role: "alert", tabindex: "-1" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", text: t("cases.submit") }),
      h("a", { href: "#/cases", class: "button secondary", text: t("cases.cancel") })));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    showErrors(form, fields, null);
    if (!interpreter.check()) return;
    const filed = isFiled(f.kind.input.value);
    const body = {
      kind: f.kind.input.value,
      side: f.side.input.value,
      description: f.description.input.value,
      other_name: f.other_name.input.value,
      other_email: f.other_email.input.value,
      share_contact: share.checked,
    };
    if (filed) {
      body.court_name = f.court_name.input.value;
      body.court_case_number = f.court_case_number.input.value;
      if (f.hearing_date.input.value) body.hearing_date = f.hearing_date.input.value;
      if (f.department.input.value.trim()) body.department = f.department.input.value.trim();
    }
    if (body.kind === "unlawful_detainer") body.premises_address = f.premises_address.input.value;
    if (f.other_phone.input.value.trim()) body.other_phone = f.other_phone.input.value.trim();
    if (interpreter.value()) body.interpreter = interpreter.value();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const res = await api.post("/api/cases", body);
      if (res.court_case_number_in_use) {
        filedWithSameNumber(main, res.id, ctx);
        return;
      }
      ctx.navigate(`/cases/${res.id}`);
    } catch (err) {
      showErrors(form, fields, err);
    } finally {
      button.disabled = false;
    }
  });
  sync();
  mount(main, h("div", { class: "narrow" }, h("h1", { text: t("cases.new") }),
    h("p", { text: t("cases.intro") }), form));
}
