# bash completion for "git ksplice" and "git kstuff" (and git-ksplice, git-kstuff).
#
# git's own completion calls _git_ksplice and _git_kstuff; bash-completion loads this file for them on demand
# when it is installed as .../bash-completion/completions/git-ksplice and git-kstuff (./install.sh does that).
# Without bash-completion, source it from ~/.bashrc after git's completion script.
#
# The candidates come from the tools themselves ("git-ksplice __complete WORD..."), which read their own
# command trees, so this script never changes when commands or options are added.

__git_ksplice_complete ()
{
	local tool=$1 first=$(( ${__git_cmd_idx:-0} + 1 ))
	local word=$cur value_prefix= line want_files= want_dirs= IFS=$'\n'
	local -a candidates=()
	# --option=value: readline replaces only what follows "=", so complete the value alone.
	case $cur in
	--*=*) value_prefix=${cur%%=*}= word=${cur#*=} ;;
	esac
	for line in $("$tool" __complete -- "${words[@]:first:cword-first}" "$cur" 2>/dev/null); do
		case $line in
		:files) want_files=1 ;;
		:dirs) want_dirs=1 ;;
		*) candidates+=("${line#"$value_prefix"}") ;;
		esac
	done
	COMPREPLY=()
	if [ ${#candidates[@]} -gt 0 ]; then
		COMPREPLY=($(compgen -S " " -W "${candidates[*]}" -- "$word"))
	fi
	if [ -n "$want_files$want_dirs" ]; then
		# Readline quotes the names and marks directories with "/".
		compopt -o filenames 2>/dev/null
		COMPREPLY+=($(compgen ${want_dirs:+-d} ${want_files:+-f} -- "$word"))
	fi
}

_git_ksplice () { __git_ksplice_complete git-ksplice; }
_git_kstuff () { __git_ksplice_complete git-kstuff; }

# The tools called directly (git-ksplice ...), when git's completion is there to set up words and cur.
if declare -F __git_complete >/dev/null 2>&1 || { declare -F __load_completion >/dev/null 2>&1 && __load_completion git; }; then
	if declare -F __git_complete >/dev/null 2>&1; then
		__git_complete git-ksplice _git_ksplice
		__git_complete git-kstuff _git_kstuff
	fi
fi
