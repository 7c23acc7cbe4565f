#!/usr/bin/env bash
# Message catalogs of the "cigales" gettext domain: extract → update → merge Typer's strings
# → compile. Safe to re-run at any time; an unchanged code base gives byte-identical files.
#
#   bash scripts/i18n.sh                  (Python with Babel: $PYTHON, the active virtualenv,
#   PYTHON=/path/to/python bash scripts/i18n.sh    ./.venv, or python3 on PATH)
#
# Steps:
#   1. extract  ledger/, cigales/, reports/ (see babel.cfg: _, N_, ngettext) into
#               cigales/locale/cigales.pot — sorted by msgid, file names without line numbers,
#               no header (no dates), so the template only changes when a message does;
#   2. merge    the msgids of cigales/locale/click_fr.po into the template (see below);
#   3. update   cigales/locale/{fr,en}/LC_MESSAGES/cigales.po (created when missing); no fuzzy
#               matching: a new message stays empty until someone translates it; obsolete
#               translations are kept at the end of the file (#~) for reference;
#   4. fill     the French translations of the Typer strings from click_fr.po;
#   5. compile  every cigales.po into cigales.mo (Babel's writer: messages sorted, header
#               taken from the .po, so the same .po always gives the same bytes).
#
# Then translate the empty msgstr "" entries of fr/LC_MESSAGES/cigales.po and run the script
# again to compile them. tests/test_i18n.py fails while a French translation is missing, a
# placeholder differs from the msgid's, or a .mo file is older than its .po.
# The English catalog stays untranslated on purpose: gettext falls back to the msgid.
#
# Typer's own strings (help panel titles, "[required]", the "Error" box, "Try ... for help")
# are looked up by Typer through the standard gettext module, in our domain (cigales.i18n
# binds it). They are not in our code, so extraction cannot find them: their msgids and French
# translations are maintained by hand in cigales/locale/click_fr.po, which is the reference for
# them — edit translations of those msgids there, not in fr/LC_MESSAGES/cigales.po (step 4
# overwrites them). tests/test_i18n.py checks that click_fr.po covers every msgid the installed
# Typer looks up. The Click copy vendored in Typer >= 0.2x has no gettext calls: "Usage:",
# "Missing option ...", "No such option ..." and the --help option's help stay in English.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${PYTHON:-}" ]]; then
  for candidate in "${VIRTUAL_ENV:+$VIRTUAL_ENV/bin/python}" .venv/bin/python python3 python; do
    if [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import babel' >/dev/null 2>&1; then
      PYTHON=$candidate
      break
    fi
  done
fi
if [[ -z "${PYTHON:-}" ]]; then
  echo "i18n.sh: no Python with Babel found; run it as PYTHON=/path/to/venv/bin/python $0" >&2
  exit 1
fi

LOCALES=(fr en)
LOCALE_DIR=cigales/locale
DOMAIN=cigales
POT=$LOCALE_DIR/$DOMAIN.pot
TYPER_PO=$LOCALE_DIR/click_fr.po

pybabel() { "$PYTHON" -m babel.messages.frontend "$@"; }

# Steps 2 and 4, with Babel's own reader and writer (same formatting as pybabel's).
merge_typer() {
  "$PYTHON" - "$1" "$2" "$TYPER_PO" <<'PY'
import sys

from babel.messages.pofile import read_po, write_po

mode, target, source = sys.argv[1:]
with open(source, "rb") as f:
    typer = read_po(f)
with open(target, "rb") as f:
    catalog = read_po(f)
for msg in typer:
    if not msg.id:
        continue
    if mode == "template":
        existing = catalog.get(msg.id)
        if existing is None:
            catalog.add(msg.id, "", locations=msg.locations, flags=msg.flags,
                        auto_comments=msg.auto_comments)
        else:
            existing.locations = sorted(set(existing.locations) | set(msg.locations))
            existing.flags |= msg.flags
            for comment in msg.auto_comments:
                if comment not in existing.auto_comments:
                    existing.auto_comments.append(comment)
    else:
        entry = catalog.get(msg.id)
        assert entry is not None, f"{msg.id!r} missing from {target}: update step failed"
        entry.string = msg.string
        entry.flags.discard("fuzzy")
with open(target, "wb") as f:
    if mode == "template":
        write_po(f, catalog, omit_header=True, sort_output=True, include_lineno=False)
    else:
        write_po(f, catalog)  # what `pybabel update` writes: header kept, obsolete kept
PY
}

# 1. Extract.
pybabel --quiet extract -F babel.cfg -o "$POT" \
  --sort-output --add-location=file --omit-header .

# 2. Typer's strings join the template, so that the update never drops them.
merge_typer template "$POT"

# 3. Update (or create) each catalog.
for lang in "${LOCALES[@]}"; do
  pybabel --quiet update -D "$DOMAIN" -i "$POT" -d "$LOCALE_DIR" -l "$lang" \
    --init-missing --no-fuzzy-matching --ignore-pot-creation-date
done

# 4. French translations of Typer's strings.
merge_typer fill "$LOCALE_DIR/fr/LC_MESSAGES/$DOMAIN.po"

# 5. Compile.
for lang in "${LOCALES[@]}"; do
  pybabel compile --statistics -D "$DOMAIN" -d "$LOCALE_DIR" -l "$lang"
done
