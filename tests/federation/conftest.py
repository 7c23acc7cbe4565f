"""The federation tests reuse the hand-computed club of tests/reports (Les Cigales du Lac)
and the in-process command line of tests/cli."""

from tests.cli.conftest import cli, club_cli  # noqa: F401  (fixtures, re-exported for pytest)
from tests.reports.conftest import lake  # noqa: F401  (a fixture, re-exported for pytest)
