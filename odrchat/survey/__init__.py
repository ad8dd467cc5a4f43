"""The satisfaction survey sent to each party when a mediated case closes.

How the answers stay anonymous (and what that does not cover):

- Two tables that share no key. `survey_invitations` says who was asked (case, party, the
  SHA-256 of their one-time token) and only *whether* they answered, never when.
  `survey_answers` holds the scores, the comment and the month of answering: no case, no user,
  no invitation id, no time of day, and a random primary key, so neither a join nor the order
  of ids links an answer back to its invitation.
- Answering is one transaction that marks the invitation answered and inserts the answer; the
  token works once (the row is locked, a second answer is refused).
- The figures read only the answers table, and publish averages and counts only from 5 answers
  up. No endpoint returns a single answer's scores; no mediator reads anything of the survey.
  The comments are listed for administrators apart from the scores (month and words only).

Known gaps, in plain words: someone with direct access to the database while people answer
could watch which invitation flips and which answer appears (or read the physical order of the
rows) and pair them; an answer's month, with very few cases closing that month, narrows who
wrote it; and a comment is the person's own words, which may name them or others (comments are
never in the figures or the export; administrators read them, each with its month only, in the
Figures tab, and each reading is audited).
"""
