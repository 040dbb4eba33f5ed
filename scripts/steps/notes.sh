#!/usr/bin/env bash
# In: RA_PYTHON, RA_INPUT_VERSION, RA_INPUT_PROJECT_DIR, RA_INPUT_CHANGELOG (relative to the workspace),
#     RA_INPUT_REQUIRE_NOTES (default true: a missing section fails), RA_NOTES_FILE (default ./release-notes.md)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
out=${RA_NOTES_FILE:-$PWD/release-notes.md}
args=(notes "--version=$RA_INPUT_VERSION" "--output=$out")
boolean require-notes "${RA_INPUT_REQUIRE_NOTES:-true}"
if [ "${RA_INPUT_REQUIRE_NOTES:-true}" = false ]; then args+=(--missing-ok); fi
case "${RA_INPUT_CHANGELOG:-}" in
  "") ;;
  /*) args+=("$RA_INPUT_CHANGELOG") ;;
  *) args+=("$PWD/$RA_INPUT_CHANGELOG") ;;
esac
cd "$RA_INPUT_PROJECT_DIR"
ra "${args[@]}" >/dev/null
