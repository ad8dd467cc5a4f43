// Language access (issue 15): a party asks for an interpreter when filing or when accepting an
// invitation, and the centre's staff see it. The language is free words (any language, not only
// those the site is translated into), at most 40 characters as the API takes it. The server
// shows a request to staff and to the party who made it, never to the other side.

import { field, h } from "../dom.js";
import { t } from "../i18n.js";
import { sideLabel } from "./labels.js";

const MAX = 40;

/**
 * "I need an interpreter" and, once ticked, the language. `value()` is the language to send
 * (null when not asked), `check()` says whether the choice can be sent (else shows why and
 * focuses the field), `field` is the language field, for showErrors under the name `interpreter`.
 */
export function interpreterChoice() {
  const need = h("input", { type: "checkbox", id: "interpreter-need", name: "interpreter_need" });
  const language = field("interpreter", t("interpreter.language"), { required: true,
    hint: t("interpreter.hint") });
  language.input.maxLength = MAX;
  language.input.setAttribute("autocomplete", "off");
  const sync = () => {
    language.wrap.hidden = !need.checked;
    language.input.disabled = !need.checked;
  };
  need.addEventListener("change", () => {
    sync();
    if (need.checked) language.input.focus();
  });
  sync();
  const el = h("div", { class: "interpreter" },
    h("div", { class: "field" }, h("label", { class: "check", htmlFor: need.id }, need,
      t("interpreter.need"))),
    language.wrap);
  return {
    el,
    field: language,
    value: () => (need.checked && language.input.value.trim() ? language.input.value.trim() : null),
    check: () => {
      language.error.textContent = "";
      language.input.removeAttribute("aria-invalid");
      if (!need.checked || language.input.value.trim()) return true;
      language.error.textContent = t("interpreter.missing");
      language.input.setAttribute("aria-invalid", "true");
      language.input.focus();
      return false;
    },
  };
}

/** The admin queue's chip for a party who asked for an interpreter, or null. */
export function interpreterChip(party, kind) {
  if (!party.interpreter) return null;
  return h("span", { class: "status interpreter-chip", dataset: { side: party.side || "" },
    text: t("interpreter.chip", { language: party.interpreter,
      side: party.side ? sideLabel(kind, party.side) : party.display_name }) });
}

/** A participant's request on the case page (the server sends it to staff and to its owner). */
export function interpreterLine(participant) {
  if (!participant.interpreter) return null;
  return h("p", { class: "interpreter-of", text: t("interpreter.asked", { language: participant.interpreter }) });
}
