// Information pages: start page, about ODR, glossary, how to prepare.

import { currentUser } from "../api.js";
import { h, mount } from "../dom.js";
import { t } from "../i18n.js";
import * as faq from "./faq.js";

/** The "what is ODR" explanation used here and on the invitation page. */
export function explainer() {
  return h("section", { class: "prose", attrs: { "aria-labelledby": "what-odr" } },
    h("h2", { id: "what-odr", text: t("faq.heading.what") }),
    h("p", { text: t("faq.whatIsOdr") }),
    h("p", { text: t("faq.whyMediate") }),
    h("h2", { text: t("faq.heading.how") }),
    h("ol", {}, faq.howItWorks().map((step) => h("li", { text: step }))),
    h("h2", { text: t("faq.heading.choice") }),
    h("p", { text: t("faq.voluntary") }),
    h("p", { text: t("faq.noLawyer") }),
    h("p", { text: t("faq.fees") }),
    h("h2", { text: t("faq.heading.who") }),
    h("p", { text: t("faq.confidential") }),
    h("p", { text: t("faq.privateRoom") }),
    h("p", {}, h("a", { href: "#/prepare", text: t("faq.link.prepare") }), " · ",
      h("a", { href: "#/glossary", text: t("faq.link.glossary") })));
}

export function home(main, _params, ctx) {
  const user = currentUser();
  if (user) {
    const to = user.staff_role === "mediator" ? "/mediator"
      : user.staff_role === "admin" ? "/admin" : "/cases";
    ctx.navigate(to);
    return;
  }
  mount(main, h("h1", { text: t("pages.home.title") }),
    h("div", { class: "actions" },
      h("a", { href: "#/register", class: "button", text: t("pages.home.register") }),
      h("a", { href: "#/login", class: "button secondary", text: t("nav.login") })),
    explainer());
}

export function about(main, _params, ctx) {
  ctx.setTitle(t("pages.about.tab"));
  mount(main, h("h1", { text: t("pages.about.title") }), explainer());
}

export function glossary(main, _params, ctx) {
  ctx.setTitle(t("faq.link.glossary"));
  mount(main, h("div", { class: "prose" }, h("h1", { text: t("faq.link.glossary") }),
    h("dl", {}, faq.glossary().map(([term, def]) => [h("dt", {}, h("strong", { text: term })),
      h("dd", { text: def })]))));
}

export function prepare(main, _params, ctx) {
  ctx.setTitle(t("faq.link.prepare"));
  mount(main, h("div", { class: "prose" }, h("h1", { text: t("pages.prepare.title") }),
    faq.prepare().map(([title, text]) => [h("h2", { text: title }), h("p", { text })]),
    h("p", {}, h("a", { href: "#/glossary", text: t("faq.link.glossary") }))));
}
