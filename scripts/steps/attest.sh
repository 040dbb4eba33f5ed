#!/usr/bin/env bash
# In: RA_PYTHON, RA_INPUT_SUBJECTS (text) | RA_INPUT_SUBJECTS_FILE | RA_INPUT_FILES (lines),
#     RA_INPUT_SIGNER, RA_INPUT_OUTPUT, RA_INPUT_ALLOW_PUBLIC_LOG,
#     RA_SIGNING_KEY (secret, read by the CLI itself)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
args=(attest "--signer=$RA_INPUT_SIGNER")
if [ -n "${RA_INPUT_OUTPUT:-}" ]; then args+=("--output=$RA_INPUT_OUTPUT"); fi
boolean allow-public-log "${RA_INPUT_ALLOW_PUBLIC_LOG:-false}"
if [ "${RA_INPUT_ALLOW_PUBLIC_LOG:-false}" = true ]; then args+=(--allow-public-log); fi
if [ -n "${RA_INPUT_SUBJECTS:-}" ]; then
  printf '%s\n' "$RA_INPUT_SUBJECTS" | ra "${args[@]}" --subjects=-
elif [ -n "${RA_INPUT_SUBJECTS_FILE:-}" ]; then
  ra "${args[@]}" "--subjects=$RA_INPUT_SUBJECTS_FILE"
else
  lines RA_INPUT_FILES
  ra "${args[@]}" -- ${ITEMS[@]+"${ITEMS[@]}"}
fi
