#!/usr/bin/env bash
# Tab-completion latency: "git ksplice create ma<TAB>" (our completion, which runs git-ksplice __complete)
# against "git checkout ma<TAB>" (git's own completion of a builtin), both through bash-completion and git's
# completion script, N times each in a scratch repository. Prints the medians and their ratio.
# Usage: bench/completion/run.sh [N]   (git-ksplice on PATH, e.g. after ./install.sh)
set -euo pipefail
n=${1:-20}
repo=$(mktemp -d)
trap 'rm -rf "$repo"' EXIT
git -C "$repo" init -q -b main
git -C "$repo" -c user.name=b -c user.email=b@b commit -q --allow-empty -m first
for i in $(seq 1 50); do git -C "$repo" branch "topic-$i"; done
for i in $(seq 1 20); do git -C "$repo" update-ref "refs/ksplice/updates/fix$i" HEAD; done

cd "$repo"
bash -s "$n" <<'BASH'
source /usr/share/bash-completion/bash_completion
_completion_loader git
n=$1
complete_ms () {  # prints the milliseconds one completion of "$1" takes
	local line=$1 start end
	read -ra COMP_WORDS <<<"$line"
	COMP_LINE=$line COMP_POINT=${#line} COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
	start=$(date +%s%N)
	COMPREPLY=()
	__git_wrap__git_main git "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
	end=$(date +%s%N)
	[ ${#COMPREPLY[@]} -gt 0 ] || { echo "no candidates for '$line'" >&2; exit 1; }
	echo $(( (end - start) / 1000000 ))
}
median () { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ours=$(for i in $(seq "$n"); do complete_ms "git ksplice create ma"; done | median)
ids=$(for i in $(seq "$n"); do complete_ms "git ksplice show fix"; done | median)
gits=$(for i in $(seq "$n"); do complete_ms "git checkout ma"; done | median)
echo "git ksplice create ma<TAB>: median ${ours} ms"
echo "git ksplice show fix<TAB>:  median ${ids} ms"
echo "git checkout ma<TAB>:       median ${gits} ms"
awk -v a="$ours" -v b="$gits" 'BEGIN { printf "ratio (ours / git'"'"'s own): %.1f\n", a / (b > 0 ? b : 1) }'
BASH
