// Safety: the party's confidential screening form, the mediators' view of the answers, the
// "safety" chip on case lists and the "Need help" button in every room (odrchat/safety).

import { api } from "../api.js";
import { formatDateTime, h, mount } from "../dom.js";
import { t } from "../i18n.js";
import { sideLabel } from "./labels.js";

const YES_NO = [["yes", "safety.yes"], ["no", "safety.no"]];
const ORDER = [["yes", "safety.yes"], ["no", "safety.no"], ["unsure", "safety.unsure"]];
// How the mediators' view names a reason a party picked (never the party's words).
const STAFF_REASONS = {
  unsafe: "safety.staff.reason.unsafe",
  upset: "safety.staff.reason.upset",
  technical: "safety.staff.reason.technical",
  question: "safety.staff.reason.question",
};
const HELP_REASONS = [
  ["unsafe", "safety.help.reason.unsafe"],
  ["upset", "safety.help.reason.upset"],
  ["technical", "safety.help.reason.technical"],
  ["question", "safety.help.reason.question"],
];

/** One question as a group of big radio buttons (easy to tap on a phone). */
function question(name, labelKey, choices, value) {
  const legendId = `q-${name}`;
  return h("fieldset", { class: "field choice", attrs: { "aria-labelledby": legendId } },
    h("legend", { id: legendId, text: t(labelKey) }),
    choices.map(([v, key]) => h("label", { class: "check" },
      h("input", { type: "radio", name, value: v, checked: value === v, required: true }),
      " ", t(key))));
}

function chosen(form, name) {
  return form.querySelector(`input[name="${name}"]:checked`)?.value ?? null;
}

/** The party's screening form; `refresh` reloads the case page once the answers are saved. */
export function screeningBox(d, refresh) {
  if (d.my_role !== "party" || !d.screening_required) return null;
  const open = !["declined", "expired", "opted_out", "impasse", "settled"].includes(d.status);
  if (!open) return null;
  const note = h("textarea", { id: "screening-note", rows: 3, maxLength: 1000 });
  const out = h("p", { class: "field-error", attrs: { role: "status" } });
  const save = h("button", { type: "submit", text: t("safety.screening.save") });
  const form = h("form", { class: "screening", id: "screening-form", attrs: { novalidate: "" } },
    h("p", { class: "notice", text: t("safety.screening.private") }),
    h("p", { class: "notice warn", text: t("safety.emergency") }),
    question("order", "safety.screening.order", ORDER),
    question("afraid", "safety.screening.afraid", YES_NO),
    question("support_person", "safety.screening.support", YES_NO),
    question("accommodation", "safety.screening.accommodation", YES_NO),
    h("div", { class: "field" },
      h("label", { htmlFor: note.id, text: t("safety.screening.note") }),
      h("p", { class: "hint", text: t("safety.screening.noteHint") }), note),
    h("div", { class: "actions" }, save), out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const names = ["order", "afraid", "support_person", "accommodation"];
    const missing = names.find((n) => chosen(form, n) === null);
    if (missing) {
      out.textContent = t("safety.screening.answerAll");
      form.querySelector(`input[name="${missing}"]`).focus();
      return;
    }
    save.disabled = true;
    try {
      await api.post(`/api/cases/${d.id}/screening`, {
        order: chosen(form, "order"),
        afraid: chosen(form, "afraid") === "yes",
        support_person: chosen(form, "support_person") === "yes",
        accommodation: chosen(form, "accommodation") === "yes",
        note: note.value.trim() || null,
      });
      refresh();
    } catch (err) {
      out.textContent = err.message;
      save.disabled = false;
    }
  });
  const heading = h("h2", { id: "screening-h", text: t("safety.screening.title") });
  if (d.screening_answered) {
    // Answered already: say so, and let the party answer again (things change).
    return h("section", { attrs: { "aria-labelledby": "screening-h" } }, heading,
      h("p", { id: "screening-done", text: t("safety.screening.done") }),
      h("details", {}, h("summary", { text: t("safety.screening.again") }), form));
  }
  return h("section", { class: "prose", attrs: { "aria-labelledby": "screening-h" } }, heading,
    h("p", { text: t("safety.screening.intro") }), form);
}

function yesNo(value) {
  return t(value ? "safety.yes" : "safety.no");
}

/** The mediators' and admins' view: a flag, the answers of each party, the last help request. */
export async function safetyBox(d) {
  if (!["mediator", "co_mediator", "admin"].includes(d.my_role)) return null;
  if (!d.screening_required && !d.safety_flag && !d.help_requested_at) return null;
  let view = null;
  try {
    view = await api.get(`/api/cases/${d.id}/screening`);
  } catch {
    view = null;
  }
  const answers = view?.answers || [];
  const order = { yes: "safety.yes", no: "safety.no", unsure: "safety.unsure" };
  return h("section", { id: "safety-box", attrs: { "aria-labelledby": "safety-h" } },
    h("h2", { id: "safety-h", text: t("safety.staff.title") }),
    d.safety_flag ? h("p", { class: "notice warn", id: "safety-flag", text: t("safety.staff.flagged") }) : null,
    d.help_requested_at ? await helpList(d) : null,
    answers.length ? h("ul", { class: "cards" }, answers.map((a) => h("li", { class: "card",
      dataset: { side: a.side } },
    h("strong", { text: a.display_name }), a.flagged ? h("span", { class: "status warn",
      text: ` ${t("safety.chip")}` }) : null,
    h("dl", { class: "facts" },
      h("dt", { text: t("safety.screening.order") }), h("dd", { text: t(order[a.order] || "safety.unsure") }),
      h("dt", { text: t("safety.screening.afraid") }), h("dd", { text: yesNo(a.afraid) }),
      h("dt", { text: t("safety.screening.support") }), h("dd", { text: yesNo(a.support_person) }),
      h("dt", { text: t("safety.screening.accommodation") }), h("dd", { text: yesNo(a.accommodation) }),
      a.note ? [h("dt", { text: t("safety.screening.note") }), h("dd", { class: "prewrap", text: a.note })] : null,
      h("dt", { text: t("safety.staff.answeredAt") }), h("dd", { text: formatDateTime(a.answered_at) })))))
      : h("p", { text: t("safety.staff.none") }));
}

/** The case's help requests, open first, each open one with "Mark as handled". */
async function helpList(d) {
  let requests = [];
  try {
    requests = (await api.get(`/api/cases/${d.id}/help`)).requests || [];
  } catch (err) {
    return h("p", { class: "notice warn", text: err.message });
  }
  const box = h("div", { class: "help-requests" });
  const status = (r) => (r.handled_at
    ? h("span", { class: "status ok help-status", text: t("safety.staff.helpHandled",
      { name: r.handled_by?.name || "", when: formatDateTime(r.handled_at) }) })
    : h("span", { class: "status warn help-status", text: t("safety.staff.helpOpen") }));
  const item = (r) => {
    const out = h("p", { class: "field-error", attrs: { role: "status" } });
    const li = h("li", { class: "card help-request", dataset: { helpId: r.id, open: r.handled_at ? "" : "1" } },
      h("strong", { text: `${r.name} (${sideLabel(d.kind, r.side)})` }), " ",
      h("span", { text: t(STAFF_REASONS[r.reason] || "safety.staff.reason.question") }),
      h("p", { text: t("safety.staff.help", { when: formatDateTime(r.at) }) }), status(r));
    if (!r.handled_at) {
      const mark = h("button", { type: "button", class: "secondary", text: t("safety.staff.markHandled") });
      mark.addEventListener("click", async () => {
        mark.disabled = true;
        try {
          const done = await api.post(`/api/cases/${d.id}/help/${r.id}/handled`);
          requests = requests.map((x) => (x.id === done.id ? done : x));
          render();
          // Keyboard and screen-reader users land on what changed, not on the page's top.
          const now = box.querySelector(`[data-help-id="${done.id}"] .help-status`);
          if (now) {
            now.setAttribute("tabindex", "-1");
            now.focus();
          }
        } catch (err) {
          out.textContent = err.message;
          mark.disabled = false;
        }
      });
      li.append(h("div", { class: "actions" }, mark), out);
    }
    return li;
  };
  const render = () => {
    const open = requests.filter((r) => !r.handled_at);
    const handled = requests.filter((r) => r.handled_at);
    mount(box, h("h3", { text: t("safety.staff.helpTitle") }),
      open.length ? h("p", { class: "notice warn", text: t("safety.staff.helpOpenCount", { count: open.length }) }) : null,
      h("ul", { class: "cards" }, [...open, ...handled].map(item)));
  };
  render();
  return box;
}

/** The chip on a case list line, for those who may see that a case is flagged. */
export function safetyChip(c) {
  return c.safety_flag ? h("span", { class: "status warn safety-chip", text: t("safety.chip") }) : null;
}

/** "Need help" for parties, in every room: pick a reason, tell the mediator, see what's next. */
export function helpButton(caseId, roomId) {
  const panel = h("div", { class: "help-panel notice", hidden: true,
    attrs: { role: "region", "aria-label": t("safety.help.button") } });
  const toggle = h("button", { type: "button", class: "secondary help-button",
    text: t("safety.help.button"), attrs: { "aria-expanded": "false" },
    on: { click: () => {
      panel.hidden = !panel.hidden;
      toggle.setAttribute("aria-expanded", panel.hidden ? "false" : "true");
      if (!panel.hidden) panel.querySelector("input")?.focus();
    } } });
  const name = `help-${roomId}`;
  const out = h("div", { attrs: { role: "status", "aria-live": "polite" } });
  const send = h("button", { type: "submit", text: t("safety.help.send") });
  const form = h("form", {},
    h("p", { class: "warn", text: t("safety.emergency") }),
    h("fieldset", { class: "field choice" }, h("legend", { text: t("safety.help.why") }),
      HELP_REASONS.map(([v, key]) => h("label", { class: "check" },
        h("input", { type: "radio", name, value: v }), " ", t(key)))),
    h("p", { class: "hint", text: t("safety.help.private") }),
    h("div", { class: "actions" }, send));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const reason = form.querySelector(`input[name="${name}"]:checked`)?.value;
    if (!reason) {
      mount(out, h("p", { class: "field-error", text: t("safety.help.pick") }));
      return;
    }
    send.disabled = true;
    try {
      const reply = await api.post(`/api/cases/${caseId}/help`, { reason, room_id: roomId });
      mount(out, h("p", { class: "ok", text: t("safety.help.sent") }),
        h("ul", {}, (reply.next_steps || []).map((s) => h("li", { text: s, dataset: { serverText: "" } }))));
      form.hidden = true;
    } catch (err) {
      mount(out, h("p", { class: "field-error", text: err.message }),
        h("p", { class: "warn", text: t("safety.emergency") }));
      send.disabled = false;
    }
  });
  mount(panel, form, out);
  return h("div", { class: "help" }, toggle, panel);
}
