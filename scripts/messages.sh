#!/bin/sh
# Re-extract nnbench's messages and update the translations (docs/DEVELOPMENT.md,
# "Messages and languages"):
#
#   scripts/messages.sh            # nnbench/locale/nnbench.pot from the sources, then every .po
#   scripts/messages.sh compile    # also the .mo files (optional: nnbench compiles a newer .po itself)
#
# New messages arrive in each .po untranslated (or as a fuzzy guess); translate them and
# remove the fuzzy flag; tests/base/test_i18n.py fails until every message is translated.
# No source locations and sorted entries: the catalog changes only when a message does.
set -eu
cd "$(dirname "$0")/.."
LOCALE=nnbench/locale
pybabel -q extract -F "$LOCALE/babel.cfg" --no-location --sort-output --no-wrap \
    --project nnbench --copyright-holder "the nnbench authors" \
    -o "$LOCALE/nnbench.pot" nnbench
pybabel -q update -i "$LOCALE/nnbench.pot" -d "$LOCALE" -D nnbench --no-wrap --ignore-obsolete
if [ "${1:-}" = compile ]; then
    pybabel compile -d "$LOCALE" -D nnbench --statistics
fi
