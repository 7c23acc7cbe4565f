"""The federation tests reuse the hand-computed club of tests/reports (Les Cigales du Lac)."""

from tests.reports.conftest import lake  # noqa: F401  (a fixture, re-exported for pytest)
