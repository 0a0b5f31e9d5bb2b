# fish completion for git-ksplice and git-kstuff; fish's own git completion hands "git ksplice ..." and
# "git kstuff ..." to them. ./install.sh installs this file as git-ksplice.fish and git-kstuff.fish in a
# vendor_completions.d directory.
#
# The candidates come from the tools themselves ("git-ksplice __complete WORD..."), which read their own
# command trees, so this file never changes when commands or options are added.

function __git_ksplice_complete -a tool
    set -l words (commandline -opc)
    set -e words[1]
    set -l current (commandline -ct)
    for line in ($tool __complete -- $words $current 2>/dev/null)
        switch $line
            case :files
                __fish_complete_path $current
            case :dirs
                __fish_complete_directories $current ''
            case '*'
                echo $line
        end
    end
end

# This file is loaded for whichever command its name gives.
set -l __git_ksplice_tool (string replace -r '\.fish$' '' -- (path basename -- (status filename)))
complete -c $__git_ksplice_tool -f -a "(__git_ksplice_complete $__git_ksplice_tool)"
