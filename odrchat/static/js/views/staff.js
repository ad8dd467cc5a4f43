// Staff administration: accounts (search, invite a mediator or administrator, change a role,
// disable or enable, make someone choose a new password) and mediators (availability, languages,
// case kinds, most active cases, days off, recorded conflicts of interest).

import { api } from "../api.js";
import { t } from "../i18n.js";
import { formatDate, h, mount, tableWrap } from "../dom.js";
import { kindLabel } from "./labels.js";

const KINDS = ["small_claims", "unlawful_detainer", "civil_harassment", "community"];
const ROLE_KEYS = { admin: "staff.role.admin", mediator: "staff.role.mediator", "": "staff.role.none" };

function roleName(role) {
  return t(ROLE_KEYS[role || ""]);
}

/** A button that runs `run`, shows its error next to it and re-enables itself on failure. */
function act(text, run, cls = "secondary") {
  const out = h("span", { class: "result", attrs: { role: "status" } });
  const btn = h("button", { type: "button", class: cls, text, on: { click: async () => {
    btn.disabled = true;
    out.textContent = "";
    try {
      const said = await run();
      if (said) out.textContent = said;
      btn.disabled = false;
    } catch (err) {
      const fields = Object.entries(err.fields || {}).map(([k, v]) => `${k}: ${v}`);
      out.textContent = [err.message, ...fields].join(" ");
      btn.disabled = false;
    }
  } } });
  return [btn, out];
}

function input(id, label, props = {}) {
  const el = h("input", { id, ...props });
  return [el, h("div", { class: "field" }, h("label", { htmlFor: id, text: label }), el)];
}

function select(id, label, options, value = "") {
  const el = h("select", { id }, options.map(([v, l]) => h("option", { value: v, text: l })));
  if (value) el.value = value;
  return [el, h("div", { class: "field" }, h("label", { htmlFor: id, text: label }), el)];
}

// --- accounts ------------------------------------------------------------------------------

export async function accounts(panel, ctx) {
  const [q, qField] = input("staff-q", t("staff.search"), { type: "search" });
  const [role, roleField] = select("staff-role-filter", t("staff.show"), [
    ["", t("staff.show.all")], ["staff", t("staff.show.staff")],
    ["mediator", t("staff.role.mediator")], ["admin", t("staff.role.admin")], ["party", t("staff.show.parties")]]);
  const list = h("div", { id: "staff-list" });
  let latest = 0; // a slower, older search must not overwrite a newer one
  const load = async () => {
    const mine = ++latest;
    const params = new URLSearchParams();
    if (q.value.trim()) params.set("q", q.value.trim());
    if (role.value) params.set("role", role.value);
    const found = await api.get(`/api/admin/users?${params}`);
    if (mine !== latest) return;
    mount(list, table(found.users || [], load));
  };
  const search = h("form", { class: "filters", attrs: { role: "search" }, on: { submit: (ev) => {
    ev.preventDefault();
    load();
  } } }, qField, roleField, h("div", { class: "actions" }, h("button", { type: "submit", text: t("staff.searchButton") })));
  mount(panel, inviteForm(load), h("h2", { text: t("staff.accounts") }), search, list);
  await load();
}

function inviteForm(reload) {
  const [name, nameField] = input("invite-name", t("staff.invite.name"), { autocomplete: "off" });
  const [email, emailField] = input("invite-email", t("staff.invite.email"), { type: "email", autocomplete: "off" });
  const [role, roleField] = select("invite-role", t("staff.invite.role"),
    [["mediator", t("staff.role.mediator")], ["admin", t("staff.role.admin")]]);
  const [btn, out] = act(t("staff.invite.send"), async () => {
    const made = await api.post("/api/admin/users",
      { email: email.value.trim(), display_name: name.value.trim(), role: role.value });
    name.value = "";
    email.value = "";
    await reload();
    return t("staff.invite.sent", { email: made.email });
  }, "");
  return h("section", { attrs: { "aria-labelledby": "invite-h" } },
    h("h2", { id: "invite-h", text: t("staff.invite.title") }),
    h("p", { class: "hint", text: t("staff.invite.hint") }),
    nameField, emailField, roleField, h("div", { class: "actions" }, btn, out));
}

function table(users, reload) {
  if (!users.length) return h("p", { class: "notice", text: t("staff.none") });
  return tableWrap(t("staff.tableLabel"), h("table", {},
    h("caption", { class: "visually-hidden", text: t("staff.caption") }),
    h("thead", {}, h("tr", {}, [t("staff.col.name"), t("staff.col.email"), t("staff.col.role"),
      t("staff.col.status"), t("staff.col.actions")].map((text) => h("th", { text })))),
    h("tbody", {}, users.map((u) => row(u, reload)))));
}

function row(u, reload) {
  const status = u.disabled ? t("staff.status.disabled")
    : !u.password_set ? t("staff.status.noPassword") : t("staff.status.active");
  const roleId = `role-${u.id}`;
  const role = h("select", { id: roleId, attrs: { "aria-label": t("staff.newRole", { name: u.display_name }) } },
    [["mediator", t("staff.role.mediator")], ["admin", t("staff.role.admin")], ["none", t("staff.role.none")]]
      .map(([v, l]) => h("option", { value: v, text: l })));
  role.value = u.staff_role || "none";
  const [change, changed] = act(t("staff.changeRole"), async () => {
    await api.post(`/api/admin/users/${u.id}/role`, { role: role.value });
    await reload();
  });
  const [toggle, toggled] = u.disabled
    ? act(t("staff.enable"), async () => { await api.post(`/api/admin/users/${u.id}/enable`); await reload(); })
    : act(t("staff.disable"), async () => {
      if (!window.confirm(t("staff.disableConfirm", { name: u.display_name }))) return "";
      await api.post(`/api/admin/users/${u.id}/disable`);
      await reload();
      return "";
    }, "danger");
  const [reset, resetOut] = act(t("staff.reset"), async () => {
    await api.post(`/api/admin/users/${u.id}/password-reset`);
    return t("staff.resetSent", { email: u.email });
  });
  return h("tr", { dataset: { userId: u.id } },
    h("td", { text: u.display_name }), h("td", { text: u.email }),
    h("td", { text: roleName(u.staff_role) }), h("td", { class: "account-status", text: status }),
    h("td", {}, h("div", { class: "actions" }, role, change, toggle, u.disabled ? null : reset),
      changed, toggled, resetOut));
}

// --- mediators -----------------------------------------------------------------------------

export async function mediators(panel) {
  const [m, c] = await Promise.all([api.get("/api/admin/mediators"), api.get("/api/admin/conflicts")]);
  const people = (m.mediators || []).filter((x) => !x.disabled);
  const reload = () => mediators(panel);
  if (!people.length) {
    mount(panel, h("p", { class: "notice" }, t("staff.mediators.none"), " ",
      h("a", { href: "#/admin/staff", text: t("staff.mediators.inviteLink") })));
    return;
  }
  mount(panel,
    h("ul", { class: "cards" }, people.map((x) => mediatorCard(x, reload))),
    conflicts(people, c.conflicts || [], reload));
}

function mediatorCard(x, reload) {
  const id = x.id;
  const available = h("input", { type: "checkbox", id: `avail-${id}`, checked: x.available });
  available.addEventListener("change", async () => {
    await api.post(`/api/admin/mediators/${id}/availability`, { available: available.checked });
  });
  const [langs, langsField] = input(`langs-${id}`, t("staff.profile.languages"),
    { value: (x.languages || []).join(", "), autocomplete: "off" });
  const kinds = KINDS.map((k) => h("input", { type: "checkbox", id: `kind-${id}-${k}`, value: k,
    checked: (x.case_kinds || []).includes(k) }));
  const [cap, capField] = input(`cap-${id}`, t("staff.profile.cap"),
    { type: "number", min: 1, max: 500, value: x.max_active_cases ?? "" });
  const [save, saved] = act(t("staff.profile.save"), async () => {
    await api.put(`/api/admin/mediators/${id}/profile`, {
      languages: langs.value.split(/[\s,]+/).map((s) => s.trim().toLowerCase()).filter(Boolean),
      case_kinds: kinds.filter((k) => k.checked).map((k) => k.value),
      max_active_cases: cap.value ? Number(cap.value) : null,
    });
    return t("staff.profile.saved");
  }, "");
  const days = [...(x.days_off || [])];
  const [day, dayField] = input(`dayoff-${id}`, t("staff.daysOff.add"), { type: "date" });
  const putDays = (list) => api.put(`/api/admin/mediators/${id}/days-off`, { days: list });
  const [add, added] = act(t("staff.daysOff.addButton"), async () => {
    if (!day.value) return t("staff.daysOff.pick");
    await putDays([...days, day.value]);
    await reload();
    return "";
  });
  return h("li", { class: "card", dataset: { mediatorId: id } },
    h("h2", { text: x.display_name }),
    h("p", { text: t("staff.mediators.load", { count: x.active_cases, email: x.email }) }),
    h("div", { class: "field" }, h("label", { class: "check", htmlFor: available.id }, available,
      t("staff.mediators.available"))),
    h("fieldset", {}, h("legend", { text: t("staff.profile.title") }),
      langsField, h("p", { class: "hint", text: t("staff.profile.languagesHint") }),
      h("fieldset", {}, h("legend", { text: t("staff.profile.kinds") }),
        h("p", { class: "hint", text: t("staff.profile.kindsHint") }),
        kinds.map((k) => h("label", { class: "check", htmlFor: k.id }, k, kindLabel(k.value)))),
      capField, h("div", { class: "actions" }, save, saved)),
    h("fieldset", {}, h("legend", { text: t("staff.daysOff.title") }),
      days.length ? h("ul", { class: "days-off" }, days.map((d) => h("li", {}, formatDate(d), " ",
        act(t("staff.daysOff.remove"), async () => {
          await putDays(days.filter((other) => other !== d));
          await reload();
          return "";
        })))) : h("p", { class: "hint", text: t("staff.daysOff.none") }),
      dayField, h("div", { class: "actions" }, add, added)));
}

function conflicts(people, rows, reload) {
  const [mediator, mediatorField] = select("conflict-mediator", t("staff.conflicts.mediator"),
    people.map((x) => [String(x.id), x.display_name]));
  const [name, nameField] = input("conflict-name", t("staff.conflicts.name"), { autocomplete: "off" });
  const [email, emailField] = input("conflict-email", t("staff.conflicts.email"), { type: "email", autocomplete: "off" });
  const [note, noteField] = input("conflict-note", t("staff.conflicts.note"), { autocomplete: "off" });
  const [btn, out] = act(t("staff.conflicts.record"), async () => {
    const body = { mediator_id: Number(mediator.value) };
    if (name.value.trim()) body.party_name = name.value.trim();
    if (email.value.trim()) body.email = email.value.trim();
    if (note.value.trim()) body.note = note.value.trim();
    await api.post("/api/admin/conflicts", body);
    await reload();
    return "";
  }, "");
  return h("section", { attrs: { "aria-labelledby": "conflicts-h" } },
    h("h2", { id: "conflicts-h", text: t("staff.conflicts.title") }),
    h("p", { class: "hint", text: t("staff.conflicts.hint") }),
    rows.length ? tableWrap(t("staff.conflicts.tableLabel"), h("table", { id: "conflicts" },
      h("thead", {}, h("tr", {}, [t("staff.conflicts.mediator"), t("staff.conflicts.person"),
        t("staff.conflicts.note"), t("staff.col.actions")].map((text) => h("th", { text })))),
      h("tbody", {}, rows.map((r) => h("tr", { dataset: { conflictId: r.id } },
        h("td", { text: r.mediator_name }), h("td", { text: r.party_name || r.email || `#${r.user_id}` }),
        h("td", { text: r.note || "" }),
        h("td", {}, act(t("staff.conflicts.remove"), async () => {
          await api.del(`/api/admin/conflicts/${r.id}`);
          await reload();
          return "";
        }))))))) : h("p", { class: "hint", text: t("staff.conflicts.none") }),
    h("h3", { text: t("staff.conflicts.add") }),
    mediatorField, nameField, emailField, noteField, h("div", { class: "actions" }, btn, out));
}
