#!/usr/bin/env bash
# In: RA_PYTHON, RA_INPUT_PROJECT_DIR, RA_INPUT_OUT_DIR, RA_INPUT_TAG, RA_INPUT_DISTS,
#     RA_INPUT_SKIP_CHECKS (lines)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
args=(build "--out-dir=${RA_INPUT_OUT_DIR:-$RA_INPUT_PROJECT_DIR/dist}")
# Without a tag input the CLI takes the pushed tag itself (git.pushed_tag).
if [ -n "${RA_INPUT_TAG:-}" ]; then args+=("--tag=$RA_INPUT_TAG"); fi
case "${RA_INPUT_DISTS:-both}" in
  both) ;;
  sdist) args+=(--sdist) ;;
  wheel) args+=(--wheel) ;;
  *)
    echo "::error title=Invalid input::The dists input must be both, sdist or wheel."
    exit 1
    ;;
esac
RA_INPUT_SKIP_CHECKS=${RA_INPUT_SKIP_CHECKS:-}
lines RA_INPUT_SKIP_CHECKS
for check in ${ITEMS[@]+"${ITEMS[@]}"}; do args+=("--skip-check=$check"); done
ra "${args[@]}" -- "$RA_INPUT_PROJECT_DIR"
