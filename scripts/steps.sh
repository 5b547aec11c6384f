#!/usr/bin/env bash
# Runs named steps one after another and ends with a table of how long each took, so a
# step that grows shows in every CI log. Used by `make test`:
#
#   scripts/steps.sh 'lint: fmt' 'cargo fmt --check' 'build' 'make build' …
#
# Arguments come in pairs: a step's name, then its command (run by bash). The first step
# that fails stops the run; the table is printed either way, with the failed step marked.
# The table also goes to target/steps.tsv (name, seconds, exit status).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$root/target"
table="$root/target/steps.tsv"
: >"$table"
started=$(date +%s)

print_table() {
  local total=$(($(date +%s) - started))
  printf '\n==> Time per step\n'
  printf '  %-48s %8s  %s\n' step seconds result
  while IFS=$'\t' read -r name seconds status; do
    local result=ok
    [[ "$status" == 0 ]] || result="FAILED (exit $status)"
    printf '  %-48s %8s  %s\n' "$name" "$seconds" "$result"
  done <"$table"
  printf '  %-48s %8s  (%dm%02ds)\n' total "$total" $((total / 60)) $((total % 60))
}
trap print_table EXIT

while [[ $# -gt 0 ]]; do
  [[ $# -ge 2 ]] || { echo "steps.sh: step '$1' has no command" >&2; exit 2; }
  name="$1" command="$2"
  shift 2
  printf '\n==> %s\n' "$name"
  begin=$(date +%s)
  bash -c "$command"
  status=$?
  printf '%s\t%s\t%s\n' "$name" "$(($(date +%s) - begin))" "$status" >>"$table"
  [[ $status -eq 0 ]] || exit "$status"
done
