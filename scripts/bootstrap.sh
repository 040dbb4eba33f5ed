#!/usr/bin/env bash
# Give an action of this suite its own Python environment, isolated from the
# caller's: a venv under $RUNNER_TEMP, keyed by the interpreter, the lock and
# this checkout, filled from the hash-locked requirements with uv (itself
# installed from the same lock). A later action of the same job reuses it.
#
# In:  RA_BASE_PYTHON  interpreter to build the venv from (setup-python's python-path)
# Out: "python=<venv interpreter>" in $GITHUB_OUTPUT (stdout off a runner)
set -euo pipefail

base=${RA_BASE_PYTHON:-}
if [ -z "$base" ] || ! "$base" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "::error title=No usable Python::release-actions needs Python 3.10 or newer. Set the action's python-version input to 3.10 or newer."
  exit 1
fi

# Settings a caller may have exported that would redirect, constrain or
# shadow what we install and import. Index settings stay: with
# --require-hashes a mirror cannot change a single byte.
unset PYTHONPATH PYTHONHOME PYTHONSTARTUP PYTHONUSERBASE VIRTUAL_ENV CONDA_PREFIX \
  PIP_CONSTRAINT PIP_TARGET PIP_PREFIX PIP_ROOT PIP_USER PIP_REQUIRE_VIRTUALENV \
  PIP_NO_BINARY PIP_ONLY_BINARY PIP_CONFIG_FILE \
  UV_SYSTEM_PYTHON UV_PYTHON UV_CONSTRAINT UV_OVERRIDE UV_BUILD_CONSTRAINT \
  UV_EXCLUDE_NEWER UV_NO_BINARY UV_NO_BUILD UV_PROJECT_ENVIRONMENT UV_PREVIEW \
  UV_PYTHON_PREFERENCE UV_PYTHON_DOWNLOADS

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lock=$here/requirements/runtime.txt
# $RUNNER_TEMP is the job's own folder. Without it (a bare self-hosted runner,
# a laptop) the shared temp folder is no place to trust a venv found there:
# use a folder of this user's, mode 0700, and check both before any reuse.
if [ -n "${RUNNER_TEMP:-}" ]; then
  root=$RUNNER_TEMP/release-actions
else
  root=${TMPDIR:-/tmp}/release-actions-$(id -u 2>/dev/null || echo user)
fi
if ! "$base" -I -c '
import os, stat, sys
root = sys.argv[1]
os.makedirs(root, mode=0o700, exist_ok=True)
info = os.lstat(root)
mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
private = os.name == "nt" or not info.st_mode & 0o077
sys.exit(0 if stat.S_ISDIR(info.st_mode) and mine and private else 1)' "$root"; then
  echo "::error title=Unsafe environment folder::The folder for release-actions' environment is not a private folder of this user (a symbolic link, another owner, or writable by others), so nothing in it can be trusted. Remove it, or set RUNNER_TEMP to a folder only this job uses."
  exit 1
fi

# The key covers the interpreter, the lock and our package's source, so two
# actions of one release share a venv and a changed checkout gets a new one.
key=$("$base" -I -c '
import hashlib, pathlib, sys
h = hashlib.sha256((sys.version + sys.executable).encode())
for path in [pathlib.Path(sys.argv[1]), *sorted(pathlib.Path(sys.argv[2]).rglob("*.py"))]:
    h.update(path.name.encode() + b"\0" + path.read_bytes())
print(h.hexdigest()[:16])' "$lock" "$here/release_actions")
venv=$root/venv-$key

venv_python() {
  if [ -x "$venv/Scripts/python.exe" ]; then echo "$venv/Scripts/python.exe"; else echo "$venv/bin/python"; fi
}

if [ ! -f "$venv/.ready" ]; then
  started=$(date +%s)
  rm -rf "$venv"
  mkdir -p "$venv.uv"
  # uv comes from the same lock, hash-checked by pip: no unpinned download.
  awk '/^uv==/{p=1} p{print} p&&!/\\$/{exit}' "$lock" >"$venv.uv/requirements.txt"
  # --isolated: no pip configuration or PIP_* variable of the caller's applies;
  # an index mirror given in PIP_INDEX_URL is still used (the hashes decide).
  index=()
  if [ -n "${PIP_INDEX_URL:-}" ]; then index=(--index-url "$PIP_INDEX_URL"); fi
  "$base" -I -m pip --isolated install --quiet --disable-pip-version-check --root-user-action=ignore --no-input \
    --no-deps --require-hashes --only-binary :all: ${index[@]+"${index[@]}"} --target "$venv.uv/lib" \
    -r "$venv.uv/requirements.txt"
  # The uv just installed, by its path: never one found first on the base
  # interpreter's scripts folder or PATH (uv's own find_uv_bin prefers those).
  uv=$venv.uv/lib/bin/uv
  if [ -x "$venv.uv/lib/Scripts/uv.exe" ]; then uv=$venv.uv/lib/Scripts/uv.exe; fi
  if [ ! -x "$uv" ]; then
    echo "::error title=Bootstrap failed::The uv installed from the lock is not where pip puts it; re-run the job, and report it if it persists."
    exit 1
  fi
  (
    cd "$venv.uv" # keep uv away from any project configuration in the caller's workspace
    "$uv" venv --quiet --no-config --python "$base" "$venv"
    "$uv" pip install --quiet --no-config --python "$(venv_python)" --require-hashes -r "$lock"
  )
  # Our package goes into the venv itself, so it is imported from there under `python -I`.
  "$(venv_python)" -I -c '
import shutil, sys, sysconfig
shutil.copytree(sys.argv[1], sysconfig.get_path("purelib") + "/release_actions",
                ignore=shutil.ignore_patterns("__pycache__"))' "$here/release_actions"
  rm -rf "$venv.uv"
  touch "$venv/.ready"
  echo "release-actions: environment ready in $(($(date +%s) - started)) s" >&2
fi

python=$(venv_python)
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "python=$python" >>"$GITHUB_OUTPUT"
else
  echo "$python"
fi
