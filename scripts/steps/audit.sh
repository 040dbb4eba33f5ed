#!/usr/bin/env bash
# In: RA_PYTHON, RA_INPUT_PROJECT, RA_INPUT_REPOSITORY, RA_INPUT_VERSION, RA_INPUT_SINCE,
#     RA_INPUT_VERIFY, RA_INPUT_WORKFLOW,
#     RA_INPUT_SKIP, RA_INPUT_INDEX_URL, RA_INPUT_TAGS_FROM, RA_INPUT_API_URL,
#     RA_INPUT_REPORT_FILE, RA_INPUT_FAIL_ON_BROKEN, RA_INPUT_JOBS, GITHUB_TOKEN
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
args=(audit "--repo=$RA_INPUT_REPOSITORY" "--index-url=$RA_INPUT_INDEX_URL"
  "--tags-from=$RA_INPUT_TAGS_FROM" "--jobs=$RA_INPUT_JOBS")
if [ -n "${RA_INPUT_PROJECT:-}" ]; then args+=("--project=$RA_INPUT_PROJECT"); fi
if [ -n "${RA_INPUT_VERSION:-}" ]; then args+=("--version=$RA_INPUT_VERSION"); fi
if [ -n "${RA_INPUT_SINCE:-}" ]; then args+=("--since=$RA_INPUT_SINCE"); fi
if [ -n "${RA_INPUT_WORKFLOW:-}" ]; then args+=("--workflow=$RA_INPUT_WORKFLOW"); fi
if [ -n "${RA_INPUT_API_URL:-}" ]; then args+=("--api-url=$RA_INPUT_API_URL"); fi
if [ -n "${RA_INPUT_REPORT_FILE:-}" ]; then args+=("--output=$RA_INPUT_REPORT_FILE"); fi
for check in ${RA_INPUT_SKIP:-}; do args+=("--skip=$check"); done
boolean verify "$RA_INPUT_VERIFY"
boolean fail-on-broken "$RA_INPUT_FAIL_ON_BROKEN"
if [ "$RA_INPUT_VERIFY" = true ]; then args+=(--verify); fi
if [ "$RA_INPUT_FAIL_ON_BROKEN" = false ]; then args+=(--exit-zero); fi
ra "${args[@]}"
