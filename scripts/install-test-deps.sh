#!/usr/bin/env bash
# Installs what the tests use from Debian's packages when it is missing: the compiler and make for the
# C trees the tests build, ccache and distcc for the compiler launcher tests, QEMU, a static busybox, kmod and dropbear for the VM tests, cross compilers for the object analysis' AArch64 and big-endian ELF32 (MIPS) objects, patch, the Linux build's tools and source, cpio, OpenSSH for delivery tests, and bash-completion, zsh, fish,
# tmux and man-db for the completion and manual page tests.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have gcc || need+=(gcc)
have make || need+=(make)
have aarch64-linux-gnu-gcc || need+=(gcc-aarch64-linux-gnu)
have mips-linux-gnu-gcc || need+=(gcc-mips-linux-gnu)
have patch || need+=(patch)
# Compiler launchers the build tests run every compile through: ccache, and distcc with a distccd on 127.0.0.1.
have ccache || need+=(ccache)
{ have distcc && have distccd; } || need+=(distcc)
have flex || need+=(flex)
have bison || need+=(bison)
have bc || need+=(bc)
have cpio || need+=(cpio)
have ssh || need+=(openssh-client)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
[ -e /usr/include/libelf.h ] || need+=(libelf-dev)
[ -e /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
ls /usr/src/linux-source-6.1.tar.* >/dev/null 2>&1 || need+=(linux-source-6.1)
# git ksplice try boots the Linux tests' kernel under QEMU with a static busybox; kmod reads the modules on the host.
have qemu-system-x86_64 || need+=(qemu-system-x86)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
dpkg -s kmod >/dev/null 2>&1 || need+=(kmod)
# git ksplice apply, undo and view reach the Linux tests' kernel in a guest over ssh: dropbear (and its
# libraries) is its ssh server, dropbearkey makes its host key.
[ -x /usr/sbin/dropbear ] && [ -x /usr/bin/dropbearkey ] || need+=(dropbear-bin)
# The shells, terminal and manual reader the completion and manual page tests drive.
[ -e /usr/share/bash-completion/bash_completion ] || need+=(bash-completion)
have zsh || need+=(zsh)
have fish || need+=(fish)
have tmux || need+=(tmux)
have man || need+=(man-db)
have groff || need+=(groff-base)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing test dependencies: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${need[@]}" >/dev/null
