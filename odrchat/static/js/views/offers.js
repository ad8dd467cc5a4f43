// Offers in the joint room: the composer bar, the offer cards drawn from the stored `offer.*`
// events, the answers (accept, reject with a reason, counter, withdraw) and the offer history.
//
// A card is drawn for each `offer.made` event; later events about the same offer only redraw
// that card (the newest version of an offer wins by its updated_at) and add a one-line note.
// Who may answer is shown from the offer rules, but the server decides: a refused answer is
// shown on the card in the server's words.
//
// In caucus-only mode a card also carries the relay of its summary to the other side (issue
// 16): the mediator shares it (the words editable) from the maker's private room, and the
// maker's side asks the mediator to. The copy lands in the other side's private room, marked as
// relayed by the mediator; nothing else of the source room goes with it.

import { api } from "../api.js";
import { formatDateTime, h, mount } from "../dom.js";
import {
  currentLanguage, timeZoneLabel, formatList, lazy, lazyPairs, momentFromInput, t,
} from "../i18n.js";
import { OFFER, ROOM, isOfferEvent } from "../wire.js";
import { inlineForm } from "./control.js";
import { roleLabel, sideLabel } from "./labels.js";
import { termsForm } from "./terms.js";

const STATUS = lazy({
  proposed: "offers.status.proposed",
  accepted: "offers.status.accepted",
  rejected: "offers.status.rejected",
  countered: "offers.status.countered",
  withdrawn: "offers.status.withdrawn",
  expired: "offers.status.expired",
});
const REJECT_CODES = lazyPairs([
  ["", "offers.rejectCode.none"],
  ["amount", "offers.rejectCode.amount"],
  ["timing", "offers.rejectCode.timing"],
  ["terms", "offers.rejectCode.terms"],
  ["other", "offers.rejectCode.other"],
]);
// A step of an offer's history, "<name> accepted it.".
const STEP = {
  [OFFER.MADE]: "offers.step.made",
  [OFFER.ACCEPTED]: "offers.step.accepted",
  [OFFER.REJECTED]: "offers.step.rejected",
  [OFFER.COUNTERED]: "offers.step.countered",
  [OFFER.WITHDRAWN]: "offers.step.withdrawn",
};
// A note in the room about an answer, "<who> accepted <whose offer>.".
const NOTE = {
  [OFFER.ACCEPTED]: "offers.note.accepted",
  [OFFER.REJECTED]: "offers.note.rejected",
  [OFFER.COUNTERED]: "offers.note.countered",
  [OFFER.WITHDRAWN]: "offers.note.withdrawn",
};

/** The offer's terms, one plain sentence each, in the reader's language when the server has it. */
export function termLines(offer) {
  return (offer.descriptions || {})[currentLanguage()] || offer.description || [];
}

/** "the mediator's proposal", "your offer", "Ana's offer". */
function whoseOffer(offer, me) {
  if (offer.mediator_proposal) return t("offers.whose.proposal");
  return offer.maker.user_id === me.id ? t("offers.whose.yours")
    : t("offers.whose.theirs", { name: offer.maker.name });
}

/** "Offer from you", "Counter-offer from Ana", "Mediator's proposal". */
function offerTitle(offer, me) {
  if (offer.mediator_proposal) return t("offers.title.proposal");
  const mine = me && offer.maker.user_id === me.id;
  if (offer.answers_offer_id) {
    return mine ? t("offers.title.counterFromYou") : t("offers.title.counterFrom", { name: offer.maker.name });
  }
  return mine ? t("offers.title.offerFromYou") : t("offers.title.offerFrom", { name: offer.maker.name });
}

/** The offers of one case: draws cards into the joint room and owns the composer. */
export class OfferDesk {
  constructor(d, me, { announce, navigate, connection }) {
    this.d = d;
    this.me = me;
    this.announce = announce || (() => {});
    this.navigate = navigate;
    this.connection = connection;
    this.latest = new Map(); // offer id -> newest offer JSON
    this.cards = new Map(); // offer id -> [card <li>]
    this.composerHost = h("div", { class: "offer-composer-host" });
    this.history = h("div", { class: "offer-history", hidden: true });
  }

  get answering() {
    return ["party", "attorney"].includes(this.d.my_role) && Boolean(this.d.my_side);
  }

  get mediating() {
    return ["mediator", "co_mediator"].includes(this.d.my_role);
  }

  /** The bar above the joint room: make an offer (or a proposal), see the history. */
  bar() {
    const open = this.d.status === "in_mediation";
    const make = this.answering || this.mediating
      ? h("button", { type: "button", text: this.mediating ? t("offers.makeProposal") : t("offers.make"),
        disabled: !open, on: { click: () => this.compose(null) } })
      : null;
    const toggle = h("button", { type: "button", class: "secondary", text: t("offers.history"),
      attrs: { "aria-expanded": "false", "aria-controls": "offer-history" } });
    this.history.id = "offer-history";
    toggle.addEventListener("click", async () => {
      const show = this.history.hidden;
      this.history.hidden = !show;
      toggle.setAttribute("aria-expanded", String(show));
      if (show) await this.loadHistory();
    });
    return h("div", { class: "offer-bar" }, h("div", { class: "actions" }, make, toggle),
      this.composerHost, this.history);
  }

  /** The case's rooms this reader holds (none without a connection). */
  rooms() {
    return this.connection ? this.connection.roomsOfCase(this.d.id) : [];
  }

  get caucus() {
    return Boolean(this.rooms().find((r) => r.kind === ROOM.JOINT)?.control?.caucus);
  }

  /** Redraw every card (caucus mode changed: the relay actions follow it). */
  refresh() {
    for (const [id, lis] of this.cards) {
      const offer = this.latest.get(id);
      for (const li of lis) if (li.isConnected && offer) this.draw(li, offer, li.dataset.at);
    }
  }

  /** Draw a stored offer event: a card for `offer.made`, a note for the others. */
  render(ev) {
    if (!isOfferEvent(ev) || !ev.offer) return null;
    this.remember(ev.offer);
    if (ev.type === OFFER.MADE) {
      const li = h("li", { class: "msg offer-card", dataset: { offerId: ev.offer.id } });
      // Cards of a panel that was closed (another room shown) are dropped here.
      const kept = (this.cards.get(ev.offer.id) || []).filter((el) => el.isConnected);
      this.cards.set(ev.offer.id, [...kept, li]);
      this.draw(li, this.latest.get(ev.offer.id), ev.at);
      return li;
    }
    const who = ev.by?.name || t("chat.someone");
    const whose = whoseOffer(ev.offer, this.me);
    const text = ev.type === OFFER.EXPIRED ? t("offers.note.expired", { whose })
      : t(NOTE[ev.type] || "offers.note.other", { who, whose });
    return h("li", { class: "msg system", dataset: { offerId: ev.offer.id } },
      h("span", { text }),
      ev.type === OFFER.REJECTED && ev.offer.reject_reason
        ? h("span", { class: "quote", text: t("offers.reason", { reason: ev.offer.reject_reason }) }) : null);
  }

  remember(offer) {
    const had = this.latest.get(offer.id);
    if (had && had.updated_at > offer.updated_at) return;
    this.latest.set(offer.id, offer);
    for (const li of this.cards.get(offer.id) || []) this.draw(li, offer, li.dataset.at);
    // An open history follows new offers and answers (one fetch for a burst of events).
    if (had?.updated_at !== offer.updated_at && !this.history.hidden && this.history.isConnected) {
      clearTimeout(this.historyTimer);
      this.historyTimer = setTimeout(() => this.loadHistory(), 300);
    }
  }

  draw(li, offer, at) {
    if (at) li.dataset.at = at;
    const maker = offer.maker;
    const mine = maker.user_id === this.me.id;
    const title = offerTitle(offer, this.me);
    const accepted = (offer.accepted_by || []).map((s) => sideLabel(this.d.kind, s));
    let status = STATUS[offer.status] || offer.status;
    if (offer.mediator_proposal && offer.status === "proposed" && accepted.length) {
      status = t("offers.proposalAccepted", { sides: formatList(accepted) });
    }
    // An answer the reader has open (the confirm step, a half-typed reason) survives the other
    // side's update of the same offer: the block is carried into the redrawn card, with focus.
    const focused = li.contains(document.activeElement) ? document.activeElement : null;
    const caret = focused && "selectionStart" in focused
      ? [focused.selectionStart, focused.selectionEnd] : null;
    mount(li,
      h("span", { class: "meta" },
        h("strong", { class: "offer-title", text: title }),
        !offer.mediator_proposal && !mine ? ` · ${roleLabel(maker.role, maker.side, this.d.kind)}` : "",
        li.dataset.at ? [" · ", h("time", { dateTime: li.dataset.at, text: formatDateTime(li.dataset.at) })] : null),
      h("p", {}, h("span", { class: "status offer-status", dataset: { status: offer.status }, text: status })),
      h("ul", { class: "offer-terms", dataset: { serverText: "" } },
        termLines(offer).map((line) => h("li", { text: line }))),
      offer.explanation ? h("p", { class: "prewrap explanation" },
        h("strong", { text: t("offers.why") }), offer.explanation) : null,
      offer.deadline && offer.status === "proposed"
        ? h("p", { class: "hint", text: t("offers.answerBy", { date: formatDateTime(offer.deadline) }) }) : null,
      offer.status === "rejected" && offer.reject_reason
        ? h("p", { class: "prewrap" }, h("strong", { text: t("offers.reasonGiven") }), offer.reject_reason) : null,
      offer.status === "accepted" ? h("p", { class: "notice ok" },
        t("offers.bothAccepted"),
        h("a", { href: `#/cases/${this.d.id}/agreement`, text: t("offers.openAgreement") })) : null,
      this.actions(offer, li),
      this.relayAction(offer, li));
    if (focused && focused.isConnected && document.activeElement !== focused) {
      focused.focus({ preventScroll: true });
      if (caret) focused.setSelectionRange(...caret);
    }
  }

  actions(offer, li) {
    const was = li.offerActions;
    li.offerActions = null;
    if (offer.status !== "proposed" || this.d.status !== "in_mediation") return null;
    const mySide = this.d.my_side;
    const mine = offer.maker.user_id === this.me.id;
    const canAnswer = this.answering && !mine && (offer.mediator_proposal
      ? !(offer.accepted_by || []).includes(mySide) : offer.maker.side !== mySide);
    if (!canAnswer && !mine) return null;
    const key = `${canAnswer}:${mine}`;
    if (was && was.key === key && was.panel.childElementCount) {
      li.offerActions = was;
      return was.el;
    }
    const out = h("p", { class: "field-error", attrs: { role: "alert" } });
    const panel = h("div", { class: "offer-answer" });
    const run = async (btn, call) => {
      btn.disabled = true;
      out.textContent = "";
      try {
        const offerNow = await call();
        if (offerNow && offerNow.id) this.remember(offerNow);
        return true;
      } catch (err) {
        out.textContent = err.message;
        btn.disabled = false;
        return false;
      }
    };
    const buttons = [];
    if (canAnswer) {
      const accept = h("button", { type: "button", text: t("offers.accept") });
      accept.addEventListener("click", () => mount(panel, h("div", { class: "notice" },
        h("p", { text: t("offers.accept.explain") }),
        h("div", { class: "actions" },
          h("button", { type: "button", text: t("offers.accept.yes"), on: { click: (e) =>
            run(e.currentTarget, () => api.post(`/api/offers/${offer.id}/accept`)).then((ok) => {
              if (ok) this.announce(t("offers.accept.done"));
            }) } }),
          h("button", { type: "button", class: "secondary", text: t("invite.confirmDecline.back"),
            on: { click: () => mount(panel) } })))));
      const reject = h("button", { type: "button", class: "secondary", text: t("offers.reject"),
        on: { click: () => mount(panel, this.rejectForm(offer, panel)) } });
      const counter = h("button", { type: "button", class: "secondary", text: t("offers.counter"),
        on: { click: () => this.compose(offer) } });
      buttons.push(accept, reject, counter);
    }
    if (mine) {
      buttons.push(h("button", { type: "button", class: "danger", text: t("offers.withdraw"),
        on: { click: (e) => run(e.currentTarget, () => api.post(`/api/offers/${offer.id}/withdraw`)) } }));
    }
    const el = h("div", {}, h("div", { class: "actions" }, buttons), panel, out);
    li.offerActions = { key, panel, el };
    return el;
  }

  /** In caucus mode: share this offer's summary with the other side (the mediator), or ask
   * the mediator to (the maker's side). Kept across redraws, so an open form survives. */
  relayAction(offer, li) {
    const was = li.relayBox;
    li.relayBox = null;
    const side = offer.maker.side;
    const source = this.rooms().find((r) => r.kind === ROOM.PRIVATE && r.side === side);
    let key = null;
    if (this.caucus && side && source && offer.status === "proposed" && this.d.status === "in_mediation") {
      if (this.mediating) key = "share";
      else if (this.answering && side === this.d.my_side) key = "ask";
    }
    if (!key) return null;
    if (was && was.key === key) {
      li.relayBox = was;
      return was.el;
    }
    const el = h("div", { class: "offer-relay" });
    const url = `/api/rooms/${source.id}/relays`;
    const summary = `${t("relay.offer.prefix", { id: offer.id })} ${(offer.description || []).join(" ")}`;
    if (key === "share") {
      const share = h("button", { type: "button", class: "secondary relay", text: t("relay.share") });
      share.addEventListener("click", () => {
        if (el.querySelector("form")) return;
        inlineForm(el, { label: t("relay.offer.shareLabel"), submitLabel: t("relay.share"), value: summary,
          submit: async (text) => {
            await api.post(url, { offer_id: offer.id, text });
            this.announce(t("relay.offer.shared"));
          } });
      });
      mount(el, share);
    } else {
      const out = h("p", { class: "hint", attrs: { role: "status" } });
      const ask = h("button", { type: "button", class: "secondary relay", text: t("relay.offer.ask") });
      ask.addEventListener("click", async () => {
        ask.disabled = true;
        try {
          await api.post(url, { offer_id: offer.id });
          ask.remove();
          out.textContent = t("relay.offer.asked");
        } catch (err) {
          ask.disabled = false;
          out.textContent = err.message || t("control.failed");
        }
      });
      mount(el, ask, out);
    }
    li.relayBox = { key, el };
    return el;
  }

  rejectForm(offer, panel) {
    const id = `reject-${offer.id}`;
    const reason = h("textarea", { id, rows: 3, maxLength: 1000, required: true,
      attrs: { "aria-describedby": `${id}-hint ${id}-err` } });
    const code = h("select", { id: `${id}-code` }, REJECT_CODES.map(([v, l]) => h("option", { value: v, text: l })));
    const err = h("p", { class: "field-error", id: `${id}-err`, attrs: { "aria-live": "polite" } });
    const form = h("form", { class: "reject-form", attrs: { novalidate: true } },
      h("div", { class: "field" }, h("label", { htmlFor: code.id, text: t("offers.reject.main") }), code),
      h("div", { class: "field" },
        h("label", { htmlFor: id, text: t("offers.reject.why") }),
        h("p", { class: "hint", id: `${id}-hint`, text: t("offers.reject.hint") }),
        reason, err),
      h("div", { class: "actions" }, h("button", { type: "submit", text: t("offers.reject.send") }),
        h("button", { type: "button", class: "secondary", text: t("cases.cancel"), on: { click: () => mount(panel) } })));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const text = reason.value.trim();
      reason.removeAttribute("aria-invalid");
      if (text.length < 10) {
        err.textContent = t("offers.reject.tooShort");
        reason.setAttribute("aria-invalid", "true");
        reason.focus();
        return;
      }
      const btn = form.querySelector("button[type=submit]");
      btn.disabled = true;
      try {
        const body = { reason: text };
        if (code.value) body.code = code.value;
        this.remember(await api.post(`/api/offers/${offer.id}/reject`, body));
        this.announce(t("offers.reject.done"));
      } catch (e) {
        err.textContent = e.fields?.reason ? t("offers.reject.fieldError", { message: e.fields.reason }) : e.message;
        reason.setAttribute("aria-invalid", "true");
        btn.disabled = false;
      }
    });
    queueMicrotask(() => reason.focus());
    return form;
  }

  /** Open the composer: a new offer (or proposal), or a counter-offer prefilled from `to`. */
  compose(to) {
    const terms = termsForm(this.d, to ? to.terms : []);
    const explain = h("textarea", { id: "offer-explanation", rows: 3, maxLength: 2000 });
    const explainErr = h("p", { class: "field-error", attrs: { "aria-live": "polite" } });
    const deadline = h("input", { id: "offer-deadline", type: "datetime-local",
      attrs: { "aria-describedby": "offer-deadline-zone" } });
    const deadlineErr = h("p", { class: "field-error", attrs: { "aria-live": "polite" } });
    const summary = h("p", { class: "form-error", attrs: { role: "alert", tabindex: "-1" } });
    const heading = to ? t("offers.composer.counterTo", { whose: whoseOffer(to, {}) })
      : this.mediating ? t("offers.title.proposal") : t("offers.make");
    const form = h("form", { class: "offer-composer", attrs: { novalidate: true, "aria-labelledby": "composer-h" } },
      h("h2", { id: "composer-h", text: heading }),
      h("p", { class: "hint", text: t("offers.composer.hint") }),
      summary,
      terms.el,
      h("div", { class: "field" },
        h("label", { htmlFor: explain.id, text: t("offers.explain") }),
        h("p", { class: "hint", text: t("offers.explainHint") }),
        explain, explainErr),
      h("div", { class: "field" },
        h("label", { htmlFor: deadline.id, text: t("offers.deadline") }),
        h("p", { class: "hint", id: "offer-deadline-zone",
          text: t("time.zoneHint", { zone: timeZoneLabel() }) }),
        deadline, deadlineErr),
      h("div", { class: "actions" },
        h("button", { type: "submit", text: to ? t("offers.composer.sendCounter")
          : this.mediating ? t("offers.composer.sendProposal") : t("offers.composer.send") }),
        h("button", { type: "button", class: "secondary", text: t("cases.cancel"),
          on: { click: () => mount(this.composerHost) } })));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      summary.textContent = "";
      explainErr.textContent = "";
      deadlineErr.textContent = "";
      const { terms: list, errors } = terms.collect();
      if (Object.keys(errors).length) {
        terms.showErrors(errors);
        summary.textContent = t("offers.attention");
        return;
      }
      terms.showErrors({});
      const body = { terms: list };
      if (explain.value.trim()) body.explanation = explain.value;
      if (deadline.value) body.deadline = momentFromInput(deadline.value).toISOString();
      const btn = form.querySelector("button[type=submit]");
      btn.disabled = true;
      try {
        const url = to ? `/api/offers/${to.id}/counter` : `/api/cases/${this.d.id}/offers`;
        this.remember(await api.post(url, body));
        mount(this.composerHost);
        this.announce(to ? t("offers.composer.sentCounter") : t("offers.composer.sent"));
      } catch (err) {
        const fields = err.fields || {};
        const shown = terms.showErrors(Object.fromEntries(Object.entries(fields)
          .filter(([k]) => /^(terms|items)\//.test(k))));
        if (fields.explanation) explainErr.textContent = t("offers.composer.explanationError", { message: fields.explanation });
        if (fields.deadline) deadlineErr.textContent = t("offers.composer.deadlineError", { message: fields.deadline });
        const general = fields.terms || fields.items;
        summary.textContent = general ? `${err.message} ${general}.` : err.message;
        if (!shown) summary.focus();
        btn.disabled = false;
      }
    });
    mount(this.composerHost, form);
    form.scrollIntoView({ block: "start" });
    terms.rows[0].focus();
  }

  async loadHistory() {
    mount(this.history, h("p", { text: t("offers.historyLoading") }));
    let thread;
    try {
      thread = await api.get(`/api/cases/${this.d.id}/offers`);
    } catch (err) {
      mount(this.history, h("p", { class: "notice warn", text: err.message }));
      return;
    }
    const offers = thread.offers || [];
    if (!offers.length) {
      mount(this.history, h("p", { class: "notice", text: t("offers.none") }));
      return;
    }
    const byId = new Map(offers.map((o) => [o.id, o]));
    const children = new Map();
    for (const o of offers) {
      if (o.answers_offer_id && byId.has(o.answers_offer_id)) {
        if (!children.has(o.answers_offer_id)) children.set(o.answers_offer_id, []);
        children.get(o.answers_offer_id).push(o);
      }
    }
    const steps = (id) => (thread.timeline || []).filter((step) => step.offer_id === id);
    const stepText = (step) => {
      if (step.type === OFFER.EXPIRED) return t("offers.step.expired");
      const name = step.by?.name || t("chat.someone");
      return STEP[step.type] ? t(STEP[step.type], { name }) : t("offers.step.other", { name, step: step.type });
    };
    const item = (o) => h("li", { dataset: { offerId: o.id } },
      h("strong", { text: offerTitle(o, null) }),
      ` · ${STATUS[o.status] || o.status}`,
      h("ul", { dataset: { serverText: "" } }, termLines(o).map((line) => h("li", { text: line }))),
      h("ol", { class: "timeline" }, steps(o.id).map((step) => h("li", {},
        h("time", { dateTime: step.at, text: formatDateTime(step.at) }), ` ${stepText(step)}`))),
      children.has(o.id) ? h("ol", { class: "thread" }, children.get(o.id).map(item)) : null);
    const roots = offers.filter((o) => !o.answers_offer_id || !byId.has(o.answers_offer_id));
    mount(this.history, h("h2", { text: t("offers.history") }),
      h("ol", { class: "thread" }, roots.map(item)));
  }
}
