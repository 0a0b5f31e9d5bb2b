#!/usr/bin/env bash
# Benchmark of git ksplice on a real Linux tree through ccache, from one run:
#   ccache ratio = prebuild in a fresh clone with the cache filled by a first clone's prebuild
#                  / that first prebuild (cache empty)                                     (target <= 0.3)
#   warm ratio   = a warm create of a one-function change (fs/proc/meminfo.c), which builds only the objects
#                  the change touches from Kbuild's records, livepatch module included
#                  / the bare incremental `make vmlinux` of the same change in the same tree (target <= 1.0)
# The cache is a directory of this run's own; the timed compiles of the change run with CCACHE_DISABLE=1, so
# neither side is served from the cache.
# Usage: bench/kbuild-warm/run.sh SOURCE-REPO [WORKDIR]   (SOURCE-REPO: a Linux 6.1 git tree whose ksplice/ holds
# ORIG_CONFIG; git-ksplice on PATH: ./install.sh; ccache installed)
set -euo pipefail
source_repo=$(cd "${1:?usage: bench/kbuild-warm/run.sh SOURCE-REPO [WORKDIR]}" && pwd)
work=${2:-$(mktemp -d)}
mkdir -p "$work"
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }
export CCACHE_DIR="$work/ccache"
unset CCACHE_DISABLE CCACHE_BASEDIR
jobs=$(nproc)

clone() {
  git clone -q --shared "$source_repo" "$work/$1"
  cp -r "$source_repo/ksplice" "$work/$1/ksplice"
  git -C "$work/$1" config user.name bench
  git -C "$work/$1" config user.email bench@example.com
  git -C "$work/$1" config ksplice.buildCommand "make vmlinux"
  (cd "$work/$1" && git ksplice series set HEAD >/dev/null)
}
prebuild() {
  (cd "$work/$1" && t0=$(now) && git ksplice create -q --prebuild --launcher ccache -j"$jobs" && t1=$(now) && elapsed "$t0" "$t1")
}

clone first && cold=$(prebuild first)
clone second && warm_prebuild=$(prebuild second)
hits=$(cd "$work/second" && git ksplice status | grep -A1 '^launcher:' | tail -1 | sed 's/^ *//')

cd "$work/second"
sed -i 's/committed = vm_memory_committed();/committed = vm_memory_committed() + 1;/' fs/proc/meminfo.c
git commit -qam "meminfo: one more committed page"
t0=$(now); CCACHE_DISABLE=1 git ksplice create -q --launcher ccache -j"$jobs" --id warm HEAD; t1=$(now)
create=$(elapsed "$t0" "$t1")
built=$(head -1 .git/ksplice/logs/post-warm.log)

# The same change made again in the built tree and built by a bare `make vmlinux`, with the environment the
# tree was built with (else Kbuild sees new command lines and rebuilds everything).
tree=$PWD/.git/ksplice/build/tree
touch "$tree/fs/proc/meminfo.c"
ccache=$(command -v ccache)
t0=$(now)
(cd "$tree" && CCACHE_DISABLE=1 MAKEFLAGS="-j$jobs CC=$ccache\\ \$\$(CROSS_COMPILE)gcc HOSTCC=$ccache\\ gcc" \
  KCFLAGS="-ffunction-sections -fdata-sections -ffile-prefix-map=$tree=." HOSTCFLAGS="-ffile-prefix-map=$tree=." KBUILD_BUILD_VERSION=1 \
  KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 1970" LC_ALL=C make vmlinux >/dev/null 2>&1)
t1=$(now)
bare=$(elapsed "$t0" "$t1")

printf 'jobs: %s, work: %s\n' "$jobs" "$work"
printf 'first prebuild (cache empty):        %7.2f s\n' "$cold"
printf 'second prebuild (fresh clone, warm): %7.2f s   (%s)\n' "$warm_prebuild" "$hits"
printf 'second / first = %.2f (target <= 0.3)\n' "$(echo "$warm_prebuild / $cold" | bc -l)"
printf 'warm create:                         %7.2f s   (%s)\n' "$create" "$built"
printf 'bare incremental make vmlinux:       %7.2f s\n' "$bare"
printf 'warm create / make vmlinux = %.2f (target <= 1.0)\n' "$(echo "$create / $bare" | bc -l)"
