"""Console entry point: pick the language first (help texts are translated when the commands
are built), then run the Typer app and render expected errors once, without a traceback."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from cigales import i18n


def _scan_language(argv: Sequence[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def run(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    i18n.set_language(i18n.resolve_language(_scan_language(args)))
    # Imported after the language is set: Typer and Click read translations at import time.
    from typer.main import get_command

    from cigales.cli import bounds, click_i18n, plain_values
    from cigales.cli.app import build_app
    from ledger.errors import UserError
    from reports import fmt

    click_i18n.install()
    plain_values.install()
    command = bounds.install(get_command(build_app()))
    try:
        try:
            command.main(args=args, prog_name="cigales", standalone_mode=True)
        except Exception as exc:
            # A database refusal that Python did not foresee (a privilege, a length, a range)
            # still gets a code rather than a traceback; anything else is a bug and propagates.
            translated = bounds.user_error(exc)
            if translated is None:
                raise
            raise translated from exc
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except UserError as exc:
        # Amounts and percentages marked as such are printed in the reader's format.
        exc.params = fmt.localized(exc.params)
        # The stable code in brackets lets scripts and tests match the rule, not the wording.
        print(f"{exc.render(i18n._)} [{exc.code}]", file=sys.stderr)
        return exc.exit_code
    return 0


def main() -> None:
    sys.exit(run())
