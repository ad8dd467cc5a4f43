"""Safety: the confidential screening before mediation and the parties' "need help" alerts."""
