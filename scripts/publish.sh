#!/usr/bin/env bash
# Publishes git-ksplice and git-kstuff into DIR, the way install.sh ships them.
# Natively compiled (Native AOT) when a C linker (gcc or clang) is present: a command then starts in a few
# milliseconds instead of the ~0.1 s a .NET runtime start and JIT cost, which is most of a warm
# `git ksplice create` and of every read command. Without a linker, framework-dependent .NET programs.
# GIT_KSPLICE_PUBLISH=native|managed forces one kind.
# Usage: scripts/publish.sh DIR
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/publish.sh DIR}
kind=${GIT_KSPLICE_PUBLISH:-auto}
if [ "$kind" = auto ]; then
  if command -v gcc >/dev/null 2>&1 || command -v clang >/dev/null 2>&1; then kind=native; else kind=managed; fi
fi
case "$kind" in
  native) flags=(--use-current-runtime -p:PublishAot=true) ;;
  managed) flags=() ;;
  *) echo "fatal: GIT_KSPLICE_PUBLISH must be native or managed, not '$kind'" >&2; exit 129 ;;
esac
mkdir -p "$out"
# One at a time: both projects build the shared core library into the same obj directory.
for project in git-ksplice git-kstuff; do
  if ! log=$(dotnet publish "src/$project/$project.csproj" -c Release -o "$out" --nologo "${flags[@]}" 2>&1); then
    printf '%s\n' "$log" | grep -E 'error|Error' >&2 || printf '%s\n' "$log" >&2
    echo "fatal: could not publish $project ($kind)" >&2
    exit 1
  fi
done
# Debug symbols stay out of what is installed.
rm -f "$out"/*.dbg "$out"/*.pdb
echo "$kind"
