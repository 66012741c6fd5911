#!/usr/bin/env bash
# The GitHub action's one step (action.yml runs it): install tunewise from the action's own
# folder into a private virtual environment, run the gate, and hand GitHub its annotations,
# the job summary, the SARIF file and the `passed` output.
#
# Inputs arrive only as environment variables (INPUT_*), never pasted into this script.
# Exit code: tunewise check's own (0 passed, 1 failed, 3 invalid or no profile found), or 2
# when the action itself is misconfigured (no Python, a bad input).
set -uo pipefail
set -f # input words are never expanded as file globs

say_error() {
  # One workflow error annotation; % and newlines escaped as GitHub's commands require.
  local text="${1//'%'/'%25'}"
  text="${text//$'\r'/'%0D'}"
  text="${text//$'\n'/'%0A'}"
  echo "::error title=tunewise::${text}"
}

give_up() {
  say_error "$1"
  {
    echo "## tunewise check could not run"
    echo
    echo "$1"
  } >>"${GITHUB_STEP_SUMMARY:-/dev/null}"
  echo "passed=false" >>"${GITHUB_OUTPUT:-/dev/null}"
  exit "${2:-2}"
}

words() { # the words of a multi-line input: one a line, or separated by spaces or commas
  local line item
  while IFS= read -r line || [ -n "$line" ]; do
    for item in ${line//,/ }; do printf '%s\n' "$item"; done
  done <<<"$1"
}

action_path="${GITHUB_ACTION_PATH:-}"
if [ -z "$action_path" ] || [ ! -f "$action_path/pyproject.toml" ]; then
  give_up "GITHUB_ACTION_PATH ($action_path) does not hold tunewise's source; run this through action.yml."
fi

# Python: the runner's own, or the one actions/setup-python put first on PATH.
python=""
for candidate in python3 python; do
  if command -v "$candidate" >/dev/null 2>&1 &&
    "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    python="$(command -v "$candidate")"
    break
  fi
done
if [ -z "$python" ]; then
  give_up "tunewise needs Python 3.10 or newer, and none was found on PATH. Add a step 'uses: actions/setup-python@v5' with 'python-version: \"3.12\"' before this action."
fi
echo "Using $("$python" --version 2>&1) at $python"

# A private virtual environment, with tunewise installed from this action's folder: a local
# path, never a package name an index could answer with someone else's code.
venv="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tunewise-action-venv"
if ! "$python" -m venv "$venv"; then
  give_up "could not create a virtual environment with $python -m venv (on Debian or Ubuntu: apt-get install python3-venv)."
fi
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$action_path"; then
  give_up "could not install tunewise from $action_path (see the pip output above)."
fi

args=(check --format github)
while IFS= read -r item; do args+=("$item"); done < <(words "${INPUT_PATHS:-.}")
case "${INPUT_STRICT:-false}" in
  true) args+=(--strict) ;;
  false | "") ;;
  *) give_up "input 'strict' must be true or false, not '${INPUT_STRICT}'." ;;
esac
if [ -n "${INPUT_RULES:-}" ]; then args+=(--rules "$INPUT_RULES"); fi
while IFS= read -r line || [ -n "$line" ]; do
  line="${line#"${line%%[![:space:]]*}"}" # trim, but keep spaces inside a value
  line="${line%"${line##*[![:space:]]}"}"
  if [ -n "$line" ]; then args+=(--param "$line"); fi
done <<<"${INPUT_PARAMS:-}"
while IFS= read -r item; do args+=(--exclude "$item"); done < <(words "${INPUT_EXCLUDE:-}")
kinds="$(words "${INPUT_REQUIRE_EVIDENCE:-}" | paste -sd, -)"
if [ -n "$kinds" ]; then args+=(--require-evidence "$kinds"); fi

work="$(mktemp -d)"
summary="$work/summary.md"
args+=(--output "markdown:$summary")
if [ -n "${INPUT_SARIF:-}" ]; then
  mkdir -p "$(dirname "$INPUT_SARIF")"
  args+=(--output "sarif:$INPUT_SARIF")
fi

echo "tunewise ${args[*]}"
"$venv/bin/python" -m tunewise "${args[@]}" 2>"$work/stderr"
status=$?
cat "$work/stderr" >&2

if [ -f "$summary" ]; then
  cat "$summary" >>"${GITHUB_STEP_SUMMARY:-/dev/null}"
else
  # tunewise stopped before writing its reports (no profile found, a bad rule set or input):
  # its error lines become annotations and the summary, so the reason is on the run's page.
  while IFS= read -r line; do
    if [ -n "$line" ]; then say_error "${line#tunewise: }"; fi
  done <"$work/stderr"
  {
    echo "## tunewise check could not judge the profiles (exit $status)"
    echo
    sed 's/^/    /' "$work/stderr"
  } >>"${GITHUB_STEP_SUMMARY:-/dev/null}"
fi
if [ "$status" -eq 0 ]; then passed=true; else passed=false; fi
echo "passed=$passed" >>"${GITHUB_OUTPUT:-/dev/null}"
rm -rf "$work"
exit "$status"
