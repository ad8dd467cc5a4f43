// Offers in the joint room: the composer bar, the offer cards drawn from the stored `offer.*`
// events, the answers (accept, reject with a reason, counter, withdraw) and the offer history.
//
// A card is drawn for each `offer.made` event; later events about the same offer only redraw
// that card (the newest version of an offer wins by its updated_at) and add a one-line note.
// Who may answer is shown from the offer rules, but the server decides: a refused answer is
// shown on the card in the server's words.

import { api } from "../api.js";
import { formatDateTime, h, mount } from "../dom.js";
import { OFFER, isOfferEvent } from "../wire.js";
import { roleLabel, sideLabel } from "./labels.js";
import { termsForm } from "./terms.js";

const STATUS = {
  proposed: "Open",
  accepted: "Accepted",
  rejected: "Rejected",
  countered: "Countered",
  withdrawn: "Withdrawn",
  expired: "Expired",
};
const REJECT_CODES = [
  ["", "Choose one (optional)"],
  ["amount", "The amount"],
  ["timing", "The timing"],
  ["terms", "Other terms"],
  ["other", "Something else"],
];
const STEP = {
  [OFFER.MADE]: "made it",
  [OFFER.ACCEPTED]: "accepted it",
  [OFFER.REJECTED]: "rejected it",
  [OFFER.COUNTERED]: "countered it",
  [OFFER.WITHDRAWN]: "withdrew it",
};
const NOTE = {
  [OFFER.ACCEPTED]: "accepted",
  [OFFER.REJECTED]: "rejected",
  [OFFER.COUNTERED]: "answered with a counter-offer",
  [OFFER.WITHDRAWN]: "withdrew",
  [OFFER.EXPIRED]: "expired",
};

/** The offers of one case: draws cards into the joint room and owns the composer. */
export class OfferDesk {
  constructor(d, me, { announce, navigate }) {
    this.d = d;
    this.me = me;
    this.announce = announce || (() => {});
    this.navigate = navigate;
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
      ? h("button", { type: "button", text: this.mediating ? "Make a mediator's proposal" : "Make an offer",
        disabled: !open, on: { click: () => this.compose(null) } })
      : null;
    const toggle = h("button", { type: "button", class: "secondary", text: "Offer history",
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
    const who = ev.by?.name || "Someone";
    const whose = ev.offer.mediator_proposal ? "the mediator's proposal"
      : `${ev.offer.maker.user_id === this.me.id ? "your" : `${ev.offer.maker.name}'s`} offer`;
    const text = ev.type === OFFER.EXPIRED ? `An offer expired: ${whose}.`
      : ev.type === OFFER.WITHDRAWN ? `${who} withdrew ${whose}.`
        : `${who} ${NOTE[ev.type] || "answered"} ${whose}.`;
    return h("li", { class: "msg system", dataset: { offerId: ev.offer.id } },
      h("span", { text }),
      ev.type === OFFER.REJECTED && ev.offer.reject_reason
        ? h("span", { class: "quote", text: ` Reason: “${ev.offer.reject_reason}”` }) : null);
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
    const title = offer.mediator_proposal ? "Mediator's proposal"
      : `${offer.answers_offer_id ? "Counter-offer" : "Offer"} from ${mine ? "you" : maker.name}`;
    const accepted = (offer.accepted_by || []).map((s) => sideLabel(this.d.kind, s));
    let status = STATUS[offer.status] || offer.status;
    if (offer.mediator_proposal && offer.status === "proposed" && accepted.length) {
      status = `Accepted by the ${accepted.join(" and ")}; waiting for the other side`;
    }
    mount(li,
      h("span", { class: "meta" },
        h("strong", { class: "offer-title", text: title }),
        !offer.mediator_proposal && !mine ? ` · ${roleLabel(maker.role, maker.side, this.d.kind)}` : "",
        li.dataset.at ? [" · ", h("time", { dateTime: li.dataset.at, text: formatDateTime(li.dataset.at) })] : null),
      h("p", {}, h("span", { class: "status offer-status", dataset: { status: offer.status }, text: status })),
      h("ul", { class: "offer-terms" }, (offer.description || []).map((line) => h("li", { text: line }))),
      offer.explanation ? h("p", { class: "prewrap explanation" },
        h("strong", { text: "Why: " }), offer.explanation) : null,
      offer.deadline && offer.status === "proposed"
        ? h("p", { class: "hint", text: `Answer by ${formatDateTime(offer.deadline)}.` }) : null,
      offer.status === "rejected" && offer.reject_reason
        ? h("p", { class: "prewrap" }, h("strong", { text: "Reason given: " }), offer.reject_reason) : null,
      offer.status === "accepted" ? h("p", { class: "notice ok" },
        "Both sides accepted these terms. The mediator now prepares the written agreement. ",
        h("a", { href: `#/cases/${this.d.id}/agreement`, text: "Open the Agreement tab" })) : null,
      this.actions(offer));
  }

  actions(offer) {
    if (offer.status !== "proposed" || this.d.status !== "in_mediation") return null;
    const mySide = this.d.my_side;
    const mine = offer.maker.user_id === this.me.id;
    const canAnswer = this.answering && !mine && (offer.mediator_proposal
      ? !(offer.accepted_by || []).includes(mySide) : offer.maker.side !== mySide);
    if (!canAnswer && !mine) return null;
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
      const accept = h("button", { type: "button", text: "Accept" });
      accept.addEventListener("click", () => mount(panel, h("div", { class: "notice" },
        h("p", { text: "Accepting means you agree to these terms. Once both sides agree, the " +
          "mediator writes them into an agreement for everyone to read and sign." }),
        h("div", { class: "actions" },
          h("button", { type: "button", text: "Yes, accept these terms", on: { click: (e) =>
            run(e.currentTarget, () => api.post(`/api/offers/${offer.id}/accept`)).then((ok) => {
              if (ok) this.announce("You accepted the offer.");
            }) } }),
          h("button", { type: "button", class: "secondary", text: "Go back",
            on: { click: () => mount(panel) } })))));
      const reject = h("button", { type: "button", class: "secondary", text: "Reject",
        on: { click: () => mount(panel, this.rejectForm(offer, panel)) } });
      const counter = h("button", { type: "button", class: "secondary", text: "Counter",
        on: { click: () => this.compose(offer) } });
      buttons.push(accept, reject, counter);
    }
    if (mine) {
      buttons.push(h("button", { type: "button", class: "danger", text: "Withdraw",
        on: { click: (e) => run(e.currentTarget, () => api.post(`/api/offers/${offer.id}/withdraw`)) } }));
    }
    return h("div", {}, h("div", { class: "actions" }, buttons), panel, out);
  }

  rejectForm(offer, panel) {
    const id = `reject-${offer.id}`;
    const reason = h("textarea", { id, rows: 3, maxLength: 1000, required: true,
      attrs: { "aria-describedby": `${id}-hint ${id}-err` } });
    const code = h("select", { id: `${id}-code` }, REJECT_CODES.map(([v, l]) => h("option", { value: v, text: l })));
    const err = h("p", { class: "field-error", id: `${id}-err`, attrs: { "aria-live": "polite" } });
    const form = h("form", { class: "reject-form", attrs: { novalidate: true } },
      h("div", { class: "field" }, h("label", { htmlFor: code.id, text: "What is the main problem?" }), code),
      h("div", { class: "field" },
        h("label", { htmlFor: id, text: "Why are you rejecting it?" }),
        h("p", { class: "hint", id: `${id}-hint`, text: "Just saying no doesn't help. Say what " +
          "would work for you, so the other side can come back with something better " +
          "(10 to 1000 characters)." }),
        reason, err),
      h("div", { class: "actions" }, h("button", { type: "submit", text: "Send my answer" }),
        h("button", { type: "button", class: "secondary", text: "Cancel", on: { click: () => mount(panel) } })));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const text = reason.value.trim();
      reason.removeAttribute("aria-invalid");
      if (text.length < 10) {
        err.textContent = "Please say why in at least 10 characters: just saying no doesn't help.";
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
        this.announce("You rejected the offer.");
      } catch (e) {
        err.textContent = e.fields?.reason ? `Reason: ${e.fields.reason}.` : e.message;
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
    const deadline = h("input", { id: "offer-deadline", type: "datetime-local" });
    const deadlineErr = h("p", { class: "field-error", attrs: { "aria-live": "polite" } });
    const summary = h("p", { class: "form-error", attrs: { role: "alert", tabindex: "-1" } });
    const heading = to ? `Counter-offer to ${to.mediator_proposal ? "the mediator's proposal"
      : `${to.maker.name}'s offer`}` : this.mediating ? "Mediator's proposal" : "Make an offer";
    const form = h("form", { class: "offer-composer", attrs: { novalidate: true, "aria-labelledby": "composer-h" } },
      h("h2", { id: "composer-h", text: heading }),
      h("p", { class: "hint", text: "Everyone in the joint room sees this offer. Money is in " +
        "dollars; dates are the last day something must happen." }),
      summary,
      terms.el,
      h("div", { class: "field" },
        h("label", { htmlFor: explain.id, text: "Explain your offer (optional)" }),
        h("p", { class: "hint", text: "Why these terms? A short explanation helps the other side say yes." }),
        explain, explainErr),
      h("div", { class: "field" },
        h("label", { htmlFor: deadline.id, text: "Answer needed by (optional)" }), deadline, deadlineErr),
      h("div", { class: "actions" },
        h("button", { type: "submit", text: to ? "Send counter-offer" : this.mediating ? "Send proposal" : "Send offer" }),
        h("button", { type: "button", class: "secondary", text: "Cancel",
          on: { click: () => mount(this.composerHost) } })));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      summary.textContent = "";
      explainErr.textContent = "";
      deadlineErr.textContent = "";
      const { terms: list, errors } = terms.collect();
      if (Object.keys(errors).length) {
        terms.showErrors(errors);
        summary.textContent = "Some terms need attention.";
        return;
      }
      terms.showErrors({});
      const body = { terms: list };
      if (explain.value.trim()) body.explanation = explain.value;
      if (deadline.value) body.deadline = new Date(deadline.value).toISOString();
      const btn = form.querySelector("button[type=submit]");
      btn.disabled = true;
      try {
        const url = to ? `/api/offers/${to.id}/counter` : `/api/cases/${this.d.id}/offers`;
        this.remember(await api.post(url, body));
        mount(this.composerHost);
        this.announce(to ? "Your counter-offer was sent." : "Your offer was sent.");
      } catch (err) {
        const fields = err.fields || {};
        const shown = terms.showErrors(Object.fromEntries(Object.entries(fields)
          .filter(([k]) => /^(terms|items)\//.test(k))));
        if (fields.explanation) explainErr.textContent = `Explanation: ${fields.explanation}.`;
        if (fields.deadline) deadlineErr.textContent = `Answer needed by: ${fields.deadline}.`;
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
    mount(this.history, h("p", { text: "Loading the offer history…" }));
    let thread;
    try {
      thread = await api.get(`/api/cases/${this.d.id}/offers`);
    } catch (err) {
      mount(this.history, h("p", { class: "notice warn", text: err.message }));
      return;
    }
    const offers = thread.offers || [];
    if (!offers.length) {
      mount(this.history, h("p", { class: "notice", text: "No offers yet." }));
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
    const steps = (id) => (thread.timeline || []).filter((t) => t.offer_id === id);
    const item = (o) => h("li", { dataset: { offerId: o.id } },
      h("strong", { text: o.mediator_proposal ? "Mediator's proposal" : `${o.answers_offer_id
        ? "Counter-offer" : "Offer"} from ${o.maker.name}` }),
      ` · ${STATUS[o.status] || o.status}`,
      h("ul", {}, (o.description || []).map((line) => h("li", { text: line }))),
      h("ol", { class: "timeline" }, steps(o.id).map((t) => h("li", {},
        h("time", { dateTime: t.at, text: formatDateTime(t.at) }),
        ` ${t.type === OFFER.EXPIRED ? "It expired" : `${t.by?.name || "Someone"} ${STEP[t.type] || t.type}`}.`))),
      children.has(o.id) ? h("ol", { class: "thread" }, children.get(o.id).map(item)) : null);
    const roots = offers.filter((o) => !o.answers_offer_id || !byId.has(o.answers_offer_id));
    mount(this.history, h("h2", { text: "Offer history" }),
      h("ol", { class: "thread" }, roots.map(item)));
  }
}
