// Plain-words text from the Center for Conflict Resolution FAQ (the seed), used by the
// invitation page, the "About ODR" page, the glossary and "How to prepare". The texts are in
// the catalogs (static/i18n); these lists say which keys make up each part, in order.

import { lazy, t } from "../i18n.js";

const HOW_IT_WORKS = [
  "faq.howItWorks.step1",
  "faq.howItWorks.step2",
  "faq.howItWorks.step3",
  "faq.howItWorks.step4",
  "faq.howItWorks.step5",
];

const PREPARE = [
  ["faq.prepare.plan.title", "faq.prepare.plan.text"],
  ["faq.prepare.otherSide.title", "faq.prepare.otherSide.text"],
  ["faq.prepare.options.title", "faq.prepare.options.text"],
  ["faq.prepare.rights.title", "faq.prepare.rights.text"],
  ["faq.prepare.offer.title", "faq.prepare.offer.text"],
  ["faq.prepare.work.title", "faq.prepare.work.text"],
  ["faq.prepare.sign.title", "faq.prepare.sign.text"],
];

const GLOSSARY = [
  ["faq.glossary.agreementToMediate.term", "faq.glossary.agreementToMediate.definition"],
  ["faq.glossary.attorney.term", "faq.glossary.attorney.definition"],
  ["faq.glossary.ccp6646.term", "faq.glossary.ccp6646.definition"],
  ["faq.glossary.civilHarassment.term", "faq.glossary.civilHarassment.definition"],
  ["faq.glossary.coMediator.term", "faq.glossary.coMediator.definition"],
  ["faq.glossary.communityMediation.term", "faq.glossary.communityMediation.definition"],
  ["faq.glossary.counterOffer.term", "faq.glossary.counterOffer.definition"],
  ["faq.glossary.defendant.term", "faq.glossary.defendant.definition"],
  ["faq.glossary.dismissedWithoutPrejudice.term", "faq.glossary.dismissedWithoutPrejudice.definition"],
  ["faq.glossary.hearing.term", "faq.glossary.hearing.definition"],
  ["faq.glossary.impasse.term", "faq.glossary.impasse.definition"],
  ["faq.glossary.mediation.term", "faq.glossary.mediation.definition"],
  ["faq.glossary.mediator.term", "faq.glossary.mediator.definition"],
  ["faq.glossary.observer.term", "faq.glossary.observer.definition"],
  ["faq.glossary.odr.term", "faq.glossary.odr.definition"],
  ["faq.glossary.offer.term", "faq.glossary.offer.definition"],
  ["faq.glossary.optOut.term", "faq.glossary.optOut.definition"],
  ["faq.glossary.plaintiff.term", "faq.glossary.plaintiff.definition"],
  ["faq.glossary.settlementAgreement.term", "faq.glossary.settlementAgreement.definition"],
  ["faq.glossary.smallClaims.term", "faq.glossary.smallClaims.definition"],
  ["faq.glossary.unlawfulDetainer.term", "faq.glossary.unlawfulDetainer.definition"],
];

/** The steps of a mediation, in order. */
export function howItWorks() {
  return HOW_IT_WORKS.map((key) => t(key));
}

/** [title, advice] pairs for "How to prepare". */
export function prepare() {
  return PREPARE.map(([title, text]) => [t(title), t(text)]);
}

/** [term, definition] pairs, in the alphabetical order of the language in use. */
export function glossary() {
  const pairs = GLOSSARY.map(([term, definition]) => [t(term), t(definition)]);
  const order = new Intl.Collator(document.documentElement.lang || "en");
  return pairs.sort(([a], [b]) => order.compare(a, b));
}

/** What each role does, shown next to every participant. */
export const DUTIES = lazy({
  party: "faq.duties.party",
  attorney: "faq.duties.attorney",
  mediator: "faq.duties.mediator",
  co_mediator: "faq.duties.coMediator",
  observer: "faq.duties.observer",
  admin: "faq.duties.admin",
});
