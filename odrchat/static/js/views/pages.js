// Information pages: start page, about ODR, glossary, how to prepare.

import { currentUser } from "../api.js";
import { h, mount } from "../dom.js";
import * as faq from "./faq.js";

/** The "what is ODR" explanation used here and on the invitation page. */
export function explainer() {
  return h("section", { class: "prose", attrs: { "aria-labelledby": "what-odr" } },
    h("h2", { id: "what-odr", text: "What is online mediation?" }),
    h("p", { text: faq.WHAT_IS_ODR }),
    h("p", { text: faq.WHY_MEDIATE }),
    h("h2", { text: "How it works" }),
    h("ol", {}, faq.HOW_IT_WORKS.map((t) => h("li", { text: t }))),
    h("h2", { text: "It is your choice" }),
    h("p", { text: faq.VOLUNTARY }),
    h("p", { text: faq.NO_LAWYER }),
    h("p", { text: faq.FEES }),
    h("h2", { text: "Who can see what" }),
    h("p", { text: faq.CONFIDENTIAL }),
    h("p", { text: faq.PRIVATE_ROOM }),
    h("p", {}, h("a", { href: "#/prepare", text: "How to prepare" }), " · ",
      h("a", { href: "#/glossary", text: "Legal words explained" })));
}

export function home(main, _params, ctx) {
  const user = currentUser();
  if (user) {
    const to = user.staff_role === "mediator" ? "/mediator"
      : user.staff_role === "admin" ? "/admin" : "/cases";
    ctx.navigate(to);
    return;
  }
  mount(main, h("h1", { text: "Resolve your dispute online" }),
    h("div", { class: "actions" },
      h("a", { href: "#/register", class: "button", text: "Create an account" }),
      h("a", { href: "#/login", class: "button secondary", text: "Log in" })),
    explainer());
}

export function about(main, _params, ctx) {
  ctx.setTitle("About ODR");
  mount(main, h("h1", { text: "About Online Dispute Resolution" }), explainer());
}

export function glossary(main, _params, ctx) {
  ctx.setTitle("Legal words explained");
  mount(main, h("div", { class: "prose" }, h("h1", { text: "Legal words explained" }),
    h("dl", {}, faq.GLOSSARY.map(([term, def]) => [h("dt", {}, h("strong", { text: term })),
      h("dd", { text: def })]))));
}

export function prepare(main, _params, ctx) {
  ctx.setTitle("How to prepare");
  mount(main, h("div", { class: "prose" }, h("h1", { text: "How to prepare for mediation" }),
    faq.PREPARE.map(([title, text]) => [h("h2", { text: title }), h("p", { text })]),
    h("p", {}, h("a", { href: "#/glossary", text: "Legal words explained" }))));
}
