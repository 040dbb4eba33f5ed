#!/usr/bin/env bash
# In: RA_PYTHON, RA_INPUT_FILES (lines), RA_INPUT_REPOSITORY_URL, RA_INPUT_SUBJECTS (text),
#     RA_INPUT_SKIP_EXISTING, RA_INPUT_ATTESTATIONS, TWINE_USERNAME, TWINE_PASSWORD (secret)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
args=(publish "--repository-url=$RA_INPUT_REPOSITORY_URL")
boolean skip-existing "$RA_INPUT_SKIP_EXISTING"
if [ "$RA_INPUT_SKIP_EXISTING" = true ]; then args+=(--skip-existing); fi
case "$RA_INPUT_ATTESTATIONS" in
  auto) ;;
  true) args+=(--attestations) ;;
  false) args+=(--no-attestations) ;;
  *)
    echo "::error title=Invalid input::The attestations input must be auto, true or false."
    exit 1
    ;;
esac
# An empty password is no password: Trusted Publishing is used instead.
if [ -z "${TWINE_PASSWORD:-}" ]; then unset TWINE_PASSWORD TWINE_USERNAME; fi
lines RA_INPUT_FILES
if [ -n "${RA_INPUT_SUBJECTS:-}" ]; then
  printf '%s\n' "$RA_INPUT_SUBJECTS" | ra "${args[@]}" --subjects=- -- ${ITEMS[@]+"${ITEMS[@]}"}
else
  ra "${args[@]}" -- ${ITEMS[@]+"${ITEMS[@]}"}
fi
