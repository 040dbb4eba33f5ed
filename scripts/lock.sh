#!/usr/bin/env bash
# Recompile the actions' runtime locks (scripts/requirements/*.txt) from their
# sources (*.in): every file pinned by hash, for every platform and Python
# 3.10+, and nothing published in the last seven days (a cooldown, so a
# compromised release has time to be caught before it reaches a lock).
#
#   bash scripts/lock.sh            all locks
#   bash scripts/lock.sh build uv   some of them
#
# Each lock's header repeats the exact command that made it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cutoff=$(python3 -c 'import datetime as d; print((d.datetime.now(d.timezone.utc) - d.timedelta(days=7)).strftime("%Y-%m-%dT00:00:00Z"))')
groups=("$@")
if [ ${#groups[@]} -eq 0 ]; then
  groups=()
  for source in scripts/requirements/*.in; do groups+=("$(basename "$source" .in)"); done
fi
for group in "${groups[@]}"; do
  uv pip compile "scripts/requirements/$group.in" --quiet --no-config --generate-hashes --universal \
    --python-version 3.10 --exclude-newer "$cutoff" -o "scripts/requirements/$group.txt"
done
