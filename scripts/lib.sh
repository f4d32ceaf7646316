# Shared helpers for the scripts (sourced, not run).

# Print the path of a Python 3.13 interpreter (pyenv first, then PATH); fail if none.
find_python() {
  local candidates=()
  if command -v pyenv >/dev/null 2>&1; then
    local prefix
    prefix="$(pyenv prefix 3.13 2>/dev/null || true)"
    [ -n "$prefix" ] && candidates+=("$prefix/bin/python")
    for dir in "$(pyenv root)"/versions/3.13*; do
      [ -x "$dir/bin/python" ] && candidates+=("$dir/bin/python")
    done
  fi
  candidates+=("$(command -v python3.13 || true)" "$(command -v python3 || true)")
  for py in "${candidates[@]}"; do
    [ -n "$py" ] && [ -x "$py" ] || continue
    if "$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
      echo "$py"
      return 0
    fi
  done
  return 1
}
