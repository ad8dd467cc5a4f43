// The invitation landing page: what ODR is in plain words, then join or say no.

import { api, currentUser } from "../api.js";
import { formatDate, h, mount } from "../dom.js";
import { explainer } from "./pages.js";
import { kindLabel, sideLabel } from "./labels.js";

export async function landing(main, [token], ctx) {
  ctx.setTitle("You are invited to mediation");
  let info;
  try {
    info = await api.get(`/api/invitations/${token}`);
  } catch (err) {
    mount(main, h("div", { class: "narrow" }, h("h1", { text: "This invitation cannot be used" }),
      h("p", { class: "notice warn", attrs: { role: "alert" }, text: err.message }),
      h("p", { text: "It may have been used already, withdrawn or expired. If you already " +
        "joined, log in to see your case." }),
      h("a", { href: "#/login", class: "button", text: "Log in" })));
    return;
  }
  const user = currentUser();
  const attorney = info.role === "attorney";
  const status = h("div", { attrs: { role: "status" } });
  const share = h("input", { type: "checkbox", id: "share-contact" });
  const facts = h("dl", { class: "facts" },
    h("dt", { text: "Case" }), h("dd", { text: info.kind_label || kindLabel(info.kind) }),
    info.court_case_number ? [h("dt", { text: "Case number" }), h("dd", { text: info.court_case_number })] : null,
    info.court_name ? [h("dt", { text: "Court" }), h("dd", { text: info.court_name })] : null,
    info.hearing_date ? [h("dt", { text: "Hearing date" }), h("dd", { text: formatDate(info.hearing_date) })] : null,
    h("dt", { text: "Invited by" }), h("dd", { text: info.inviter }),
    h("dt", { text: "You join as" }),
    h("dd", { text: attorney ? `Attorney for the ${sideLabel(info.kind, info.side)}`
      : sideLabel(info.kind, info.side) }));

  const accept = async () => {
    try {
      const res = await api.post(`/api/invitations/${token}/accept`, { share_contact: share.checked });
      ctx.navigate(`/cases/${res.case_id ?? res.id}`);
    } catch (err) {
      mount(status, h("p", { class: "notice warn", attrs: { role: "alert" }, text: err.message }));
    }
  };
  const decline = async () => {
    try {
      await api.post(`/api/invitations/${token}/decline`);
      mount(main, h("div", { class: "narrow" }, h("h1", { text: "Thank you for letting us know" }),
        h("p", { class: "notice", attrs: { role: "status" }, text: attorney
          ? "You will not be added to this case."
          : "Mediation will not take place. Nothing else changes: follow the procedures the " +
            "court gave you, and you can still present your case at your hearing." })));
    } catch (err) {
      mount(status, h("p", { class: "notice warn", attrs: { role: "alert" }, text: err.message }));
    }
  };
  const confirmDecline = h("div", { hidden: true, class: "notice" },
    h("p", { text: "Saying no is your right: ODR is voluntary and the court does not penalize you " +
      "for not taking part. Do you want to say no to mediation?" }),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "danger", text: "Yes, say no", on: { click: decline } }),
      h("button", { type: "button", class: "secondary", text: "Go back",
        on: { click: () => { confirmDecline.hidden = true; } } })));

  let actions;
  if (user) {
    actions = h("div", {},
      h("div", { class: "field" }, h("label", { class: "check", htmlFor: "share-contact" }, share,
        "Let the other people in the case see my email and phone")),
      h("div", { class: "actions" },
        h("button", { type: "button", text: "Accept and join", on: { click: accept } }),
        h("button", { type: "button", class: "secondary", text: "No thanks",
          on: { click: () => { confirmDecline.hidden = false; } } })));
  } else {
    const remember = () => sessionStorage.setItem("odr-next", `/invite/${token}`);
    actions = h("div", {},
      h("p", { text: "To join, create an account (or log in) with the email address this " +
        "invitation was sent to." }),
      h("div", { class: "actions" },
        h("a", { href: "#/register", class: "button", text: "Create an account",
          on: { click: remember } }),
        h("a", { href: "#/login", class: "button secondary", text: "Log in", on: { click: remember } }),
        h("button", { type: "button", class: "secondary", text: "No thanks",
          on: { click: () => { confirmDecline.hidden = false; } } })));
  }
  mount(main, h("h1", { text: `${info.inviter} invites you to try mediation` }),
    h("p", { text: info.name ? `Hello ${info.name}.` : "" }),
    info.explainer ? h("p", { class: "prose", text: info.explainer }) : null,
    facts, actions, confirmDecline, status, explainer());
}
