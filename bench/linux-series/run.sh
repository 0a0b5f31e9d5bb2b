#!/usr/bin/env bash
# A series of ten hot updates on a real Linux tree: the time of each `git ksplice create --series` and the disk
# it leaves behind, so the cost of the second and the tenth update can be compared with the first.
#
# Each update is a commit with a one-line change to a different /proc show function (uptime, loadavg, cmdline,
# stat, devices, softirqs, consoles, meminfo twice, uptime again), created with --series, so update N is built
# on the post state of update N-1, as a team shipping updates in a row would.
#
# Usage: bench/linux-series/run.sh REPO [BASE]
#   BASE: the commit the series starts from (default: REPO's root commit, the pristine source).
#   REPO: a git repository of the Linux source (e.g. Debian's linux-source-6.1 committed as-is) whose
#   .config is in REPO/ksplice/.config (or already prebuilt with `git ksplice create --prebuild`), with
#   `git config ksplice.buildCommand "make vmlinux"`. The benchmark commits on a branch of its own
#   (bench-series-<time>) and moves refs/ksplice/pre; run it on a scratch repository.
# git-ksplice must be on PATH (./install.sh).
set -euo pipefail
repo=${1:?usage: bench/linux-series/run.sh REPO}
cd "$repo"
now() { date +%s.%N; }
kib() { du -sk "$@" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }

edits=(
  "fs/proc/uptime.c|s/\"%lu.%02lu %lu.%02lu\\\\n\"/\"%lu.%02lu %lu.%02lu \\\\n\"/"
  "fs/proc/loadavg.c|s/%u\\/%d %d\\\\n\"/%u\\/%d %d \\\\n\"/"
  "fs/proc/cmdline.c|s/seq_putc(m, '\\\\n');/seq_puts(m, \"\\\\n\");/"
  "fs/proc/stat.c|0,/seq_putc(p, '\\\\n');/s//seq_puts(p, \"\\\\n\");/"
  "fs/proc/devices.c|s/\"Character devices:\\\\n\"/\"Character devices: \\\\n\"/"
  "fs/proc/softirqs.c|s/seq_puts(p, \"                    \");/seq_puts(p, \"                     \");/"
  "fs/proc/consoles.c|s/seq_printf(m, \"%s%d\", con->name/seq_printf(m, \"%s %d\", con->name/"
  "fs/proc/meminfo.c|s/\"KernelStack:    %8lu kB\\\\n\"/\"KernelStack:   %8lu kB\\\\n\"/"
  "fs/proc/meminfo.c|s/\"MemFree:        \"/\"MemFree:       \"/"
  "fs/proc/uptime.c|s/\"%lu.%02lu %lu.%02lu \\\\n\"/\"%lu.%02lu  %lu.%02lu \\\\n\"/"
)

base=${2:-$(git rev-list --max-parents=0 HEAD | tail -1)}
stamp=$(date +%s)
git checkout -q -b "bench-series-$stamp" "$base"
git ksplice series set HEAD >/dev/null
git ksplice create --prebuild -q

common=$(git rev-parse --git-common-dir)
printf '%-3s %-22s %9s %10s %10s %10s %9s\n' "n" "file" "create s" "state MiB" "objs KiB" "tarball" "changed"
for i in "${!edits[@]}"; do
  file=${edits[$i]%%|*}
  expr=${edits[$i]#*|}
  before=$(sha1sum "$file")
  sed -i "$expr" "$file"
  [ "$(sha1sum "$file")" != "$before" ] || { echo "fatal: edit $((i + 1)) changed nothing in $file" >&2; exit 1; }
  git commit -qam "bench: update $((i + 1)) to $file"
  objects_before=$(kib "$common/objects")
  t0=$(now)
  git ksplice create -q --series --id "s$stamp-$((i + 1))" HEAD
  t1=$(now)
  changed=$(git ksplice show --json "s$stamp-$((i + 1))" | grep -c '"path"' || true)
  printf '%-3s %-22s %9.2f %10.1f %10s %10s %9s\n' "$((i + 1))" "$file" "$(echo "$t1 - $t0" | bc)" \
    "$(echo "$(kib "$common/ksplice") / 1024" | bc -l)" "$(( $(kib "$common/objects") - objects_before ))" \
    "$(stat -c %s "ksplice-s$stamp-$((i + 1)).tar.gz")" "$changed"
  rm -f "ksplice-s$stamp-$((i + 1)).tar.gz"
done
