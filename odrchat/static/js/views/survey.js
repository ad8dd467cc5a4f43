// The satisfaction survey (#/survey/<token>, linked from the email sent when a mediated case
// closes). No login: the one-time token is the key. Four questions on a 1-5 scale, any may be
// skipped, and one comment; the answer is stored without the case or the person
// (odrchat/survey), and the page says so before asking.

import { api } from "../api.js";
import { t } from "../i18n.js";
import { h, mount } from "../dom.js";

const QUESTIONS = [
  ["heard", "survey.q.heard"],
  ["neutral", "survey.q.neutral"],
  ["clear", "survey.q.clear"],
  ["again", "survey.q.again"],
];
const SCALE = [
  [1, "survey.scale.1"],
  [2, "survey.scale.2"],
  [3, "survey.scale.3"],
  [4, "survey.scale.4"],
  [5, "survey.scale.5"],
];

function done(main, text) {
  mount(main, h("div", { class: "narrow" }, h("h1", { text: t("survey.title") }),
    h("p", { class: "notice ok", attrs: { role: "status" }, text })));
}

/** One question as a group of five radio buttons, each a 44 px row with its words. */
function question(key, labelKey) {
  const name = `survey-${key}`;
  const legendId = `${name}-legend`;
  return h("fieldset", { class: "scale", attrs: { "aria-labelledby": legendId } },
    h("legend", { id: legendId, text: t(labelKey) }),
    SCALE.map(([value, words]) => {
      const input = h("input", { type: "radio", name, value: String(value), id: `${name}-${value}` });
      return h("label", { class: "check", htmlFor: input.id }, input,
        h("span", { text: t("survey.scale.option", { n: value, words: t(words) }) }));
    }));
}

export async function page(main, [token], ctx) {
  ctx.setTitle(t("survey.title"));
  let state;
  try {
    state = (await api.get(`/api/surveys/${token}`)).state;
  } catch (err) {
    mount(main, h("div", { class: "narrow" }, h("h1", { text: t("survey.title") }),
      h("p", { class: "notice warn", attrs: { role: "alert" }, text: err.message })));
    return;
  }
  if (state === "answered") return done(main, t("survey.answered"));
  if (state === "expired") {
    mount(main, h("div", { class: "narrow" }, h("h1", { text: t("survey.title") }),
      h("p", { class: "notice warn", text: t("survey.expired") })));
    return;
  }
  const comment = h("textarea", { id: "survey-comment", rows: 4, maxLength: 1000 });
  const error = h("p", { class: "form-error", attrs: { role: "alert" } });
  const send = h("button", { type: "submit", text: t("survey.send") });
  const form = h("form", { class: "survey", attrs: { novalidate: true } },
    QUESTIONS.map(([key, label]) => question(key, label)),
    h("div", { class: "field" }, h("label", { htmlFor: comment.id, text: t("survey.comment") }),
      h("p", { class: "hint", id: "survey-comment-hint", text: t("survey.commentHint") }), comment),
    error, h("div", { class: "actions" }, send));
  comment.setAttribute("aria-describedby", "survey-comment-hint");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { comment: comment.value };
    for (const [key] of QUESTIONS) {
      const picked = form.querySelector(`input[name="survey-${key}"]:checked`);
      if (picked) body[key] = Number(picked.value);
    }
    if (QUESTIONS.every(([key]) => body[key] === undefined)) {
      error.textContent = t("survey.nothing");
      return;
    }
    send.disabled = true;
    try {
      await api.post(`/api/surveys/${token}`, body);
      done(main, t("survey.thanks"));
    } catch (err) {
      error.textContent = err.message;
      send.disabled = false;
    }
  });
  mount(main, h("div", { class: "narrow" }, h("h1", { text: t("survey.title") }),
    h("p", { text: t("survey.intro") }),
    h("p", { class: "notice", text: t("survey.anonymous") }), form));
}
