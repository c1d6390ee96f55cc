#!/usr/bin/env bash
# The cbcheck Action's run step (action.yml). The step's inputs arrive as environment
# variables, never as script text:
#   CBCHECK_BIN     the installed binary
#   INPUT_COMMAND   lint | verify | plan | apply
#   INPUT_FILES     the callbacks files (shell-quoted words)
#   INPUT_ARGS      more arguments (shell-quoted words: '…', "…" and \ quote; nothing
#                   is expanded)
#   INPUT_FORMAT    the output format of lint and verify (apply: human unless json)
#   INPUT_PLAN      plan: where to write the JSON plan (default cbcheck-plan.json);
#                   apply: the reviewed plan to apply (empty: apply the files)
# plan: `verify --base` against the pull request's base branch ($GITHUB_BASE_REF), so
# the changes it makes are pending and only drift fails; then the JSON plan of the same
# files (`apply --dry-run --format json`). Exit: verify's, or the plan's if it failed.
# apply: `apply --yes`, with `--plan` when a plan is given (never the file instead).
# Prints `exit-code=N` to $GITHUB_OUTPUT when it is set; exits N.
set -uo pipefail

fail() {
    echo "::error title=cbcheck::$*"
    finish 2
}

finish() {
    if [[ -n ${GITHUB_OUTPUT:-} ]]; then
        echo "exit-code=$1" >>"$GITHUB_OUTPUT"
    fi
    exit "$1"
}

scratch=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/cbcheck-action.XXXXXX") || fail "cannot make a temporary directory"
trap 'rm -rf "$scratch"' EXIT

# Every GitHub-hosted runner has Python; Windows names it python.
python=python3
command -v python3 >/dev/null 2>&1 || python=python

# split INPUT NAME: the input's shell-quoted words, each ended by a NUL, in $scratch/NAME.
split() {
    "$python" -c '
import shlex, sys
try:
    words = shlex.split(sys.argv[1])
except ValueError as error:
    sys.exit(f"the {sys.argv[2]} input does not split into words: {error}")
sys.stdout.write("".join(word + "\0" for word in words))
' "$1" "$2" >"$scratch/$2" || fail "the $2 input does not split into words (check its quotes)"
}

split "${INPUT_FILES:-}" files
split "${INPUT_ARGS:-}" args
files=()
while IFS= read -r -d '' word; do files+=("$word"); done <"$scratch/files"
args=()
while IFS= read -r -d '' word; do args+=("$word"); done <"$scratch/args"
[[ ${#files[@]} -gt 0 ]] || fail "the files input names no file"

code=0
case ${INPUT_COMMAND:-verify} in
lint | verify)
    "$CBCHECK_BIN" "$INPUT_COMMAND" --format "$INPUT_FORMAT" ${args[@]+"${args[@]}"} "${files[@]}" || code=$?
    ;;
plan)
    [[ -n ${GITHUB_BASE_REF:-} ]] ||
        fail "command: plan runs on pull_request events: GITHUB_BASE_REF is not set"
    base_ref="refs/remotes/origin/$GITHUB_BASE_REF"
    if ! git rev-parse -q --verify "$base_ref^{commit}" >/dev/null; then
        git fetch -q --no-tags --depth=1 origin "+refs/heads/$GITHUB_BASE_REF:$base_ref" ||
            fail "cannot fetch the base branch $GITHUB_BASE_REF from origin"
    fi
    bases=()
    for file in "${files[@]}"; do
        base="$scratch/base/$file"
        mkdir -p "$(dirname "$base")"
        # A file the base branch does not have declares nothing there: every app is new.
        git show "$base_ref:./$file" >"$base" 2>/dev/null || : >"$base"
        bases+=(--base "$base")
    done
    "$CBCHECK_BIN" verify --format "$INPUT_FORMAT" "${bases[@]}" ${args[@]+"${args[@]}"} "${files[@]}" || code=$?
    plan=${INPUT_PLAN:-cbcheck-plan.json}
    planned=0
    "$CBCHECK_BIN" apply --dry-run --format json "${files[@]}" >"$plan" || planned=$?
    # 1 is "changes planned"; anything worse is a failure of the plan itself.
    if ((planned > 1 && planned > code)); then
        code=$planned
    fi
    ;;
apply)
    format=human
    if [[ ${INPUT_FORMAT:-} == json ]]; then
        format=json
    fi
    if [[ -n ${INPUT_PLAN:-} ]]; then
        # The reviewed plan or nothing: a missing plan is never replaced by the file.
        [[ -f $INPUT_PLAN ]] || fail "the plan $INPUT_PLAN does not exist: nothing was applied"
        "$CBCHECK_BIN" apply --plan "$INPUT_PLAN" --yes --format "$format" ${args[@]+"${args[@]}"} "${files[@]}" || code=$?
    else
        "$CBCHECK_BIN" apply --yes --format "$format" ${args[@]+"${args[@]}"} "${files[@]}" || code=$?
    fi
    ;;
*)
    fail "the command input must be lint, verify, plan or apply"
    ;;
esac
finish "$code"
