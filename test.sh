#!/usr/bin/env bash
# Runs the whole test suite; first scripts/install-test-deps.sh installs the Debian packages, accounts and sudoers
# rules the tests need when they are missing.
# --fast: only the pure and in-process tests, on the test build itself (no native compile), in a few minutes;
# it leaves out the tests of the categories in tests/GitKsplice.Tests/Support/TestCategory.cs. It installs
# nothing and needs no root: a test that needs a tool this machine lacks is skipped (on CI, CI=true, it fails).
# Prints one line per reason tests were skipped ("skipped: 12 tests need aarch64-linux-gnu-gcc (…)"), then one
# closing line "N passed, N failed[, N skipped]" from the test results.
set -uo pipefail
cd "$(dirname "$0")"

fast=
if [ "${1:-}" = --fast ]; then fast=1; shift; fi

if [ -z "$fast" ]; then
  ./scripts/install-test-deps.sh || { echo "fatal: could not install the test dependencies" >&2; exit 1; }
fi

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

# A skipped test counts in total but not in executed (the trx leaves notExecuted at 0).
read -r passed failed skipped < <(
  cat "$results"/*.trx 2>/dev/null | tr '<' '\n' | grep '^Counters ' |
  awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); gsub(/"/, "", kv[2]); c[kv[1]] += kv[2] } }
       END { printf "%d %d %d\n", c["passed"], c["failed"] + c["error"] + c["timeout"] + c["aborted"], c["total"] - c["executed"] }')
# The skip reasons: Support/Requires.cs words a missing tool "needs TOOL[, TOOL]; scripts/install-test-deps.sh …".
cat "$results"/*.trx 2>/dev/null | tr '\n' ' ' | sed 's/<UnitTestResult /\n&/g' | grep 'outcome="NotExecuted"' |
  sed -n 's/.*<Message>\([^<]*\)<\/Message>.*/\1/p' |
  sed 's/&apos;/'"'"'/g; s/&quot;/"/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g' |
  awk '/^needs [^;]*; / { n = split(substr($0, 7, index($0, ";") - 7), tools, ", "); for (i = 1; i <= n; i++) tool[tools[i]]++; next }
       { other[$0]++ }
       END {
         for (t in tool) printf "skipped: %d %s %s (scripts/install-test-deps.sh installs it)\n", tool[t], tool[t] == 1 ? "test needs" : "tests need", t
         for (o in other) printf "skipped: %d %s: %s\n", other[o], other[o] == 1 ? "test" : "tests", o
       }' | sort -k2,2nr -k3
rm -rf "$results"
if [ "${passed:-0}" -eq 0 ] && [ "$status" -ne 0 ]; then failed=$(( ${failed:-0} > 0 ? failed : 1 )); fi
line="${passed:-0} passed, ${failed:-0} failed"
[ "${skipped:-0}" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
exit $status
