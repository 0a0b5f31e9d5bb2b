#!/usr/bin/env bash
# Benchmark of git ksplice create --prebuild through ccache on a generated C tree (default 300 files), from one run:
#   ccache ratio = time of a prebuild in a fresh clone, the cache filled by the first clone's prebuild
#                  / time of the first clone's prebuild (cache empty)   (target <= 0.3)
# The cache is a directory of this run's own (CCACHE_DIR), so the user's cache is neither used nor changed.
# Usage: bench/launcher/run.sh [files]   (git-ksplice must be on PATH: ./install.sh; ccache installed)
set -euo pipefail
files=${1:-300}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench/lib/ctree.sh
. "$(dirname "$0")/../lib/ctree.sh"
export CCACHE_DIR="$work/ccache"
unset CCACHE_DISABLE CCACHE_BASEDIR

gen_tree "$work/repo" "$files"
cd "$work/repo"
git init -q -b main && git add -A && git -c user.name=b -c user.email=b@b commit -qm tree
jobs=$(nproc)

prebuild() {
  git clone -q "$work/repo" "$work/$1"
  (cd "$work/$1" && git ksplice series set HEAD >/dev/null &&
    t0=$(now) && git ksplice create -q --prebuild --launcher ccache -j"$jobs" && t1=$(now) && elapsed "$t0" "$t1")
}
first=$(prebuild clone1)
second=$(prebuild clone2)
status=$(cd "$work/clone2" && git ksplice status | grep -A1 '^launcher:' | tail -1 | sed 's/^ *//')

printf 'files: %s, jobs: %s\n' "$files" "$jobs"
printf 'first prebuild (cache empty):        %6.2f s\n' "$first"
printf 'second prebuild (fresh clone, warm): %6.2f s   (%s)\n' "$second" "$status"
printf 'second / first = %.2f (target <= 0.3)\n' "$(echo "$second / $first" | bc -l)"
