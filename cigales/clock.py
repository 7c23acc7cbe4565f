"""Today's date, overridable with CIGALES_TODAY=YYYY-MM-DD for reproducible demos and tests.

Operations dated after today are refused, so every "today" goes through here.
"""

from __future__ import annotations

import datetime as dt
import os


def today() -> dt.date:
    override = os.environ.get("CIGALES_TODAY")
    if override:
        return dt.date.fromisoformat(override)
    return dt.date.today()
