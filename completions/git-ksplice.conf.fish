# Hands "git ksplice ..." and "git kstuff ..." to the git-ksplice and git-kstuff completions. fish's git
# completion does this itself for git-* commands from fish 3.6.1 on; 3.6.0 (Debian 12) names them wrongly.
# ./install.sh installs this file in a vendor_conf.d directory, which fish reads at startup.

function __git_ksplice_from_git -a tool
    set -l words (commandline -opc)
    set -l at (contains -i -- $tool $words)
    set -l line git-$tool (string escape -- $words[(math $at + 1)..-1])
    set -l current (commandline -ct)
    set -l text (string join ' ' -- $line)' '
    test -n "$current"; and set text $text(string escape -- $current)
    complete -C $text
end

for tool in ksplice kstuff
    complete -c git -f -n "__fish_git_using_command $tool" -a "(__git_ksplice_from_git $tool)"
end
