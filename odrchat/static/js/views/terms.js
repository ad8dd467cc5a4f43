// The offer composer: structured settlement terms as a form. It builds exactly the JSON that
// odrchat/offers/terms.py parses (money in whole cents, dates YYYY-MM-DD) and shows the
// server's 422 `fields` (paths such as terms/0/amount_cents) next to the input each one names.
// The server is the judge of every rule; the form only catches what it cannot even send
// (an amount that is not a number) and shows the installment total as you type.

import { h } from "../dom.js";
import { formatMoney, lazyPairs, t } from "../i18n.js";
import { sideLabel } from "./labels.js";

const KINDS = lazyPairs([
  ["payment", "terms.kind.payment"],
  ["move_out", "terms.kind.moveOut"],
  ["stay_away", "terms.kind.stayAway"],
  ["property_return", "terms.kind.propertyReturn"],
  ["dismissal", "terms.kind.dismissal"],
  ["free_text", "terms.kind.freeText"],
]);
const MONEY_RE = /^\$?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$/;

/** "1,250.50" or "$80" -> cents; null when it is not an amount of money. */
export function parseDollars(text) {
  const m = String(text).trim().match(MONEY_RE);
  if (!m) return null;
  return Number(m[1].replace(/,/g, "")) * 100 + Number((m[2] || "").padEnd(2, "0"));
}

/** 125050 -> "$1,250.50" (in the language in use). */
export function formatCents(cents) {
  return formatMoney(cents);
}

function plainDollars(cents) {
  return cents % 100 ? (cents / 100).toFixed(2) : String(cents / 100);
}

let uid = 0;

/** A labelled input whose error line sits right under it; `key` is its path inside a term. */
function control(row, key, label, input, { hint = "", optional = false } = {}) {
  uid += 1;
  input.id = `t${uid}`;
  input.dataset.key = key;
  const err = h("p", { class: "field-error", id: `t${uid}-err`, attrs: { "aria-live": "polite" } });
  const hintEl = hint ? h("p", { class: "hint", id: `t${uid}-hint`, text: hint }) : null;
  input.setAttribute("aria-describedby", [hintEl?.id, err.id].filter(Boolean).join(" "));
  row.controls.set(key, { input, err, label });
  const isCheck = input.type === "checkbox";
  return h("div", { class: "field", dataset: { key } },
    isCheck ? h("label", { class: "check", htmlFor: input.id }, input, label)
      : h("label", { htmlFor: input.id, text: optional ? t("form.optional", { label }) : label }),
    hintEl, isCheck ? null : input, err);
}

function sideSelect(d, value) {
  const sel = h("select", {}, ["plaintiff", "defendant"].map((side) => {
    const who = (d.participants || []).find((p) => p.role === "party" && p.side === side);
    return h("option", { value: side,
      text: `${sideLabel(d.kind, side)}${who ? ` (${who.display_name})` : ""}` });
  }));
  if (value) sel.value = value;
  return sel;
}

const dateInput = (value) => h("input", { type: "date", value: value || "" });

/** The composer. `initial` (a terms list) prefills it, as for a counter-offer. */
export function termsForm(d, initial = []) {
  const rows = [];
  const list = h("div", { class: "terms" });
  const add = (term) => {
    const row = termRow(d, term, () => {
      rows.splice(rows.indexOf(row), 1);
      row.el.remove();
      renumber();
    });
    rows.push(row);
    list.appendChild(row.el);
    renumber();
    return row;
  };
  const renumber = () => rows.forEach((r, i) => {
    r.el.dataset.path = `terms/${i}`;
    r.legend.textContent = t("terms.term", { n: i + 1 });
    r.removeBtn.hidden = rows.length === 1;
  });
  for (const term of initial.length ? initial : [{ kind: defaultKind(d.kind) }]) add(term);
  const addBtn = h("button", { type: "button", class: "secondary", text: t("terms.addTerm"),
    on: { click: () => add({ kind: "free_text" }).focus() } });
  return {
    el: h("div", {}, list, h("div", { class: "actions" }, addBtn)),
    /** The terms JSON and the problems found before sending ({path: message}). */
    collect() {
      const errors = {};
      const terms = rows.map((r, i) => r.collect(`terms/${i}`, errors));
      return { terms, errors };
    },
    rows,
    /** Show server (or local) problems by path; returns the number shown next to inputs. */
    showErrors(fields) {
      let shown = 0;
      const byPath = new Map();
      rows.forEach((r, i) => {
        r.errorEl.textContent = "";
        for (const [key, c] of r.controls) {
          c.err.textContent = "";
          c.input.removeAttribute("aria-invalid");
          byPath.set(`terms/${i}/${key}`, c);
        }
      });
      let first = null;
      for (const [raw, said] of Object.entries(fields || {})) {
        const message = /whole cents/.test(said) ? t("terms.error.cents") : said;
        // parse_terms names the list "items"; the API body names it "terms". Accept both.
        const path = raw.replace(/^items(?=\/|$)/, "terms");
        let at = path;
        while (at && !byPath.has(at) && !/^terms\/\d+$/.test(at)) at = at.split("/").slice(0, -1).join("/");
        const c = byPath.get(at);
        if (c) {
          c.err.textContent = t("terms.fieldError", { label: c.label, message });
          if (c.input.matches("input, select, textarea")) c.input.setAttribute("aria-invalid", "true");
          first = first || c.input;
          shown += 1;
        } else if (/^terms\/\d+$/.test(at)) {
          const r = rows[Number(at.split("/")[1])];
          if (r) {
            r.errorEl.textContent = t("terms.fieldError", { label: r.legend.textContent, message });
            first = first || r.errorEl;
            shown += 1;
          }
        }
      }
      if (first) {
        if (!first.matches("input, select, textarea")) first.tabIndex = -1;
        first.focus();
      }
      return shown;
    },
  };
}

function defaultKind(caseKind) {
  if (caseKind === "unlawful_detainer") return "move_out";
  if (caseKind === "civil_harassment") return "stay_away";
  return "payment";
}

function termRow(d, term, remove) {
  const row = { controls: new Map() };
  const kind = h("select", {}, KINDS.filter(([k]) => k !== "dismissal" || d.kind !== "community")
    .map(([v, l]) => h("option", { value: v, text: l })));
  kind.value = term.kind || "payment";
  const body = h("div");
  row.legend = h("legend");
  row.removeBtn = h("button", { type: "button", class: "link", text: t("terms.removeTerm"),
    on: { click: remove } });
  const kindErr = h("p", { class: "field-error" });
  row.controls.set("kind", { input: kind, err: kindErr, label: t("terms.kindOfTerm") });
  row.errorEl = h("p", { class: "field-error", attrs: { "aria-live": "polite" } });
  row.el = h("fieldset", { class: "term" }, row.legend, row.errorEl,
    h("div", { class: "field" }, h("label", { text: t("terms.whatKind"), htmlFor: (kind.id = `k${++uid}`) }),
      kind, kindErr),
    body, row.removeBtn);
  const draw = (values) => {
    for (const key of [...row.controls.keys()]) if (key !== "kind") row.controls.delete(key);
    row.extra = {};
    body.replaceChildren(...FORMS[kind.value](row, d, values));
  };
  kind.addEventListener("change", () => draw({ kind: kind.value }));
  draw(term);
  row.focus = () => kind.focus();
  row.collect = (path, errors) => {
    const out = { kind: kind.value };
    for (const [key, c] of row.controls) {
      c.input.dataset.path = `${path}/${key}`;
      if (key === "kind" || c.skip?.() || row.extra.skip?.(key)) continue;
      const value = c.read ? c.read(errors, `${path}/${key}`) : readValue(c.input);
      if (value === undefined) continue;
      setPath(out, key, value);
    }
    if (row.extra.finish) row.extra.finish(out, path);
    return out;
  };
  return row;
}

function readValue(input) {
  if (input.type === "checkbox") return input.checked;
  if (input.type === "number") return input.value.trim() === "" ? undefined : Number(input.value);
  // An empty date is left out: the server then says it is required, next to the input.
  if (input.type === "date" && !input.value) return undefined;
  return input.value;
}

function setPath(obj, key, value) {
  const parts = key.split("/");
  let at = obj;
  parts.slice(0, -1).forEach((p, i) => {
    const nextIsIndex = /^\d+$/.test(parts[i + 1]);
    if (at[p] === undefined) at[p] = nextIsIndex ? [] : {};
    at = at[p];
  });
  at[parts[parts.length - 1]] = value;
}

function money(row, key, label, cents) {
  const input = h("input", { type: "text", value: cents ? plainDollars(cents) : "",
    attrs: { inputmode: "decimal", autocomplete: "off" } });
  const wrap = control(row, key, label, input, { hint: t("terms.moneyHint") });
  row.controls.get(key).read = (errors, path) => {
    if (!input.value.trim()) return undefined;
    const c = parseDollars(input.value);
    if (c === null) errors[path] = t("terms.error.dollars");
    return c ?? undefined;
  };
  return wrap;
}

const FORMS = {
  payment(row, d, term) {
    const payer = sideSelect(d, term.payer || "defendant");
    const payee = sideSelect(d, term.payee || "plaintiff");
    const sched = term.schedule || { kind: "lump_sum" };
    const uidName = `sched${++uid}`;
    const lump = h("input", { type: "radio", name: uidName, value: "lump_sum",
      checked: sched.kind !== "installments", id: `${uidName}-l` });
    const plan = h("input", { type: "radio", name: uidName, value: "installments",
      checked: sched.kind === "installments", id: `${uidName}-i` });
    const lumpBox = h("div", {}, control(row, "schedule/due", t("terms.paidInFull"), dateInput(sched.due)));
    const parts = h("ol", { class: "installments" });
    const total = h("p", { class: "hint", attrs: { "aria-live": "polite" } });
    const planErr = h("p", { class: "field-error plan-error", attrs: { "aria-live": "polite" } });
    const planBox = h("div", { class: "plan", dataset: { key: "schedule/installments" } },
      planErr, parts, total,
      h("button", { type: "button", class: "secondary", text: t("terms.addInstallment"),
        on: { click: () => { addPart({}); recount(); } } }));
    row.controls.set("schedule/installments", { input: planBox, err: planErr,
      label: t("terms.installments"), skip: () => true });
    const amountWrap = money(row, "amount_cents", t("terms.amount"), term.amount_cents);
    const partRows = [];
    const addPart = (p) => {
      const li = h("li", { class: "installment" });
      const rec = { li, amount: null, due: null };
      partRows.push(rec);
      parts.appendChild(li);
      drawParts();
      if (p.amount_cents) rec.amount.value = plainDollars(p.amount_cents);
      if (p.due) rec.due.value = p.due;
    };
    const drawParts = () => partRows.forEach((rec, j) => {
      const amount = rec.amount?.value ?? "";
      const due = rec.due?.value ?? "";
      for (const k of [...row.controls.keys()]) {
        if (k.startsWith(`schedule/installments/${j}/`)) row.controls.delete(k);
      }
      rec.amount = h("input", { type: "text", value: amount, attrs: { inputmode: "decimal" },
        on: { input: () => recount() } });
      rec.due = dateInput(due);
      const base = `schedule/installments/${j}`;
      rec.li.replaceChildren(
        control(row, `${base}/amount_cents`, t("terms.installment.amount", { n: j + 1 }), rec.amount),
        control(row, `${base}/due`, t("terms.installment.due", { n: j + 1 }), rec.due),
        partRows.length > 1 ? h("button", { type: "button", class: "link",
          text: t("terms.installment.remove", { n: j + 1 }), on: { click: () => {
            partRows.splice(partRows.indexOf(rec), 1);
            rec.li.remove();
            for (const k of [...row.controls.keys()]) {
              if (k.startsWith("schedule/installments/")) row.controls.delete(k);
            }
            drawParts();
            recount();
          } } }) : null);
      const c = row.controls.get(`${base}/amount_cents`);
      c.read = (errors, path) => {
        const cents = parseDollars(rec.amount.value);
        if (cents === null) errors[path] = t("terms.error.installment");
        return cents ?? undefined;
      };
    });
    const recount = () => {
      const sum = partRows.reduce((n, r) => n + (parseDollars(r.amount.value) || 0), 0);
      const want = parseDollars(amountWrap.querySelector("input").value);
      const amounts = { sum: formatCents(sum), total: formatCents(want ?? 0),
        diff: formatCents(Math.abs((want ?? 0) - sum)) };
      total.textContent = want === null ? t("terms.total.soFar", amounts)
        : sum === want ? t("terms.total.equal", amounts)
          : sum < want ? t("terms.total.short", amounts) : t("terms.total.over", amounts);
    };
    amountWrap.querySelector("input").addEventListener("input", recount);
    for (const p of sched.kind === "installments" ? sched.installments || [] : []) addPart(p);
    if (!partRows.length) { addPart({}); addPart({}); }
    recount();
    const sync = () => {
      lumpBox.hidden = !lump.checked;
      planBox.hidden = !plan.checked;
    };
    lump.addEventListener("change", sync);
    plan.addEventListener("change", sync);
    sync();
    row.extra.skip = (k) => (k === "schedule/due" && !lump.checked)
      || (k.startsWith("schedule/installments") && !plan.checked);
    row.extra.finish = (out) => {
      out.schedule = out.schedule || {};
      out.schedule.kind = lump.checked ? "lump_sum" : "installments";
      if (plan.checked) {
        // Empty rows stay in place, so the server's paths (installments/1/due) still match.
        const got = out.schedule.installments || [];
        out.schedule.installments = partRows.map((_, j) => got[j] || {});
      }
      if (!out.late_consequence) delete out.late_consequence;
    };
    const late = h("textarea", { rows: 2, value: term.late_consequence || "", maxLength: 1000 });
    const wraps = [
      control(row, "payer", t("terms.whoPays"), payer),
      control(row, "payee", t("terms.whoIsPaid"), payee),
      amountWrap,
      h("fieldset", { class: "schedule", dataset: { key: "schedule" } },
        h("legend", { text: t("terms.howPaid") }),
        h("label", { class: "check", htmlFor: lump.id }, lump, t("terms.allAtOnce")),
        h("label", { class: "check", htmlFor: plan.id }, plan, t("terms.inInstallments")),
        lumpBox, planBox),
      control(row, "late_consequence", t("terms.late"), late, { optional: true,
        hint: t("terms.lateHint") }),
    ];
    return wraps;
  },
  move_out(row, d, term) {
    return [
      control(row, "tenant", t("terms.whoMoves"), sideSelect(d, term.tenant || "defendant")),
      control(row, "by", t("terms.movesBy"), dateInput(term.by)),
    ];
  },
  stay_away(row, d, term) {
    const feet = h("input", { type: "number", min: 1, step: 1,
      value: term.distance_feet ?? "", attrs: { inputmode: "numeric" } });
    const none = h("input", { type: "checkbox", checked: term.no_contact ?? true });
    return [
      control(row, "restrained", t("terms.whoStaysAway"), sideSelect(d, term.restrained || "defendant")),
      control(row, "distance_feet", t("terms.distance"), feet, { optional: true }),
      control(row, "no_contact", t("terms.noContact"), none),
      control(row, "details", t("terms.details"), h("textarea", { rows: 2, value: term.details || "",
        maxLength: 1000 }), { optional: true }),
    ];
  },
  property_return(row, d, term) {
    return [
      control(row, "returner", t("terms.whoReturns"), sideSelect(d, term.returner || "defendant")),
      control(row, "description", t("terms.whatReturned"), h("textarea", { rows: 2,
        value: term.description || "", maxLength: 500 })),
      control(row, "by", t("terms.returnedBy"), dateInput(term.by)),
    ];
  },
  dismissal(row, d, term) {
    if (d.kind === "small_claims") {
      return [h("p", { class: "hint", text: t("terms.dismissalSmallClaims") })];
    }
    return [control(row, "with_prejudice", t("terms.withPrejudice"),
      h("input", { type: "checkbox", checked: Boolean(term.with_prejudice) }))];
  },
  free_text(row, d, term) {
    return [control(row, "text", t("terms.freeText"), h("textarea", { rows: 3,
      value: term.text || "", maxLength: 2000 }))];
  },
};
