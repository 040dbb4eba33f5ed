#!/usr/bin/env bash
# In: RA_PYTHON, RA_INPUT_VERSION, RA_INPUT_PROJECT_DIR, RA_INPUT_CHANGELOG (relative to the workspace)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
out=$PWD/release-notes.md
args=(notes "--version=$RA_INPUT_VERSION" "--output=$out")
case "${RA_INPUT_CHANGELOG:-}" in
  "") ;;
  /*) args+=("$RA_INPUT_CHANGELOG") ;;
  *) args+=("$PWD/$RA_INPUT_CHANGELOG") ;;
esac
cd "$RA_INPUT_PROJECT_DIR"
ra "${args[@]}" >/dev/null
