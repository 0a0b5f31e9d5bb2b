#!/usr/bin/env bash
# Added latency of `git commit` with git-ksplice's hooks installed (background mode, the default) versus
# without any hook, on a generated C tree of a few dozen files. Commits alternate between the two so both see
# the same machine load — including the hook's own background builds, which run while the commits go on.
# Prints median and p90 of each and the added median. Target: added median < 100 ms.
#   usage: bench/hook-latency/run.sh [commits-per-side]   (default 50; GIT_KSPLICE_BIN=dir to use a built git-ksplice)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-50}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bin=${GIT_KSPLICE_BIN:-}
if [ -z "$bin" ]; then
  bin="$work/bin"
  dotnet build src/git-ksplice/git-ksplice.csproj -c Release -o "$bin" --nologo -v quiet >/dev/null
fi
export PATH="$bin:$PATH" GIT_CONFIG_NOSYSTEM=1

repo="$work/repo"
mkdir -p "$repo" "$work/no-hooks"
cd "$repo"
git init -q -b main .
git config user.name bench; git config user.email bench@localhost; git config commit.gpgsign false
files=40
objs=""
for i in $(seq 1 $files); do
  printf 'int f%d(int x)\n{\n\treturn x + %d;\n}\n' "$i" "$i" > "f$i.c"
  objs="$objs f$i.o"
done
printf 'int main(void)\n{\n\treturn 0;\n}\n' > main.c
printf 'CFLAGS = -O2\nOBJS = main.o%s\nprog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n' "$objs" > Makefile
printf '*.o\nprog\n' > .gitignore
git add -A && git commit -q -m "generated tree"
git ksplice series set HEAD >/dev/null
git ksplice hooks install -q
hooks=$(git rev-parse --git-path hooks)

ms() { echo $(( $(date +%s%N) / 1000000 )); }
: > "$work/with"; : > "$work/without"
for i in $(seq 1 $((2 * n))); do
  f=$(( (i % files) + 1 ))
  sed -i "s/return x + [0-9]*;/return x + $((i + 100));/" "f$f.c"
  git add "f$f.c"
  if [ $((i % 2)) -eq 0 ]; then side=with dir=$hooks; else side=without dir="$work/no-hooks"; fi
  start=$(ms)
  git -c core.hooksPath="$dir" commit -q -m "change $i"
  echo $(( $(ms) - start )) >> "$work/$side"
done

stats() { sort -n "$1" | awk '{ a[NR] = $1 } END { m = int((NR + 1) / 2); p = int(NR * 0.9 + 0.999); printf "%d %d\n", a[m], a[p] }'; }
read -r with_med with_p90 < <(stats "$work/with")
read -r without_med without_p90 < <(stats "$work/without")

# Let the last job finish, then count the verdicts the hook recorded meanwhile.
for _ in $(seq 1 600); do
  status=$(git ksplice status --json)
  if echo "$status" | grep -q '"running": null' && echo "$status" | grep -q '"queued": null'; then break; fi
  sleep 0.5
done
verdicts=$(git notes --ref=ksplice list | wc -l)

echo "git commit latency over $n commits each (ms): without hook median $without_med p90 $without_p90;" \
  "with hook median $with_med p90 $with_p90"
ratio=$(awk -v a="$with_med" -v b="$without_med" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
echo "added median: $((with_med - without_med)) ms (target < 100 ms), with/without median ratio $ratio;" \
  "verdicts recorded in the background meanwhile: $verdicts"
