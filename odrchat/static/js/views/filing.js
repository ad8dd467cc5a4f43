// CCR administration: signed agreements waiting to be filed (download the filing package,
// record the filing; a community agreement is not filed with a court: CCR keeps it on file
// under its own reference, with no court reference) and the messages mediators flagged.

import { api } from "../api.js";
import { formatDateTime, h, mount, tableWrap } from "../dom.js";
import { isFiled, kindLabel, listOf, TABLES } from "./labels.js";
import { t } from "../i18n.js";

function today() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The filing queue. */
export async function filing(panel, ctx) {
  const items = listOf(await api.get("/api/admin/filing"), "agreements");
  if (!items.length) {
    mount(panel, h("p", { class: "notice", text: t("filing.none") }));
    return;
  }
  mount(panel,
    h("p", { class: "hint", text: t("filing.auditHint") }),
    h("ul", { class: "cards" }, items.map((a) => fileCard(a, ctx))));
}

function fileCard(a, ctx) {
  const id = a.agreement_id;
  const court = isFiled(a.kind);
  const date = h("input", { type: "date", id: `filed-on-${id}`, value: today(), required: true });
  const ref = court ? h("input", { type: "text", id: `court-ref-${id}`, maxLength: 120, required: true,
    attrs: { autocomplete: "off" } }) : null;
  const dateErr = h("p", { class: "field-error" });
  const refErr = h("p", { class: "field-error" });
  const out = h("p", { class: "form-error", attrs: { role: "alert" } });
  const label = court ? t("filing.markLabel", { id: String(a.case_id) }) : t("filing.keepLabel", { id: String(a.case_id) });
  const form = h("form", { attrs: { novalidate: true, "aria-label": label } },
    court ? null : h("p", { class: "hint", text: t("filing.keepHint") }),
    h("div", { class: "field" }, h("label", { htmlFor: date.id, text: court ? t("filing.filedOn") : t("filing.keptOn") }), date, dateErr),
    court ? h("div", { class: "field" }, h("label", { htmlFor: ref.id, text: t("filing.reference") }),
      h("p", { class: "hint", text: t("filing.referenceHint") }), ref, refErr) : null,
    out, h("div", { class: "actions" }, h("button", { type: "submit", text: court ? t("filing.mark") : t("filing.keep") })));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    for (const e of [dateErr, refErr, out]) e.textContent = "";
    if (court && !ref.value.trim()) {
      refErr.textContent = t("filing.enterReference");
      ref.focus();
      return;
    }
    const btn = form.querySelector("button");
    btn.disabled = true;
    try {
      const body = court ? { filed_on: date.value, court_reference: ref.value.trim() } : { filed_on: date.value };
      await api.post(`/api/admin/agreements/${id}/filed`, body);
      ctx.announce(court ? t("filing.marked", { id: String(a.case_id) }) : t("filing.kept", { id: String(a.case_id) }));
      ctx.navigate("/admin/filing");
    } catch (err) {
      if (err.fields?.filed_on) dateErr.textContent = t("filing.filedOnError", { message: err.fields.filed_on });
      if (err.fields?.court_reference) refErr.textContent = t("filing.referenceError", { message: err.fields.court_reference });
      out.textContent = err.message;
      btn.disabled = false;
    }
  });
  return h("li", { class: "card", dataset: { agreementId: id, caseId: a.case_id } },
    h("a", { class: "title", href: `#/cases/${a.case_id}/agreement`,
      text: `${kindLabel(a.kind)} ${a.court_case_number || a.centre_reference || ""}`.trim() }),
    h("dl", { class: "facts" },
      court ? h("dt", { text: t("invite.fact.court") }) : h("dt", { text: t("filing.centreReference") }),
      h("dd", { text: (court ? a.court_name : a.centre_reference) || "" }),
      h("dt", { text: t("filing.signed") }), h("dd", { text: formatDateTime(a.signed_at) }),
      h("dt", { text: "SHA-256" }), h("dd", {}, h("code", { class: "sha", text: a.document_sha256 }))),
    h("p", {}, h("a", { class: "button secondary", href: `/api/admin/agreements/${id}/filing-package`,
      attrs: { download: `${court ? "filing" : "record"}-case-${a.case_id}.pdf` },
      text: court ? t("filing.package") : t("filing.record") })),
    form);
}

/** Messages flagged by mediators, newest first, each with a link to read its room. */
export async function flags(panel) {
  const items = listOf(await api.get("/api/admin/flags"), "flags");
  if (!items.length) {
    mount(panel, h("p", { class: "notice", text: t("filing.flags.none") }));
    return;
  }
  mount(panel,
    h("p", { class: "hint", text: t("filing.flags.hint") }),
    tableWrap(TABLES.flags, h("table", {},
      h("caption", { class: "visually-hidden", text: t("filing.flags.caption") }),
      h("thead", {}, h("tr", {}, [t("admin.col.when"), t("admin.col.case"), t("admin.col.message"),
        t("admin.col.reason"), t("admin.col.flaggedBy")].map((text) => h("th", { text })))),
      h("tbody", {}, items.map((f) => h("tr", { dataset: { flagId: f.id } },
        h("td", { text: formatDateTime(f.at) }),
        h("td", { text: `#${f.case_id}` }),
        h("td", {}, h("a", { href: `#/admin/read/${f.case_id}/${f.room}`, text: t("filing.flags.room", { room: String(f.room), seq: String(f.seq) }) })),
        h("td", { class: "prewrap", text: f.reason }),
        h("td", { text: t("filing.flags.user", { id: String(f.flagged_by) }) })))))));
}
