#!/usr/bin/env bash
# In: RA_PYTHON, RA_INPUT_ARTIFACTS (lines), RA_INPUT_PROVENANCE, RA_INPUT_SOURCE_URI,
#     RA_INPUT_SOURCE_TAG, RA_INPUT_SOURCE_BRANCH, RA_INPUT_SOURCE_VERSIONED_TAG,
#     RA_INPUT_BUILDER_ID, RA_INPUT_WORKFLOW, RA_INPUT_PUBLIC_KEY, RA_INPUT_ALLOW_UNSIGNED,
#     RA_INPUT_ONLINE
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
args=(verify "--provenance=$RA_INPUT_PROVENANCE" "--source-uri=$RA_INPUT_SOURCE_URI")
if [ -n "${RA_INPUT_SOURCE_TAG:-}" ]; then args+=("--source-tag=$RA_INPUT_SOURCE_TAG"); fi
if [ -n "${RA_INPUT_SOURCE_BRANCH:-}" ]; then args+=("--source-branch=$RA_INPUT_SOURCE_BRANCH"); fi
if [ -n "${RA_INPUT_SOURCE_VERSIONED_TAG:-}" ]; then args+=("--source-versioned-tag=$RA_INPUT_SOURCE_VERSIONED_TAG"); fi
if [ -n "${RA_INPUT_BUILDER_ID:-}" ]; then args+=("--builder-id=$RA_INPUT_BUILDER_ID"); fi
if [ -n "${RA_INPUT_WORKFLOW:-}" ]; then args+=("--workflow=$RA_INPUT_WORKFLOW"); fi
if [ -n "${RA_INPUT_PUBLIC_KEY:-}" ]; then args+=("--key=$RA_INPUT_PUBLIC_KEY"); fi
boolean allow-unsigned "${RA_INPUT_ALLOW_UNSIGNED:-false}"
if [ "${RA_INPUT_ALLOW_UNSIGNED:-false}" = true ]; then args+=(--allow-unsigned); fi
boolean online "${RA_INPUT_ONLINE:-false}"
if [ "${RA_INPUT_ONLINE:-false}" = true ]; then args+=(--online); fi
lines RA_INPUT_ARTIFACTS
ra "${args[@]}" -- ${ITEMS[@]+"${ITEMS[@]}"}
