// Plain-words text from the Center for Conflict Resolution FAQ (the seed), used by the
// invitation page, the "About ODR" page, the glossary and "How to prepare".

export const WHAT_IS_ODR =
  "Online Dispute Resolution, or ODR, lets you try to settle your dispute with the other party " +
  "online, from a phone, tablet or computer, without going into court. A mediator helps you both " +
  "from the start, before your court date.";

export const WHY_MEDIATE =
  "Mediation is the chance for you and the other party to resolve your case on your own terms. " +
  "You are part of the decision, and you can find creative, real solutions that work for everyone.";

export const HOW_IT_WORKS = [
  "One party registers and asks the other party to join.",
  "Once both of you have joined and agreed to try mediation, a mediator is assigned to your case " +
    "and will introduce themselves.",
  "The mediator is a neutral person who helps you both try to reach a resolution. " +
    "They do not take sides, give legal advice or decide your case.",
  "If you reach an agreement, it is written up with the terms you decided and sent to both of " +
    "you to sign. CCR then helps file it with the court.",
  "If you do not reach an agreement, you can still go to your court hearing and present your " +
    "case to the judge.",
];

export const VOLUNTARY =
  "ODR is completely voluntary. You can stop at any stage. The court does not penalize you for " +
  "stopping or if mediation does not lead to an agreement.";

export const NO_LAWYER =
  "You do not need a lawyer. If you have one, your lawyer can take part for you or with you.";

export const FEES =
  "There is no fee for a filed small claims, unlawful detainer or civil harassment case. " +
  "Community mediations (disputes not filed in court) are reviewed for a fee.";

export const CONFIDENTIAL =
  "What is said in ODR is not shared with the court. The conversation space is private to you, " +
  "the other party, the mediator and the system administrator. With very limited exceptions, " +
  "such as threatening harm to another person, discussions are confidential. A signed agreement " +
  "is not confidential: it is filed with the court.";

export const PRIVATE_ROOM =
  "You can talk privately with the mediator in the “[your name] + Mediator” tab. The other party " +
  "cannot see it. The mediator keeps what you say there confidential.";

export const WHO_TAKES_PART =
  "The parties (plaintiff and defendant), their attorneys if they have any, and the mediator. " +
  "Sometimes a co-mediator, an observer (a mediator in training) or CCR administration also " +
  "take part; their presence and duties are always made clear to everyone.";

export const PREPARE = [
  ["Have a plan",
    "Mediation is more useful when you are prepared. Think about your goals: what do you need " +
    "for this dispute to be over?"],
  ["Think about the other side",
    "What might the other party's goals be? Understanding them helps you find an agreement " +
    "that works for both of you."],
  ["Consider several options",
    "Think through a few possible settlement options that might work for you and for the " +
    "other party, not just one."],
  ["Know your rights",
    "The mediator will not give you legal advice, so it is a good idea to know your legal " +
    "rights before mediating."],
  ["Responding to an offer",
    "You never have to accept an offer. If an offer does not work for you, explain why: just " +
    "saying “no” does not help find something better. Then you can make a counter-offer that " +
    "addresses your needs."],
  ["Make the agreement work",
    "Think about the terms that matter for carrying out an agreement: amounts, dates, how " +
    "payment is made, and what happens if someone does not do what they promised. The mediator " +
    "helps make the agreement specific and manageable."],
  ["Before you sign",
    "A signed agreement is a binding contract. Only sign terms you plan to see through."],
];

export const GLOSSARY = [
  ["Agreement to mediate", "The short text each party accepts before mediation starts: it says " +
    "mediation is voluntary, the mediator is neutral, and what stays confidential."],
  ["Attorney", "A lawyer. You do not need one for ODR; if you have one, they can take part for " +
    "you or with you."],
  ["CCP 664.6", "A California law that lets the court keep the power to enforce a settlement " +
    "agreement after the case is dismissed."],
  ["Civil harassment", "A court case asking for protection from someone who harassed, " +
    "threatened or hurt you, when they are not a family member or partner."],
  ["Co-mediator", "A second mediator who works together with the mediator."],
  ["Community mediation", "Mediation of a dispute that is not filed in court."],
  ["Counter-offer", "An answer to an offer that proposes different terms."],
  ["Defendant", "The person being sued."],
  ["Dismissed without prejudice", "The case is closed, but it can be brought back to the court. " +
    "For a small claims agreement this means that if the terms are not met, the plaintiff can " +
    "take the agreement and the original case back to the court for review and judgment."],
  ["Hearing", "Your date in court, when a judge hears the case. If mediation does not settle " +
    "the case, the hearing goes ahead as planned."],
  ["Impasse", "When the mediator finds that the parties cannot reach an agreement."],
  ["Mediation", "A voluntary, informal process where a neutral mediator helps the parties reach " +
    "an agreement they both accept. The parties make the decisions."],
  ["Mediator", "A trained, neutral person who helps the parties find a solution. The mediator " +
    "is not anyone's advocate or lawyer, gives no legal advice and does not decide the case."],
  ["Observer", "A mediator in training who may watch the mediation, with the mediator's " +
    "approval. Observers do not write in the conversation and never see private rooms."],
  ["ODR", "Online Dispute Resolution: mediation online, on a phone, tablet or computer."],
  ["Offer", "A proposal to settle the dispute on certain terms. You never have to accept one."],
  ["Opt out", "To stop taking part in ODR. It is voluntary at every stage and the court does " +
    "not penalize you for it."],
  ["Plaintiff", "The person who brings the lawsuit."],
  ["Settlement agreement", "The written terms the parties agree on. Both parties sign it and " +
    "CCR helps file it with the court. It is not confidential."],
  ["Small claims", "A court case about a smaller amount of money, decided quickly by a judge."],
  ["Unlawful detainer", "An eviction case: a landlord asks the court to have a tenant leave."],
];

/** What each role does, shown next to every participant. */
export const DUTIES = {
  party: "Takes part in the mediation and decides whether to agree.",
  attorney: "Acts for or with their party.",
  mediator: "Neutral. Helps both sides talk and look for a solution; gives no legal advice and " +
    "does not decide the case.",
  co_mediator: "Neutral. Works together with the mediator.",
  observer: "A mediator in training. Reads the joint conversation, never writes, never sees " +
    "private conversations.",
  admin: "CCR administration. Can read the conversations to run the service; does not write.",
};
