// The Agreement tab: the text (as text: line breaks kept, never parsed as HTML), the mediator's
// clarifications and "send for signature", the signing step, signatures, the PDF and filing.
//
// Signing binds to the exact text shown: the browser hashes the text on screen with SHA-256,
// shows that fingerprint, and sends it; the server refuses a signature whose hash is not the
// current text's. The e-sign consent is its own checkbox, and the paper alternative is stated.

import { api } from "../api.js";
import { formatDate, formatDateTime, h, mount, withLink } from "../dom.js";
import { currentLanguage, timeZoneLabel, formatMoney, lazy, momentFromInput, t } from "../i18n.js";
import { CLAUSES, UD_ROUTES, roleLabel, sideLabel } from "./labels.js";

const PAYMENT_STATUS = lazy({
  due: "agreement.payments.status.due",
  reported_paid: "agreement.payments.status.reportedPaid",
  paid: "agreement.payments.status.paid",
  missed: "agreement.payments.status.missed",
});
const PAYMENT_ACTIONS = lazy({
  report_paid: "agreement.payments.action.reportPaid",
  confirm_paid: "agreement.payments.action.confirmPaid",
  dispute: "agreement.payments.action.dispute",
  report_missed: "agreement.payments.action.reportMissed",
});

const STATUS_TEXT = lazy({
  draft: "agreement.status.draft",
  out_for_signature: "agreement.status.outForSignature",
  signed: "agreement.status.signed",
  filed: "agreement.status.filed",
});

/** The agreement's state as this person reads it: "ready to sign" only while they may sign. */
function statusText(a) {
  // A community agreement is not filed with a court: "filed" means CCR keeps it on file.
  if (a.status === "filed" && !a.court_filed) return t("agreement.status.keptOnFile");
  if (a.status !== "out_for_signature") return STATUS_TEXT[a.status] || a.status;
  if (a.my?.may_sign) return t("agreement.status.outForSignature");
  if (a.my?.signed) return t("agreement.status.youSignedWaiting");
  return t("agreement.status.waitingForSignatures");
}

/** What an attorney may do here: read, help their client, sign only if authorised. */
function attorneyNote(a) {
  if (a.my?.role !== "attorney" || ["signed", "filed"].includes(a.status)) return null;
  return h("p", { class: "notice attorney-can", text: a.my?.may_sign ? t("agreement.attorney.authorised")
    : t("agreement.attorney.can") });
}

/** SHA-256 of `text` (UTF-8) as 64 lowercase hex digits, or null where the browser has none. */
export async function sha256Hex(text) {
  if (!window.crypto?.subtle) return null;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Mount the tab; returns a cleanup function. */
const ENDED_KEYS = {
  opted_out: "agreement.ended.optedOut",
  impasse: "agreement.ended.impasse",
  declined: "agreement.ended.declined",
  expired: "agreement.ended.expired",
};

export function agreementTab(panel, d, user, ctx) {
  const connection = ctx.connection;
  let current = null;
  let timer = null;
  const load = async () => {
    let a;
    try {
      a = await api.get(`/api/cases/${d.id}/agreement`);
    } catch (err) {
      if (err.status === 404) {
        current = null;
        // A case that ended without an agreement says so, rather than "none yet".
        const ended = ENDED_KEYS[d.status];
        mount(panel, h("h2", { text: t("agreement.title") }),
          h("p", { class: "notice", dataset: { placeholder: "agreement" },
            text: ended ? t(ended) : t("agreement.none.text") }),
          h("p", { text: t("agreement.none.privacy") }),
          h("p", {}, h("a", { href: "#/prepare", text: t("agreement.none.prepare") })));
        return;
      }
      mount(panel, h("p", { class: "notice warn", attrs: { role: "alert" }, text: err.message }));
      return;
    }
    // Keep a half-filled signing form when nothing it depends on changed.
    const keep = current && current.document_sha256 === a.document_sha256
      && current.status === a.status && current.my?.may_sign === a.my?.may_sign
      ? panel.querySelector("form.sign") : null;
    current = a;
    await render(panel, d, user, a, load, keep, ctx);
  };
  const onRoom = (ev) => {
    const room = ev.detail.room;
    if (room.caseId !== d.id || ev.detail.reason !== "event") return;
    const last = room.events.get(room.lastSeq);
    if (!last || !/^(agreement|offer)\./.test(last.type)) return;
    clearTimeout(timer);
    timer = setTimeout(load, 150); // one fetch for a burst (signed + final arrive together)
  };
  connection.addEventListener("room", onRoom);
  load();
  return () => {
    clearTimeout(timer);
    connection.removeEventListener("room", onRoom);
  };
}

async function render(panel, d, user, a, reload, keepForm, ctx) {
  const court = a.court_filed;
  const textEl = h("div", { class: "agreement-text", id: "agreement-text",
    attrs: { tabindex: "0", role: "document", "aria-label": t("agreement.textLabel"), lang: "en" }, text: a.text });
  const shown = await sha256Hex(a.text);
  const fingerprint = shown || a.document_sha256;
  const mediating = ["mediator", "co_mediator"].includes(a.my?.role);
  const done = a.status === "signed" || a.status === "filed";
  mount(panel,
    h("h2", { text: t("agreement.title") }),
    h("p", { class: done ? "notice ok" : "notice", attrs: { role: "status" }, dataset: { status: a.status },
      text: statusText(a) }),
    attorneyNote(a),
    court ? filingStatus(a) : recordStatus(a),
    (a.voided_notes || []).length ? h("div", { class: "notice warn voided" },
      h("p", {}, h("strong", { text: t("agreement.voided") })),
      h("ul", { dataset: { serverText: "" } }, a.voided_notes.map((n) => h("li", { text: typeof n === "string" ? n : JSON.stringify(n) })))) : null,
    h("h3", { text: t("agreement.theText") }),
    currentLanguage() !== "en" ? h("p", { class: "notice", text: t("agreement.english") }) : null,
    textEl,
    courtesy(a),
    h("p", { class: "hint fingerprint" }, t("agreement.fingerprint"),
      h("code", { class: "sha", text: fingerprint })),
    done && a.my?.role !== "admin" ? h("p", {}, h("a", { class: "button", href: `/api/agreements/${a.id}/pdf`,
      attrs: { download: `settlement-agreement-case-${d.id}.pdf` }, text: t("agreement.download") })) : null,
    signatures(a, d),
    done ? payments(a, d, reload) : null,
    mediating ? mediatorBox(a, d, reload) : null,
    attorneyBox(a, d, reload),
    a.my?.may_sign ? (keepForm || signForm(a, d, user, textEl, fingerprint, shown, reload))
      : a.my?.signed ? h("p", { class: "notice ok", text: t("agreement.youSigned") }) : null,
    a.status === "out_for_signature" && ["party", "mediator", "co_mediator", "admin"].includes(a.my?.role)
      ? h("p", {}, h("a", { class: "button secondary", href: `/api/agreements/${a.id}/signature-page`,
        attrs: { download: `signature-page-case-${d.id}.pdf` },
        text: t("agreement.printInk") })) : null,
    a.status === "out_for_signature" && (mediating || a.my?.role === "admin") ? paperBox(a, d, reload, ctx.connection) : null);
}

/** A translation for reading, when the server has one in the reader's language (never signed). */
function courtesy(a) {
  const text = a.courtesy_translation?.text ?? a.translation?.text;
  if (!text) return null;
  const lang = a.courtesy_translation?.language ?? a.translation?.language ?? currentLanguage();
  return h("details", { class: "courtesy" }, h("summary", { text: t("agreement.courtesy") }),
    h("div", { class: "agreement-text", attrs: { lang }, dataset: { serverText: "" }, text }));
}

/** The case's documents the staff member can see, for attaching the scan of a signed page. */
async function fillScans(select, connection, caseId) {
  const rooms = [...(connection?.rooms?.values() || [])].filter((r) => r.caseId === caseId);
  for (const room of rooms) {
    try {
      const found = await api.get(`/api/rooms/${room.id}/documents`);
      for (const doc of found.documents || []) {
        select.append(h("option", { value: String(doc.id), text: `${doc.name} (${room.title})` }));
      }
    } catch {
      // A room whose documents cannot be listed is skipped: the scan stays optional.
    }
  }
}

function paperBox(a, d, reload, connection) {
  const signed = new Set((a.signatures || []).map((g) => g.for_side));
  const parties = (d.participants || []).filter((p) => p.role === "party" && p.side && !signed.has(p.side));
  if (!parties.length) return null;
  const who = h("select", { id: "paper-signer" }, parties.map((p) =>
    h("option", { value: String(p.user_id), text: `${p.display_name} (${sideLabel(d.kind, p.side)})` })));
  const when = h("input", { type: "datetime-local", id: "paper-when", required: true,
    attrs: { "aria-describedby": "paper-when-zone" } });
  const sha = h("input", { id: "paper-sha", value: a.document_sha256, maxLength: 64, spellcheck: false });
  const scan = h("select", { id: "paper-scan" }, h("option", { value: "", text: t("agreement.paper.noScan") }));
  fillScans(scan, connection, d.id);
  const out = h("p", { attrs: { role: "status" } });
  const save = h("button", { type: "button", text: t("agreement.paper.record") });
  save.addEventListener("click", async () => {
    if (!when.value) { out.textContent = t("agreement.paper.when"); return; }
    save.disabled = true;
    try {
      await api.post(`/api/agreements/${a.id}/paper-signature`, {
        signer_user_id: Number(who.value),
        signed_at: momentFromInput(when.value).toISOString(),
        document_sha256: sha.value.trim().toLowerCase(),
        scan_document_id: scan.value ? Number(scan.value) : null,
      });
      await reload();
    } catch (err) {
      out.textContent = err.message;
      save.disabled = false;
    }
  });
  return h("section", { class: "mediator-box", attrs: { "aria-labelledby": "paper-h" } },
    h("h3", { id: "paper-h", text: t("agreement.paper.title") }),
    h("p", { class: "hint", text: t("agreement.paper.hint") }),
    h("div", { class: "field" }, h("label", { htmlFor: who.id, text: t("agreement.paper.who") }), who),
    h("div", { class: "field" }, h("label", { htmlFor: when.id, text: t("agreement.paper.whenLabel") }),
      h("p", { class: "hint", id: "paper-when-zone",
        text: t("time.zoneHint", { zone: timeZoneLabel() }) }),
      when),
    h("div", { class: "field" }, h("label", { htmlFor: sha.id, text: t("agreement.paper.sha") }), sha),
    h("div", { class: "field" }, h("label", { htmlFor: scan.id, text: t("agreement.paper.scan") }),
      h("p", { class: "hint", text: t("agreement.paper.scanHint") }), scan),
    h("div", { class: "actions" }, save), out);
}

/** The payment schedule of a signed agreement: each payment, its status, and my next step. */
function payments(a, d, reload) {
  const list = a.payments?.instalments || [];
  if (!list.length) return null;
  const mine = a.my?.payment_actions || {};
  const out = h("p", { attrs: { role: "status" } });
  const names = new Map((d.participants || []).filter((p) => p.role === "party" && p.side)
    .map((p) => [p.side, p.display_name]));
  const who = (side) => names.get(side) || sideLabel(d.kind, side);
  const act = async (number, action, btn) => {
    btn.disabled = true;
    try {
      await api.post(`/api/agreements/${a.id}/payments/${number}`, { action });
      await reload();
    } catch (err) {
      out.textContent = err.message;
      btn.disabled = false;
    }
  };
  const rows = list.map((i) => h("tr", { dataset: { payment: String(i.number), status: i.status } },
    h("td", { text: String(i.number) }),
    h("td", { text: t("agreement.payments.pays", { payer: who(i.payer), payee: who(i.payee) }) }),
    h("td", { class: "money", text: formatMoney(i.amount_cents) }),
    h("td", {}, h("time", { dateTime: i.due, text: formatDate(i.due) })),
    h("td", { class: "payment-status", text: PAYMENT_STATUS[i.status] || i.status }),
    h("td", {}, (mine[String(i.number)] || []).map((action) => {
      const btn = h("button", { type: "button", class: action === "confirm_paid" || action === "report_paid"
        ? "" : "secondary", dataset: { action }, text: PAYMENT_ACTIONS[action] || action });
      btn.addEventListener("click", () => act(i.number, action, btn));
      return btn;
    }))));
  const missed = list.some((i) => i.status === "missed");
  return h("section", { class: "payments", attrs: { "aria-labelledby": "pay-h" } },
    h("h3", { id: "pay-h", text: t("agreement.payments.title") }),
    a.payments.performed_at
      ? h("p", { class: "notice ok", dataset: { performed: "yes" }, text: t("agreement.payments.performed") })
      : h("p", { class: "hint", text: t("agreement.payments.hint") }),
    h("div", { class: "table-wrap" }, h("table", { class: "payments-table" },
      h("thead", {}, h("tr", {},
        [t("agreement.payments.col.number"), t("agreement.payments.col.who"),
          t("agreement.payments.col.amount"), t("agreement.payments.col.due"),
          t("agreement.payments.col.status"), t("agreement.payments.col.next")].map((text) =>
          h("th", { attrs: { scope: "col" }, text })))),
      h("tbody", {}, rows))),
    h("p", { text: t("agreement.payments.totals", { paid: formatMoney(a.payments.paid_cents),
      unpaid: formatMoney(a.payments.unpaid_cents) }) }),
    missed && a.court_filed && a.my?.role !== "observer" ? h("p", {},
      h("span", { text: t("agreement.payments.worksheetHint") }), " ",
      h("a", { class: "button secondary", href: `/api/agreements/${a.id}/enforcement-worksheet`,
        attrs: { download: `enforcement-worksheet-case-${d.id}.pdf` }, text: t("agreement.payments.worksheet") }))
      : null,
    missed && !a.court_filed ? h("p", { class: "hint", text: t("agreement.payments.community") }) : null,
    out);
}

/** A community agreement: kept on file by CCR under its own reference, never filed in court. */
function recordStatus(a) {
  const text = a.filing
    ? t("agreement.filing.kept", { date: formatDate(a.filing.filed_on), reference: a.centre_reference || "" })
    : a.status === "signed" ? t("agreement.filing.keepSigned") : t("agreement.filing.keepPending");
  return h("p", { class: "filing", dataset: { filed: a.filing ? "yes" : "no" }, text });
}

function filingStatus(a) {
  const text = a.filing
    ? t("agreement.filing.filed", { date: formatDate(a.filing.filed_on), reference: a.filing.court_reference })
    : a.status === "signed" ? t("agreement.filing.signed") : t("agreement.filing.pending");
  return h("p", { class: "filing", dataset: { filed: a.filing ? "yes" : "no" }, text });
}

function signatures(a, d) {
  const list = a.signatures || [];
  const people = new Map((d.participants || []).map((p) => [p.user_id, p]));
  return h("section", { attrs: { "aria-labelledby": "sigs-h" } },
    h("h3", { id: "sigs-h", text: t("agreement.signatures") }),
    list.length ? h("ul", { class: "signatures" }, list.map((g) => h("li", { dataset: { side: g.for_side } },
      h("strong", { text: g.typed_name }),
      t("agreement.signedFor", { side: sideLabel(d.kind, g.for_side) }),
      g.by_role === "attorney" ? t("agreement.signedAs", { role: roleLabel("attorney", g.for_side, d.kind) }) : "",
      g.method === "paper" ? t("agreement.inInk") : "",
      g.scan_document_id ? t("agreement.scanKept") : "",
      people.get(g.signer_user_id) && people.get(g.signer_user_id).display_name !== g.typed_name
        ? t("agreement.account", { name: people.get(g.signer_user_id).display_name }) : "",
      t("agreement.on"), h("time", { dateTime: g.at, text: formatDateTime(g.at) }))))
      : h("p", { text: t("agreement.nobodySigned") }));
}

function mediatorBox(a, d, reload) {
  if (!["draft", "out_for_signature"].includes(a.status)) return null;
  const box = h("textarea", { id: "clarifications", rows: 4, maxLength: 4000, value: a.clarifications || "" });
  const chosen = (a.options && a.options.clauses) || [];
  const clauses = CLAUSES.map(([value, label]) => {
    const input = h("input", { type: "checkbox", id: `clause-${value}`, value, checked: chosen.includes(value) });
    return { input, wrap: h("label", { class: "check", htmlFor: input.id }, input, label) };
  });
  const route = h("select", { id: "ud-route" }, UD_ROUTES.map(([value, label]) =>
    h("option", { value, text: label })));
  route.value = (a.options && a.options.ud_route) || "conditional_dismissal";
  const out = h("p", { attrs: { role: "status" } });
  const save = h("button", { type: "button", class: "secondary", text: t("agreement.saveWording") });
  save.addEventListener("click", async () => {
    save.disabled = true;
    try {
      const options = { clauses: clauses.filter((c) => c.input.checked).map((c) => c.input.value),
        ud_route: route.value };
      await api.post(`/api/agreements/${a.id}/edit`, { clarifications: box.value, options });
      out.textContent = t("auth.account.saved");
      await reload();
    } catch (err) {
      out.textContent = err.message;
      save.disabled = false;
    }
  });
  const send = h("button", { type: "button", text: t("agreement.sendForSignature"), hidden: a.status !== "draft" });
  send.addEventListener("click", async () => {
    send.disabled = true;
    try {
      await api.post(`/api/agreements/${a.id}/send`);
      await reload();
    } catch (err) {
      out.textContent = err.message;
      send.disabled = false;
    }
  });
  return h("section", { class: "mediator-box", attrs: { "aria-labelledby": "clar-h" } },
    h("h3", { id: "clar-h", text: t("agreement.mediatorBox") }),
    h("div", { class: "field" },
      h("label", { htmlFor: box.id, text: t("agreement.clarify") }),
      h("p", { class: "hint", text: a.status === "out_for_signature"
        ? t("agreement.clarify.voids") : t("agreement.clarify.hint") }),
      box),
    h("fieldset", { class: "field" }, h("legend", { text: t("agreement.clauses") }),
      clauses.map((c) => c.wrap)),
    d.kind === "unlawful_detainer" ? h("div", { class: "field" },
      h("label", { htmlFor: route.id, text: t("agreement.udRoute") }), route) : null,
    h("div", { class: "actions" }, save, send), out);
}

function attorneyBox(a, d, reload) {
  if (a.my?.role !== "party" || !["draft", "out_for_signature"].includes(a.status)) return null;
  const mine = (d.participants || []).filter((p) => p.role === "attorney" && p.side === a.my.side);
  if (!mine.length) return null;
  if (d.kind === "civil_harassment") {
    return h("p", { class: "hint", text: t("agreement.attorney.harassment") });
  }
  const done = new Set((a.authorisations || []).map((x) => x.attorney_user_id));
  return h("section", { attrs: { "aria-labelledby": "att-h" } },
    h("h3", { id: "att-h", text: t("agreement.attorney.title") }),
    mine.map((p) => {
      if (done.has(p.user_id)) return h("p", { text: t("agreement.attorney.may", { name: p.display_name }) });
      const out = h("span", { attrs: { role: "status" } });
      const btn = h("button", { type: "button", class: "secondary",
        text: t("agreement.attorney.authorise", { name: p.display_name }) });
      btn.addEventListener("click", async () => {
        btn.disabled = true;
        try {
          await api.post(`/api/agreements/${a.id}/authorise-attorney`, { attorney_user_id: p.user_id });
          await reload();
        } catch (err) {
          out.textContent = err.message;
          btn.disabled = false;
        }
      });
      return h("div", { class: "actions" }, btn, out);
    }));
}

function signForm(a, d, user, textEl, fingerprint, shown, reload) {
  const consent = h("input", { type: "checkbox", id: "esign-consent" });
  const consentErr = h("p", { class: "field-error", id: "esign-consent-err" });
  const password = h("input", { type: "password", id: "sign-password",
    attrs: { autocomplete: "current-password", "aria-describedby": "sign-password-hint sign-password-err" } });
  const passwordErr = h("p", { class: "field-error", id: "sign-password-err" });
  const name = h("input", { type: "text", id: "sign-name",
    attrs: { autocomplete: "name", "aria-describedby": "sign-name-hint sign-name-err" } });
  const nameErr = h("p", { class: "field-error", id: "sign-name-err" });
  const summary = h("p", { class: "form-error", attrs: { role: "alert", tabindex: "-1" } });
  const form = h("form", { class: "sign", attrs: { novalidate: true, "aria-labelledby": "sign-h" } },
    h("h3", { id: "sign-h", text: t("agreement.sign.title") }),
    h("p", { class: "prose", dataset: { serverText: "" }, text: a.esign_disclosure || "" }),
    h("p", { class: "notice", text: t("agreement.sign.paper") }),
    h("div", { class: "field" }, h("label", { class: "check", htmlFor: consent.id }, consent,
      t("agreement.sign.consent")), consentErr),
    h("div", { class: "field" }, h("label", { htmlFor: password.id, text: t("agreement.sign.password") }),
      h("p", { class: "hint", id: "sign-password-hint", text: t("agreement.sign.passwordHint") }),
      password, passwordErr),
    h("div", { class: "field" }, h("label", { htmlFor: name.id, text: t("agreement.sign.name") }),
      h("p", { class: "hint", id: "sign-name-hint", text: t("agreement.sign.asAccount", { name: user.display_name }) }),
      name, nameErr),
    h("p", { class: "hint" }, withLink(t("agreement.sign.fingerprint"), h("code", { class: "sha", text: fingerprint }))),
    summary,
    h("div", { class: "actions" }, h("button", { type: "submit", text: t("agreement.sign.submit") })));
  const fields = { esign_consent: [consent, consentErr], password: [password, passwordErr],
    typed_name: [name, nameErr] };
  const clear = () => {
    summary.textContent = "";
    for (const [input, err] of Object.values(fields)) {
      err.textContent = "";
      input.removeAttribute("aria-invalid");
    }
  };
  const fail = (key, text) => {
    const [input, err] = fields[key];
    err.textContent = text;
    input.setAttribute("aria-invalid", "true");
    return input;
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clear();
    const bad = [];
    if (!consent.checked) bad.push(fail("esign_consent", t("agreement.sign.tick")));
    if (!password.value) bad.push(fail("password", t("agreement.sign.enterPassword")));
    if (!name.value.trim()) bad.push(fail("typed_name", t("agreement.sign.enterName")));
    if (bad.length) {
      bad[0].focus();
      return;
    }
    // The hash of what is on screen now: if the text changed under us, do not sign it.
    const now = (await sha256Hex(textEl.textContent)) || a.document_sha256;
    if (now !== a.document_sha256 || (shown && shown !== now)) {
      summary.textContent = t("agreement.sign.changed");
      summary.focus();
      await reload();
      return;
    }
    const btn = form.querySelector("button[type=submit]");
    btn.disabled = true;
    try {
      await api.post(`/api/agreements/${a.id}/sign`, {
        esign_consent: true, password: password.value, typed_name: name.value.trim(),
        agree_bound: true, document_sha256: now,
      });
      password.value = "";
      await reload();
    } catch (err) {
      password.value = "";
      const named = Object.entries(err.fields || {}).filter(([k]) => fields[k]);
      for (const [k, msg] of named) {
        fail(k, t(k === "typed_name" ? "agreement.sign.fieldName" : k === "password"
          ? "agreement.sign.fieldPassword" : "agreement.sign.fieldOther", { message: msg }));
      }
      summary.textContent = err.message;
      if (err.status === 409) {
        summary.textContent = t("agreement.sign.current", { message: err.message });
        await reload();
      }
      (named.length ? fields[named[0][0]][0] : summary).focus();
      btn.disabled = false;
    }
  });
  return form;
}
