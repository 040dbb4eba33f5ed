#!/usr/bin/env bash
# Give an action of this suite the Python it runs our CLI with, isolated from
# the caller's environment and holding only what that action imports:
#
#   stdlib                    the base interpreter itself (hash needs nothing else)
#   build, signing, publish,  a venv under $RUNNER_TEMP made from
#   release-page, audit       scripts/requirements/<runtime>.txt (hash-locked)
#
# uv, the installer, comes from its own hash-locked scripts/requirements/uv.txt:
# fetched once per job by the base interpreter's pip, checked against the lock's
# hashes, and reused by every later action of the job, as is each venv.
#
# In:  RA_BASE_PYTHON  interpreter to run or build the venv from (setup-python's python-path)
#      RA_RUNTIME      one of the runtimes above
# Out: "python=<interpreter>" in $GITHUB_OUTPUT (stdout off a runner)
set -euo pipefail

base=${RA_BASE_PYTHON:-}
if [ -z "$base" ] || ! "$base" -I -S -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "::error title=No usable Python::release-actions needs Python 3.10 or newer. Set the action's python-version input to 3.10 or newer."
  exit 1
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
runtime=${RA_RUNTIME:-}
case "$runtime" in
  stdlib) ;;
  *)
    if [[ ! "$runtime" =~ ^[a-z-]+$ ]] || [ ! -f "$here/requirements/$runtime.txt" ]; then
      echo "::error title=Bootstrap failed::No runtime lock named by RA_RUNTIME; the action's bootstrap step must name one of scripts/requirements/*.txt or stdlib."
      exit 1
    fi
    ;;
esac

put_output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "python=$1" >>"$GITHUB_OUTPUT"; else echo "$1"; fi
}

if [ "$runtime" = stdlib ]; then
  put_output "$base"
  exit 0
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

uv_lock=$here/requirements/uv.txt
lock=$here/requirements/$runtime.txt
# $RUNNER_TEMP is the job's own folder. Without it (a bare self-hosted runner,
# a laptop) the shared temp folder is no place to trust a venv found there:
# use a folder of this user's, mode 0700, and check both before any reuse.
if [ -n "${RUNNER_TEMP:-}" ]; then
  root=$RUNNER_TEMP/release-actions
else
  root=${TMPDIR:-/tmp}/release-actions-$(id -u 2>/dev/null || echo user)
fi
# One interpreter start checks the folder and names the uv and venv folders
# after what fills them (the locks, and for the venv the interpreter too).
if ! keys=$("$base" -I -S -c '
import hashlib, os, stat, sys
root, uv_lock, lock = sys.argv[1:]
os.makedirs(root, mode=0o700, exist_ok=True)
info = os.lstat(root)
mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
private = os.name == "nt" or not info.st_mode & 0o077
if not (stat.S_ISDIR(info.st_mode) and mine and private):
    sys.exit(1)
def key(*parts):
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]
with open(uv_lock, "rb") as f:
    uv = f.read()
with open(lock, "rb") as f:
    print(key(uv), key((sys.version + sys.executable).encode(), uv, f.read()))' "$root" "$uv_lock" "$lock"); then
  echo "::error title=Unsafe environment folder::The folder for release-actions' environment is not a private folder of this user (a symbolic link, another owner, or writable by others), so nothing in it can be trusted. Remove it, or set RUNNER_TEMP to a folder only this job uses."
  exit 1
fi
read -r uv_key venv_key <<<"$keys"
uv_dir=$root/uv-$uv_key
venv=$root/venv-$runtime-$venv_key

venv_python() {
  if [ -x "$venv/Scripts/python.exe" ]; then echo "$venv/Scripts/python.exe"; else echo "$venv/bin/python"; fi
}

if [ ! -f "$venv/.ready" ]; then
  started=$(date +%s)
  if [ ! -f "$uv_dir/.ready" ]; then
    rm -rf "$uv_dir"
    mkdir -p "$uv_dir/wheel"
    # Standard library only: read the index, take this machine's wheel among
    # the pinned hashes, check the bytes, unpack the program. Exit 3: no wheel
    # recognised for this machine, so pip (which knows every platform tag)
    # fetches it instead, with --isolated: no pip configuration or PIP_*
    # variable of the caller's applies; an index mirror given in PIP_INDEX_URL
    # is still used (the hashes decide).
    status=0
    "$base" -I -S "$here/fetch_uv.py" "$uv_lock" "$uv_dir" || status=$?
    if [ "$status" -eq 3 ]; then
      index=()
      if [ -n "${PIP_INDEX_URL:-}" ]; then index=(--index-url "$PIP_INDEX_URL"); fi
      "$base" -I -m pip --isolated download --quiet --disable-pip-version-check --no-input \
        --no-deps --require-hashes --only-binary :all: ${index[@]+"${index[@]}"} \
        --dest "$uv_dir/wheel" -r "$uv_lock"
      "$base" -I -S "$here/fetch_uv.py" --unpack "$uv_dir"
    elif [ "$status" -ne 0 ]; then
      exit "$status"
    fi
    touch "$uv_dir/.ready"
  fi
  uv=$uv_dir/uv
  if [ -x "$uv_dir/uv.exe" ]; then uv=$uv_dir/uv.exe; fi
  if [ ! -x "$uv" ]; then
    echo "::error title=Bootstrap failed::The uv wheel checked against scripts/requirements/uv.txt holds no uv program; re-run the job, and report it if it persists."
    exit 1
  fi
  rm -rf "$venv"
  (
    cd "$uv_dir" # keep uv away from any project configuration in the caller's workspace
    "$uv" venv --quiet --no-config --python "$base" "$venv"
    "$uv" pip install --quiet --no-config --python "$(venv_python)" --require-hashes -r "$lock"
    if [ "$runtime" = build ]; then
      # The build front end runs uv too: the same checked wheel, from disk.
      "$uv" pip install --quiet --no-config --python "$(venv_python)" --require-hashes \
        --no-index --find-links "$uv_dir/wheel" -r "$uv_lock"
    fi
  )
  touch "$venv/.ready"
  echo "release-actions: $runtime environment ready in $(($(date +%s) - started)) s" >&2
fi

put_output "$(venv_python)"
