// My cases (status and what is waiting on me) and opening a new case.

import { api } from "../api.js";
import { field, h, mount, showErrors } from "../dom.js";
import { connection } from "../socket.js";
import { KINDS, isFiled, kindLabel, listOf, sideChoices, statusLabel } from "./labels.js";

function unreadOf(caseId) {
  return connection.roomsOfCase(caseId).reduce((n, r) => n + r.unread, 0);
}

export async function list(main, _params, ctx) {
  ctx.setTitle("My cases");
  const ul = h("ul", { class: "cards", attrs: { "aria-label": "My cases" } });
  mount(main, h("h1", { text: "My cases" }),
    h("div", { class: "actions" }, h("a", { href: "#/cases/new", class: "button",
      text: "Start a new case" })), ul);
  const body = await api.get("/api/cases");
  const cases = listOf(body, "cases");
  const render = () => {
    if (!cases.length) {
      mount(ul, h("li", { class: "card" }, h("p", { text: "You have no cases yet." }),
        h("p", {}, h("a", { href: "#/about", text: "What is online mediation?" }))));
      return;
    }
    mount(ul, cases.map((c) => {
      const unread = unreadOf(c.id);
      const title = `${kindLabel(c.kind)}${c.court_case_number ? ` ${c.court_case_number}` : ""}`;
      return h("li", { class: "card", dataset: { caseId: c.id } },
        h("a", { class: "title", href: `#/cases/${c.id}`, text: title }), " ",
        h("span", { class: "badge", text: unread ? String(unread) : "",
          attrs: { "aria-label": unread ? `${unread} unread` : null } }),
        h("p", {}, h("span", { class: "status", text: statusLabel(c.status) })),
        c.next_step ? h("p", { class: c.waiting_on_me ? "waiting" : "",
          text: c.waiting_on_me ? `Waiting on you: ${c.next_step}` : c.next_step }) : null);
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

export function create(main, _params, ctx) {
  ctx.setTitle("Start a new case");
  const f = {
    kind: field("kind", "Kind of case", { tag: "select", required: true, options: KINDS }),
    side: field("side", "I am the", { tag: "select", required: true,
      options: [["plaintiff", "Plaintiff (I filed the case)"], ["defendant", "Defendant (I am being sued)"]] }),
    court_name: field("court_name", "Court", { required: true,
      hint: "The courthouse named on your court papers." }),
    court_case_number: field("court_case_number", "Court case number", { required: true,
      hint: "As printed on your court papers, for example 24SC01234." }),
    hearing_date: field("hearing_date", "Hearing date", { type: "date" }),
    department: field("department", "Court department", {
      hint: "If your court papers name a department, for example Dept. 77." }),
    premises_address: field("premises_address", "Address of the rented premises", { required: true,
      hint: "Street, unit number, city and ZIP code, as in the eviction papers." }),
    description: field("description", "What is the dispute about?", { tag: "textarea",
      required: true, hint: "A few sentences in your own words. Everyone in the case can read this." }),
    other_name: field("other_name", "The other side's name", { required: true }),
    other_email: field("other_email", "The other side's email", { type: "email", required: true,
      hint: "We email them an invitation to join." }),
    other_phone: field("other_phone", "The other side's mobile phone", { type: "tel" }),
  };
  const share = h("input", { type: "checkbox", id: "share-contact", name: "share_contact" });
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
      "Let the other people in the case see my email and phone")),
    h("p", { class: "form-error", attrs: { role: "alert", tabindex: "-1" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Open case and invite" }),
      h("a", { href: "#/cases", class: "button secondary", text: "Cancel" })));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    showErrors(form, f, null);
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
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const res = await api.post("/api/cases", body);
      ctx.navigate(`/cases/${res.id ?? res.case_id ?? res.case?.id}`);
    } catch (err) {
      showErrors(form, f, err);
    } finally {
      button.disabled = false;
    }
  });
  sync();
  mount(main, h("div", { class: "narrow" }, h("h1", { text: "Start a new case" }),
    h("p", { text: "Tell us about the dispute. We will invite the other side to try mediation " +
      "with you. Mediation only starts if they agree." }), form));
}
