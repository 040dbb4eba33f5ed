# Shared by the step scripts: read an action's inputs (RA_INPUT_*) into CLI arguments.
# Inputs never pass through ${{ }} into a script: each arrives as an environment
# variable and reaches the CLI as one argument, so nothing in it is ever parsed
# by the shell.

RA_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# lines VAR: the non-empty lines of $VAR, trimmed, into the array ITEMS.
# (A name of our own: the usual one is what bash and terminals use for the screen height.)
lines() {
  ITEMS=()
  local line
  while IFS= read -r line; do
    line=${line#"${line%%[![:space:]]*}"}
    line=${line%"${line##*[![:space:]]}"}
    if [ -n "$line" ]; then ITEMS+=("$line"); fi
  done <<<"${!1}"
}

# boolean NAME VALUE: fail with an annotation unless VALUE is true or false.
boolean() {
  case "$2" in
    true | false) ;;
    *)
      # The value itself is never printed: it could hold a workflow command.
      echo "::error title=Invalid input::The $1 input must be true or false."
      exit 1
      ;;
  esac
}

# ra COMMAND ARGS…: run our CLI from this checkout with the interpreter the
# bootstrap chose, isolated (-I) from the caller's PYTHONPATH and working
# directory, and (-S) from the base interpreter's site-packages.
ra() {
  "$RA_PYTHON" -I -S "$RA_SCRIPTS/entry.py" "$@"
}
