#!/usr/bin/env bash
# Issue 15 item 10, one run, ratios:
#   a warm `git ksplice create` of a one-function change, livepatch module included, against the bare
#   incremental make of the same change in an ordinary build of the same source (target <= 1.5);
#   `git ksplice try` of that update, command to verdict (target <= 15 s under TCG).
#
# Usage: bench/livepatch/run.sh REPO
#   REPO: a Linux repository whose ORIG_CONFIG (REPO/ksplice) holds the running kernel's .config (with
#   CONFIG_LIVEPATCH=y), bzImage and System.map, with ksplice.buildCommand set (e.g. "make vmlinux modules")
#   and refs/ksplice/pre prebuilt (git ksplice create --prebuild), as the Linux tests' tree is. The script
#   checks pre out into a worktree of its own and builds it there the ordinary way, out of tree (minutes, not
#   timed), then records an update bench-<time>; run it on a scratch repository.
# git-ksplice must be on PATH (./install.sh).
set -euo pipefail
repo=${1:?usage: bench/livepatch/run.sh REPO}
cd "$repo"
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }
jobs=$(nproc)
work=$(mktemp -d)
trap 'git worktree remove --force "$work/src" 2>/dev/null; rm -rf "$work"' EXIT

pre=$(git rev-parse refs/ksplice/pre)
targets=$(git config ksplice.buildCommand || echo make)
targets=${targets#make}
echo "ordinary build of pre ($pre) in $work/plain: make$targets, not timed" >&2
git worktree add -q --detach "$work/src" "$pre"
mkdir "$work/plain"
cp ksplice/.config "$work/plain/.config"
# shellcheck disable=SC2086 # the build command's targets are words
make -s -C "$work/src" O="$work/plain" -j"$jobs" $targets >/dev/null

# The change: one string literal of one function (filesystems_proc_show, /proc/filesystems).
sed -i 's/? "" : "nodev",/? "" : "virtual",/' "$work/src/fs/filesystems.c"
git -C "$work/src" diff --quiet && { echo "fatal: the change changed nothing" >&2; exit 1; }
t0=$(now)
# shellcheck disable=SC2086
make -s -C "$work/src" O="$work/plain" -j"$jobs" $targets >/dev/null
t1=$(now)
make_time=$(elapsed "$t0" "$t1")
git -C "$work/src" -c user.name=bench -c user.email=bench@localhost commit -qam "filesystems: call them virtual"
commit=$(git -C "$work/src" rev-parse HEAD)

id=bench-$(date +%s)
t0=$(now)
git ksplice create -q --id "$id" -j"$jobs" "$commit"
t1=$(now)
create_time=$(elapsed "$t0" "$t1")
tar -tzf "ksplice-$id.tar.gz" | grep -q "ksplice_$id.ko" || { echo "fatal: the update holds no module" >&2; exit 1; }

t0=$(now)
git ksplice try "$id" --check 'grep -c virtual /proc/filesystems' >/dev/null
t1=$(now)
try_time=$(elapsed "$t0" "$t1")

printf 'jobs: %s, load average before: %s\n' "$jobs" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'incremental make:  %7.2f s  (make%s in an ordinary build)\n' "$make_time" "$targets"
printf 'warm create:       %7.2f s  (module included: %s)\n' "$create_time" "ksplice_$id.ko"
printf 'create / make = %.2f (target <= 1.5)\n' "$(echo "$create_time / $make_time" | bc -l)"
printf 'try, command to verdict: %.2f s (target <= 15 s under TCG)\n' "$try_time"
