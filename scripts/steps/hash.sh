#!/usr/bin/env bash
# In: RA_PYTHON, RA_INPUT_FILES (lines), RA_INPUT_SUMS_FILE
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lines RA_INPUT_FILES
ra hash "--output=$RA_INPUT_SUMS_FILE" -- ${ITEMS[@]+"${ITEMS[@]}"}
