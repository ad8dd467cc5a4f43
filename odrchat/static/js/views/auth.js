// Accounts: sign up, verify email, log in, forgot and reset password, my account.

import { pendingInvitation } from "./invite.js";
import {
  api, applySession, currentUser, loadSession, serverKeepsLanguage, updateUser,
} from "../api.js";
import { field, h, mount, showErrors } from "../dom.js";
import { currentLanguage, languages, t, useTimeZone } from "../i18n.js";
import { switchLanguage } from "../language.js";
import { NOTIFY_PREFS, PHONE, TOPICS } from "./labels.js";

function form(onSubmit, fields, submitText, ...extra) {
  const el = h("form", { attrs: { novalidate: true } },
    Object.values(fields).map((f) => f.wrap),
    ...extra,
    h("p", { class: "form-error", attrs: { role: "alert", tabindex: "-1" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", text: submitText })));
  el.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = el.querySelector("button[type=submit]");
    button.disabled = true;
    showErrors(el, fields, null);
    try {
      await onSubmit();
    } catch (err) {
      showErrors(el, fields, err);
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

function afterLogin(ctx) {
  // An invitation this browser was registering for (perhaps in another tab) comes first.
  const kept = pendingInvitation();
  const next = sessionStorage.getItem("odr-next") || (kept ? `/invite/${kept}` : null);
  sessionStorage.removeItem("odr-next");
  const user = currentUser();
  if (next && next !== "/login") return ctx.navigate(next);
  if (user?.staff_role === "mediator") return ctx.navigate("/mediator");
  if (user?.staff_role === "admin") return ctx.navigate("/admin");
  return ctx.navigate("/cases");
}

export function login(main, _params, ctx) {
  ctx.setTitle(t("nav.login"));
  const fields = {
    email: field("email", t("auth.email"), { type: "email", required: true, autocomplete: "username" }),
    password: field("password", t("auth.password"), { type: "password", required: true,
      autocomplete: "current-password" }),
  };
  const f = form(async () => {
    const body = await api.post("/api/auth/login", {
      email: fields.email.input.value, password: fields.password.input.value,
    });
    applySession(body);
    afterLogin(ctx);
  }, fields, t("nav.login"));
  mount(main, h("div", { class: "narrow" },
    h("h1", { text: t("nav.login") }), f,
    h("p", {}, h("a", { href: "#/forgot", text: t("auth.forgot.link") })),
    h("p", {}, t("auth.login.newHere"), " ", h("a", { href: "#/register", text: t("pages.home.register") }))));
}

export function register(main, _params, ctx) {
  ctx.setTitle(t("nav.register"));
  const fields = {
    email: field("email", t("auth.email"), { type: "email", required: true, autocomplete: "email",
      hint: t("auth.register.emailHint") }),
    display_name: field("display_name", t("auth.name"), { required: true, autocomplete: "name",
      hint: t("auth.register.nameHint") }),
    password: field("password", t("auth.password"), { type: "password", required: true,
      autocomplete: "new-password", hint: t("auth.passwordHint") }),
    phone: field("phone", PHONE.numberLabel, { type: "tel", autocomplete: "tel",
      hint: PHONE.registerHint }),
    language: languageField(),
  };
  const box = h("div", { class: "narrow" });
  const f = form(async () => {
    const body = await api.post("/api/auth/register", {
      email: fields.email.input.value,
      display_name: fields.display_name.input.value,
      password: fields.password.input.value,
      phone: fields.phone.input.value,
      ...(serverKeepsLanguage() ? { language: fields.language.input.value } : {}),
    });
    // The pages follow the chosen language from now on (switching draws this page again).
    await switchLanguage(fields.language.input.value);
    const done = h("div", { class: "narrow" }, h("h1", { text: t("auth.checkEmail") }),
      h("p", { class: "notice ok", attrs: { role: "status" }, text: body.message }));
    mount(main, done);
    done.querySelector("h1").tabIndex = -1;
    done.querySelector("h1").focus();
  }, fields, t("auth.register.submit"));
  mount(main, mount(box, h("h1", { text: t("auth.register.title") }), f,
    h("p", {}, t("auth.register.haveAccount"), " ", h("a", { href: "#/login", text: t("nav.login") }))));
}

export async function verify(main, [token], ctx) {
  ctx.setTitle(t("auth.verify.tab"));
  mount(main, h("h1", { text: t("auth.verify.working") }));
  try {
    await api.post("/api/auth/verify", { token });
    await loadSession();
    // After an invitation the invitee continues where they came from.
    const kept = pendingInvitation();
    const pending = sessionStorage.getItem("odr-next") || (kept ? `/invite/${kept}` : null);
    const next = !currentUser() ? h("a", { href: "#/login", class: "button", text: t("nav.login") })
      : pending ? h("a", { href: `#${pending}`, class: "button", text: t("auth.verify.continue"),
        on: { click: () => sessionStorage.removeItem("odr-next") } })
        : h("a", { href: "#/cases", class: "button", text: t("auth.verify.toCases") });
    mount(main, h("div", { class: "narrow" }, h("h1", { text: t("auth.verify.done") }),
      h("p", { class: "notice ok", attrs: { role: "status" },
        text: t("auth.verify.thanks") }), h("div", { class: "actions" }, next)));
  } catch (err) {
    mount(main, h("div", { class: "narrow" }, h("h1", { text: t("auth.link.failed") }),
      h("p", { class: "notice warn", attrs: { role: "alert" }, text: err.message }),
      h("p", { text: t("auth.link.expired") }),
      h("a", { href: "#/login", class: "button", text: t("nav.login") })));
  }
}

export function forgot(main, _params, ctx) {
  ctx.setTitle(t("auth.forgot.tab"));
  const fields = { email: field("email", t("auth.email"), { type: "email", required: true,
    autocomplete: "email" }) };
  const box = h("div", { class: "narrow" });
  const f = form(async () => {
    const body = await api.post("/api/auth/password/forgot", { email: fields.email.input.value });
    mount(box, h("h1", { text: t("auth.checkEmail") }),
      h("p", { class: "notice ok", attrs: { role: "status" }, text: body.message }));
  }, fields, t("auth.forgot.submit"));
  mount(main, mount(box, h("h1", { text: t("auth.forgot.link") }),
    h("p", { text: t("auth.forgot.text") }), f));
}

export function reset(main, [token], ctx) {
  ctx.setTitle(t("auth.reset.title"));
  const fields = { password: field("password", t("auth.newPassword"), { type: "password", required: true,
    autocomplete: "new-password", hint: t("auth.passwordHint") }) };
  const box = h("div", { class: "narrow" });
  const f = form(async () => {
    await api.post("/api/auth/password/reset", { token, password: fields.password.input.value });
    await loadSession();
    mount(box, h("h1", { text: t("auth.reset.done") }),
      h("p", { class: "notice ok", attrs: { role: "status" },
        text: t("auth.reset.doneText") }),
      h("a", { href: "#/login", class: "button", text: t("nav.login") }));
  }, fields, t("auth.reset.submit"));
  mount(main, mount(box, h("h1", { text: t("auth.reset.title") }), f));
}

export function account(main, _params, ctx) {
  ctx.setTitle(t("auth.account.title"));
  const user = currentUser();
  const profile = {
    display_name: field("display_name", t("auth.name"), { required: true, value: user.display_name,
      autocomplete: "name" }),
    language: languageField(user.language),
  };
  const saved = h("p", { attrs: { role: "status" } });
  const profileForm = form(async () => {
    const language = profile.language.input.value;
    const body = await api.patch("/api/me", {
      display_name: profile.display_name.input.value,
      ...(serverKeepsLanguage() ? { language } : {}),
    });
    updateUser(body);
    if (language !== currentLanguage()) {
      // The page is drawn again in the new language; say so to screen readers there.
      await switchLanguage(language);
      ctx.announce(t("auth.account.saved"));
      return;
    }
    saved.textContent = t("auth.account.saved");
  }, profile, t("auth.account.save"), saved);
  const pw = {
    current_password: field("current_password", t("auth.currentPassword"), { type: "password",
      required: true, autocomplete: "current-password" }),
    new_password: field("new_password", t("auth.newPassword"), { type: "password", required: true,
      autocomplete: "new-password", hint: t("auth.passwordHint") }),
  };
  const changed = h("p", { attrs: { role: "status" } });
  const phonePanel = h("div", { class: "phone" });
  const notifyPanel = h("div", { class: "notify-prefs", id: "notifications" });
  const pwForm = form(async () => {
    await api.post("/api/auth/password/change", {
      current_password: pw.current_password.input.value, new_password: pw.new_password.input.value,
    });
    await loadSession();
    changed.textContent = t("auth.account.passwordChanged");
  }, pw, t("auth.account.changePassword"), changed);
  mount(main, h("div", { class: "narrow" }, h("h1", { text: t("auth.account.title") }),
    h("p", { text: t("auth.account.email", { email: user.email }) }),
    user.email_verified ? null : h("p", { class: "notice warn",
      text: t("auth.account.confirmEmail") }),
    h("h2", { text: t("auth.account.profile") }), profileForm,
    h("h2", { text: PHONE.heading }), phonePanel,
    h("h2", { text: NOTIFY_PREFS.heading }), notifyPanel,
    h("h2", { text: t("auth.password") }), pwForm));
  showPhone(phonePanel);
  showNotifications(notifyPanel);
}

/** Email and/or text per kind of notice, how long news waits while I am away, quiet hours for
 * texts, and my time zone. */
async function showNotifications(panel) {
  const st = await api.get("/api/me/notifications");
  const boxes = {};
  const rows = TOPICS.map(([topic, label]) => {
    const choice = st[topic];
    const email = h("input", { type: "checkbox" });
    email.checked = choice.email;
    if (choice.required) {
      email.disabled = true;  // the page says why, below the table
      email.setAttribute("aria-describedby", "notify-required-why");
    }
    const sms = h("input", { type: "checkbox" });
    sms.checked = choice.sms;
    boxes[topic] = { email, sms, required: choice.required };
    return h("tr", {},
      h("th", { attrs: { scope: "row" } }, label,
        choice.required ? h("span", { class: "hint", text: ` (${NOTIFY_PREFS.always})` }) : null),
      h("td", {}, cell(email, NOTIFY_PREFS.emailFor(label))),
      h("td", {}, cell(sms, NOTIFY_PREFS.smsFor(label))));
  });
  const table = h("table", { class: "prefs" },
    h("thead", {}, h("tr", {},
      h("th", { attrs: { scope: "col" }, text: NOTIFY_PREFS.kind }),
      h("th", { attrs: { scope: "col" }, text: NOTIFY_PREFS.email }),
      h("th", { attrs: { scope: "col" }, text: NOTIFY_PREFS.sms }))),
    h("tbody", {}, rows));

  const quiet = h("input", { type: "checkbox", id: "quiet-on" });
  quiet.checked = st.quiet_hours !== null;
  const fields = {
    away_delay: field("away_delay", NOTIFY_PREFS.delay, { tag: "select", required: true,
      value: String(st.away_delay), hint: NOTIFY_PREFS.delayHint,
      options: st.away_delays.map((m) => [String(m), NOTIFY_PREFS.delayChoice(m)]) }),
    start: field("start", NOTIFY_PREFS.quietFrom, { type: "time", required: true,
      value: st.quiet_hours ? st.quiet_hours.start : "21:00" }),
    end: field("end", NOTIFY_PREFS.quietUntil, { type: "time", required: true,
      value: st.quiet_hours ? st.quiet_hours.end : "08:00" }),
    time_zone: field("time_zone", NOTIFY_PREFS.zone, { tag: "select", required: true,
      value: st.time_zone || "", hint: NOTIFY_PREFS.zoneHint,
      options: [["", NOTIFY_PREFS.zoneCentre(st.centre_time_zone)],
        ...zones().map((z) => [z, z.replaceAll("_", " ")])] }),
  };
  const hours = h("div", { class: "quiet-hours" }, fields.start.wrap, fields.end.wrap);
  const showHours = () => { hours.hidden = !quiet.checked; };
  quiet.addEventListener("change", showHours);
  showHours();
  const saved = h("p", { attrs: { role: "status" } });
  const settings = form(async () => {
    const body = {};
    for (const [topic, box] of Object.entries(boxes)) {
      body[topic] = box.required ? { sms: box.sms.checked }
        : { email: box.email.checked, sms: box.sms.checked };
    }
    body.quiet_hours = quiet.checked
      ? { start: fields.start.input.value, end: fields.end.input.value } : null;
    body.time_zone = fields.time_zone.input.value || null;
    body.away_delay = Number(fields.away_delay.input.value);
    const now = await api.put("/api/me/notifications", body);
    useTimeZone(now.time_zone || now.centre_time_zone);  // times on every page follow at once
    saved.textContent = t("auth.account.saved");
  }, { away_delay: fields.away_delay, time_zone: fields.time_zone }, NOTIFY_PREFS.save,
  h("div", { class: "field" },
    h("label", { class: "check", htmlFor: quiet.id }, quiet, NOTIFY_PREFS.quiet),
    h("p", { class: "hint", text: NOTIFY_PREFS.quietHint })),
  hours, saved);
  // The table and the explanation go first, then the away delay, the time zone, quiet hours.
  const why = h("p", { class: "hint", id: "notify-required-why", text: NOTIFY_PREFS.requiredWhy });
  settings.prepend(table, why,
    ...(st.texts_possible ? [] : [h("p", { class: "hint", text: NOTIFY_PREFS.noPhone })]));
  mount(panel, h("p", { text: NOTIFY_PREFS.intro }), settings);
}

/** A checkbox in a table cell: its label (read by screen readers) is a 44 px target. */
function cell(input, name) {
  return h("label", { class: "cell-check" }, input,
    h("span", { class: "visually-hidden", text: name }));
}

/** The IANA time zones this browser knows, or a few common ones on an older browser. */
function zones() {
  if (typeof Intl.supportedValuesOf === "function") return Intl.supportedValuesOf("timeZone");
  return ["America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
    "America/Phoenix", "America/Anchorage", "Pacific/Honolulu", "UTC"];
}

/** The language for pages, emails and texts: each language named in its own words. */
function languageField(value = currentLanguage()) {
  const f = field("language", t("auth.language"), { tag: "select", required: true, value,
    hint: t("auth.languageHint"), options: Object.entries(languages()) });
  for (const option of f.input.options) option.lang = option.value;
  return f;
}

/** The text-message number: confirmed by a texted code before any text goes to it. */
async function showPhone(panel) {
  const st = await api.get("/api/me/phone");
  const said = h("p", { id: "phone-status", attrs: { role: "status" } });
  const parts = [said];
  if (st.phone) {
    said.textContent = PHONE.confirmed(st.phone);
    if (st.opted_out) parts.push(h("p", { class: "notice warn", text: PHONE.optedOut }));
    parts.push(h("div", { class: "actions" }, h("button", { type: "button", class: "secondary",
      text: PHONE.remove, on: { click: async () => {
        await api.del("/api/me/phone");
        showPhone(panel);
      } } })));
  } else {
    said.textContent = PHONE.none;
  }
  if (st.pending) {
    const code = { code: field("code", PHONE.codeLabel, { required: true, autocomplete: "one-time-code",
      hint: PHONE.codeHint(st.pending) }) };
    code.code.input.inputMode = "numeric";
    parts.push(form(async () => {
      await api.post("/api/me/phone/confirm", { code: code.code.input.value });
      const me = await api.get("/api/me");
      updateUser(me);
      showPhone(panel);
    }, code, PHONE.confirm));
  }
  const number = { phone: field("phone", st.phone ? PHONE.changeLabel : PHONE.numberLabel,
    { type: "tel", required: true, autocomplete: "tel", hint: PHONE.numberHint }) };
  parts.push(form(async () => {
    await api.post("/api/me/phone", { phone: number.phone.input.value });
    showPhone(panel);
  }, number, PHONE.send));
  mount(panel, ...parts);
}
