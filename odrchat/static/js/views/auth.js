// Accounts: sign up, verify email, log in, forgot and reset password, my account.

import { api, applySession, currentUser, loadSession, updateUser } from "../api.js";
import { field, h, mount, showErrors } from "../dom.js";
import { PHONE } from "./labels.js";

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
  const next = sessionStorage.getItem("odr-next");
  sessionStorage.removeItem("odr-next");
  const user = currentUser();
  if (next && next !== "/login") return ctx.navigate(next);
  if (user?.staff_role === "mediator") return ctx.navigate("/mediator");
  if (user?.staff_role === "admin") return ctx.navigate("/admin");
  return ctx.navigate("/cases");
}

export function login(main, _params, ctx) {
  ctx.setTitle("Log in");
  const fields = {
    email: field("email", "Email", { type: "email", required: true, autocomplete: "username" }),
    password: field("password", "Password", { type: "password", required: true,
      autocomplete: "current-password" }),
  };
  const f = form(async () => {
    const body = await api.post("/api/auth/login", {
      email: fields.email.input.value, password: fields.password.input.value,
    });
    applySession(body);
    afterLogin(ctx);
  }, fields, "Log in");
  mount(main, h("div", { class: "narrow" },
    h("h1", { text: "Log in" }), f,
    h("p", {}, h("a", { href: "#/forgot", text: "Forgot your password?" })),
    h("p", {}, "New here? ", h("a", { href: "#/register", text: "Create an account" }))));
}

export function register(main, _params, ctx) {
  ctx.setTitle("Sign up");
  const fields = {
    email: field("email", "Email", { type: "email", required: true, autocomplete: "email",
      hint: "We send a link to this address to confirm it." }),
    display_name: field("display_name", "Your name", { required: true, autocomplete: "name",
      hint: "Shown to the other people in your case." }),
    password: field("password", "Password", { type: "password", required: true,
      autocomplete: "new-password", hint: "At least 10 characters." }),
    phone: field("phone", "Mobile phone", { type: "tel", autocomplete: "tel",
      hint: PHONE.registerHint }),
  };
  const box = h("div", { class: "narrow" });
  const f = form(async () => {
    const body = await api.post("/api/auth/register", {
      email: fields.email.input.value,
      display_name: fields.display_name.input.value,
      password: fields.password.input.value,
      phone: fields.phone.input.value,
    });
    mount(box, h("h1", { text: "Check your email" }),
      h("p", { class: "notice ok", attrs: { role: "status" }, text: body.message }));
    box.querySelector("h1").tabIndex = -1;
    box.querySelector("h1").focus();
  }, fields, "Create account");
  mount(main, mount(box, h("h1", { text: "Create your account" }), f,
    h("p", {}, "Already have an account? ", h("a", { href: "#/login", text: "Log in" }))));
}

export async function verify(main, [token], ctx) {
  ctx.setTitle("Confirm your email");
  mount(main, h("h1", { text: "Confirming your email…" }));
  try {
    await api.post("/api/auth/verify", { token });
    await loadSession();
    // After an invitation the invitee continues where they came from.
    const pending = sessionStorage.getItem("odr-next");
    const next = !currentUser() ? h("a", { href: "#/login", class: "button", text: "Log in" })
      : pending ? h("a", { href: `#${pending}`, class: "button", text: "Continue",
        on: { click: () => sessionStorage.removeItem("odr-next") } })
        : h("a", { href: "#/cases", class: "button", text: "Go to my cases" });
    mount(main, h("div", { class: "narrow" }, h("h1", { text: "Email confirmed" }),
      h("p", { class: "notice ok", attrs: { role: "status" },
        text: "Thank you. Your email address is confirmed." }), h("div", { class: "actions" }, next)));
  } catch (err) {
    mount(main, h("div", { class: "narrow" }, h("h1", { text: "This link did not work" }),
      h("p", { class: "notice warn", attrs: { role: "alert" }, text: err.message }),
      h("p", { text: "Links work once and expire after a while. Log in to ask for a new one." }),
      h("a", { href: "#/login", class: "button", text: "Log in" })));
  }
}

export function forgot(main, _params, ctx) {
  ctx.setTitle("Forgot password");
  const fields = { email: field("email", "Email", { type: "email", required: true,
    autocomplete: "email" }) };
  const box = h("div", { class: "narrow" });
  const f = form(async () => {
    const body = await api.post("/api/auth/password/forgot", { email: fields.email.input.value });
    mount(box, h("h1", { text: "Check your email" }),
      h("p", { class: "notice ok", attrs: { role: "status" }, text: body.message }));
  }, fields, "Send me a link");
  mount(main, mount(box, h("h1", { text: "Forgot your password?" }),
    h("p", { text: "Enter your email address and we will send you a link to set a new password." }), f));
}

export function reset(main, [token], ctx) {
  ctx.setTitle("Set a new password");
  const fields = { password: field("password", "New password", { type: "password", required: true,
    autocomplete: "new-password", hint: "At least 10 characters." }) };
  const box = h("div", { class: "narrow" });
  const f = form(async () => {
    await api.post("/api/auth/password/reset", { token, password: fields.password.input.value });
    await loadSession();
    mount(box, h("h1", { text: "Password changed" }),
      h("p", { class: "notice ok", attrs: { role: "status" },
        text: "Your new password is set. For your safety you were logged out everywhere." }),
      h("a", { href: "#/login", class: "button", text: "Log in" }));
  }, fields, "Set password");
  mount(main, mount(box, h("h1", { text: "Set a new password" }), f));
}

export function account(main, _params, ctx) {
  ctx.setTitle("My account");
  const user = currentUser();
  const profile = {
    display_name: field("display_name", "Your name", { required: true, value: user.display_name,
      autocomplete: "name" }),
  };
  const saved = h("p", { attrs: { role: "status" } });
  const optional = h("input", { type: "checkbox", id: "notify-optional" });
  optional.checked = user.notify_optional !== false;
  const optionalField = h("div", { class: "field" },
    h("label", { class: "check", htmlFor: optional.id }, optional, PHONE.optionalLabel),
    h("p", { class: "hint", text: PHONE.optionalHint }));
  const profileForm = form(async () => {
    const body = await api.patch("/api/me", {
      display_name: profile.display_name.input.value, notify_optional: optional.checked,
    });
    updateUser(body);
    saved.textContent = "Saved.";
  }, profile, "Save", optionalField, saved);
  const pw = {
    current_password: field("current_password", "Current password", { type: "password",
      required: true, autocomplete: "current-password" }),
    new_password: field("new_password", "New password", { type: "password", required: true,
      autocomplete: "new-password", hint: "At least 10 characters." }),
  };
  const changed = h("p", { attrs: { role: "status" } });
  const phonePanel = h("div", { class: "phone" });
  const pwForm = form(async () => {
    await api.post("/api/auth/password/change", {
      current_password: pw.current_password.input.value, new_password: pw.new_password.input.value,
    });
    await loadSession();
    changed.textContent = "Password changed. You were logged out on your other devices.";
  }, pw, "Change password", changed);
  mount(main, h("div", { class: "narrow" }, h("h1", { text: "My account" }),
    h("p", { text: `Email: ${user.email}` }),
    user.email_verified ? null : h("p", { class: "notice warn",
      text: "Please confirm your email address with the link we sent you." }),
    h("h2", { text: "Profile" }), profileForm,
    h("h2", { text: PHONE.heading }), phonePanel,
    h("h2", { text: "Password" }), pwForm));
  showPhone(phonePanel);
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
