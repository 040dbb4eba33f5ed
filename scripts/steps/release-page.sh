#!/usr/bin/env bash
# In: RA_PYTHON, RA_INPUT_FILES (lines), RA_INPUT_TAG, RA_INPUT_NAME, RA_INPUT_NOTES_FILE,
#     RA_INPUT_CHANGELOG, RA_INPUT_REQUIRE_NOTES, RA_INPUT_DRAFT, RA_INPUT_PRERELEASE, RA_INPUT_OVERWRITE,
#     RA_INPUT_CLOSE_MILESTONE, RA_INPUT_REPOSITORY, RA_INPUT_SUBJECTS, GITHUB_TOKEN
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
args=(release-page "--prerelease=$RA_INPUT_PRERELEASE")
# Without a tag input the CLI takes the pushed tag itself (git.pushed_tag).
if [ -n "${RA_INPUT_TAG:-}" ]; then args+=("--tag=$RA_INPUT_TAG"); fi
if [ -n "${RA_INPUT_REPOSITORY:-}" ]; then args+=("--repo=$RA_INPUT_REPOSITORY"); fi
if [ -n "${RA_INPUT_NAME:-}" ]; then args+=("--name=$RA_INPUT_NAME"); fi
if [ -n "${RA_INPUT_NOTES_FILE:-}" ]; then args+=("--notes-file=$RA_INPUT_NOTES_FILE"); fi
if [ -n "${RA_INPUT_CHANGELOG:-}" ]; then args+=("--changelog=$RA_INPUT_CHANGELOG"); fi
boolean draft "$RA_INPUT_DRAFT"
boolean require-notes "${RA_INPUT_REQUIRE_NOTES:-false}"
boolean overwrite "$RA_INPUT_OVERWRITE"
boolean close-milestone "$RA_INPUT_CLOSE_MILESTONE"
if [ "$RA_INPUT_DRAFT" = false ]; then args+=(--no-draft); fi
if [ "$RA_INPUT_OVERWRITE" = true ]; then args+=(--overwrite); fi
if [ "${RA_INPUT_REQUIRE_NOTES:-false}" = true ]; then args+=(--require-notes); fi
if [ "$RA_INPUT_CLOSE_MILESTONE" = true ]; then args+=(--close-milestone); fi
lines RA_INPUT_FILES
if [ -n "${RA_INPUT_SUBJECTS:-}" ]; then
  printf '%s\n' "$RA_INPUT_SUBJECTS" | ra "${args[@]}" --subjects=- -- ${ITEMS[@]+"${ITEMS[@]}"}
else
  ra "${args[@]}" -- ${ITEMS[@]+"${ITEMS[@]}"}
fi
