#!/usr/bin/env bash
# Builds git-ksplice and git-kstuff and installs them under PREFIX (default /usr/local as root,
# ~/.local otherwise), so "git ksplice" and "git kstuff" work from any repository, with their manual pages
# (git help ksplice, man git-kstuff) and bash, zsh and fish completions.
set -euo pipefail
cd "$(dirname "$0")"
if [ -z "${PREFIX:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then PREFIX=/usr/local; else PREFIX="$HOME/.local"; fi
fi
libdir="$PREFIX/lib/git-ksplice"
bindir="$PREFIX/bin"
sharedir="$PREFIX/share/git-ksplice"
mandir="$PREFIX/share/man/man1"
bashdir="$PREFIX/share/bash-completion/completions"
zshdir="$PREFIX/share/zsh/site-functions"
fishdir="$PREFIX/share/fish/vendor_completions.d"
fishconfdir="$PREFIX/share/fish/vendor_conf.d"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
kind=$(scripts/publish.sh "$stage/lib")

mkdir -p "$bindir" "$sharedir" "$(dirname "$libdir")"
rm -rf "$libdir.new" && cp -r "$stage/lib" "$libdir.new"
rm -rf "$libdir" && mv "$libdir.new" "$libdir"
for tool in git-ksplice git-kstuff; do
  ln -sfn "$libdir/$tool" "$bindir/$tool"
done
rm -rf "$sharedir/hooks" && cp -r hooks "$sharedir/hooks"

# The manual pages are generated from the installed executables' own command trees, so they match them.
mkdir -p "$mandir"
for tool in git-ksplice git-kstuff; do
  rm -f "$mandir/$tool".1 "$mandir/$tool"-*.1
  "$libdir/$tool" __man "$mandir" >/dev/null
done

# One completion script per shell serves both tools; each shell looks the file up by the command's name.
mkdir -p "$bashdir" "$zshdir" "$fishdir" "$fishconfdir"
for tool in git-ksplice git-kstuff; do
  cp completions/git-ksplice.bash "$bashdir/$tool"
  cp completions/_git-ksplice "$zshdir/_$tool"
  cp completions/git-ksplice.fish "$fishdir/$tool.fish"
done
cp completions/git-ksplice.conf.fish "$fishconfdir/git-ksplice.fish"

echo "installed git-ksplice and git-kstuff ($kind) into $bindir, manual pages into $mandir"
case ":$PATH:" in
  *":$bindir:"*) ;;
  *) echo "note: $bindir is not on your PATH; add it: export PATH=\"$bindir:\$PATH\"" ;;
esac
# man finds $PREFIX/share/man through PATH; bash-completion looks in ~/.local/share and $XDG_DATA_DIRS.
data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
case ":${XDG_DATA_DIRS:-/usr/local/share:/usr/share}:$data_home:" in
  *":$PREFIX/share:"*) ;;
  *) echo "note: for bash completion, add to ~/.bashrc: source $bashdir/git-ksplice" ;;
esac
if command -v zsh >/dev/null 2>&1 && ! zsh -fc '(( ${fpath[(Ie)$1]} ))' zsh "$zshdir"; then
  echo "note: for zsh completion, add to ~/.zshrc before compinit: fpath=($zshdir \$fpath)"
fi
if command -v fish >/dev/null 2>&1 && ! fish -c 'contains -- $argv[1] $fish_complete_path' "$fishdir" 2>/dev/null; then
  echo "note: for fish completion, add to ~/.config/fish/config.fish: set -p fish_complete_path $fishdir; source $fishconfdir/git-ksplice.fish"
fi
