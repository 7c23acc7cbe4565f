"""Numbers from the club convention and from the law, each with its source.

Changing a rate or a cap is a one-line change here; nothing else hard-codes them.
"""

from __future__ import annotations

from ledger.money import Money

# Yearly payment cap per member household in an investment club: warn above it.
# Source: domain.md §3 (CIGALES / FNCIGALES guidance for investment clubs, 5,500 EUR).
YEARLY_SAVING_CAP = Money(550_000)

# Members per club at any time (domain.md §1, convention of indivision): 5 to 20.
MIN_MEMBERS = 5
MAX_MEMBERS = 20
