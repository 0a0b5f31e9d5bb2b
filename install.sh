#!/usr/bin/env bash
# Builds git-ksplice and git-kstuff and installs them under PREFIX (default /usr/local as root,
# ~/.local otherwise), so "git ksplice" and "git kstuff" work from any repository.
set -euo pipefail
cd "$(dirname "$0")"
if [ -z "${PREFIX:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then PREFIX=/usr/local; else PREFIX="$HOME/.local"; fi
fi
libdir="$PREFIX/lib/git-ksplice"
bindir="$PREFIX/bin"
sharedir="$PREFIX/share/git-ksplice"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
for project in git-ksplice git-kstuff; do
  dotnet publish "src/$project/$project.csproj" -c Release -o "$stage/lib" --nologo -v quiet >/dev/null
done

mkdir -p "$bindir" "$sharedir"
rm -rf "$libdir.new" && cp -r "$stage/lib" "$libdir.new"
rm -rf "$libdir" && mv "$libdir.new" "$libdir"
for tool in git-ksplice git-kstuff; do
  ln -sfn "$libdir/$tool" "$bindir/$tool"
done
rm -rf "$sharedir/hooks" && cp -r hooks "$sharedir/hooks"

echo "installed git-ksplice and git-kstuff into $bindir"
case ":$PATH:" in
  *":$bindir:"*) ;;
  *) echo "note: $bindir is not on your PATH; add it: export PATH=\"$bindir:\$PATH\"" ;;
esac
