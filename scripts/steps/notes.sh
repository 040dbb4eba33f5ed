#!/usr/bin/env bash
# In: RA_PYTHON, RA_INPUT_VERSION, RA_INPUT_PROJECT_DIR
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
out=$PWD/release-notes.md
cd "$RA_INPUT_PROJECT_DIR"
ra notes "--version=$RA_INPUT_VERSION" "--output=$out" >/dev/null
