#!/usr/bin/env bash
# The documentation site (mkdocs.yml, docs/), for writers:
#   scripts/docs.sh serve   a live preview on http://127.0.0.1:8000 (rebuilt on every save)
#   scripts/docs.sh build   the site into site/ (not committed), strictly: a broken link or a
#                           missing symbol fails it, as in scripts/test.sh
# Extra arguments go to mkdocs. Needs the `docs` extra (scripts/setup.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
export NO_MKDOCS_2_WARNING=1  # Material's end-of-life banner on every build
case "${1:-}" in
  serve) shift; exec .venv/bin/mkdocs serve "$@" ;;
  build) shift; exec .venv/bin/mkdocs build --strict "$@" ;;
  *) echo "usage: scripts/docs.sh serve|build [mkdocs options]" >&2; exit 2 ;;
esac
