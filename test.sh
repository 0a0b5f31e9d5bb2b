#!/usr/bin/env bash
# Runs the whole test suite; installs the Debian packages the tests need when they are missing.
# Prints one closing line "N passed, N failed[, N skipped]" from the test results.
# --fast: only the pure and in-process tests, on the test build itself (no native compile), in about a minute;
# it leaves out the tests of the categories in tests/GitKsplice.Tests/Support/TestCategory.cs.
set -uo pipefail
cd "$(dirname "$0")"

fast=
if [ "${1:-}" = --fast ]; then fast=1; shift; fi

./scripts/install-test-deps.sh || { echo "fatal: could not install the test dependencies" >&2; exit 1; }

results=$(mktemp -d)
if [ -n "$fast" ]; then
  slow="Linux Ssh Vm Installed BackgroundHook EndToEnd Scale"
  filter=$(printf 'Category!=%s&' $slow); filter=${filter%&}
  dotnet test tests/GitKsplice.Tests --filter "$filter" --logger "trx" --results-directory "$results" "$@"
  status=$?
else
  # The tests run the executables as install.sh builds them (natively compiled where a linker exists).
  tools="$results/tools"
  scripts/publish.sh "$tools" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
  export GIT_KSPLICE_TEST_TOOLS="$tools"
  dotnet test GitKsplice.sln --logger "trx" --results-directory "$results" "$@"
  status=$?
fi

read -r passed failed skipped < <(
  cat "$results"/*.trx 2>/dev/null | tr '<' '\n' | grep '^Counters ' |
  awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); gsub(/"/, "", kv[2]); c[kv[1]] += kv[2] } }
       END { printf "%d %d %d\n", c["passed"], c["failed"] + c["error"] + c["timeout"] + c["aborted"], c["notExecuted"] }')
rm -rf "$results"
if [ "${passed:-0}" -eq 0 ] && [ "$status" -ne 0 ]; then failed=$(( ${failed:-0} > 0 ? failed : 1 )); fi
line="${passed:-0} passed, ${failed:-0} failed"
[ "${skipped:-0}" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
exit $status
