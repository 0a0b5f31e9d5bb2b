#!/usr/bin/env bash
# Installs what the tests use from Debian's packages when it is missing: the compiler and make for the
# C trees the tests build, ccache, distcc and icecream for the compiler launcher tests, QEMU, a static busybox, kmod and dropbear for the VM tests, cross compilers for the object analysis' AArch64 and big-endian ELF32 (MIPS) objects, patch, the Linux build's tools and source, cpio, OpenSSH for delivery tests, sudo for ksplice.remoteSudo, and bash-completion, zsh, fish,
# tmux and man-db for the completion and manual page tests: every program tests/GitKsplice.Tests/Support/Requires.cs
# names (a test the fast tier skips where it is missing). Then makes, when missing, the two accounts that
# are not root and the sudoers rules the remoteSudo tests log in with (see the end).
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have gcc || need+=(gcc)
have make || need+=(make)
have ld || need+=(binutils)
have aarch64-linux-gnu-gcc || need+=(gcc-aarch64-linux-gnu)
have mips-linux-gnu-gcc || need+=(gcc-mips-linux-gnu)
have patch || need+=(patch)
# Compiler launchers the build tests run every compile through: ccache, distcc with a distccd on 127.0.0.1, and
# icecream (icecc, iceccd, icecc-scheduler) in a network namespace of its own, whose loopback ip brings up.
have ccache || need+=(ccache)
{ have distcc && have distccd; } || need+=(distcc)
{ have icecc && [ -x /usr/sbin/iceccd ] && [ -x /usr/sbin/icecc-scheduler ]; } || need+=(icecc)
have ip || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || need+=(iproute2)
{ have nsenter && have unshare; } || need+=(util-linux)
have pgrep || need+=(procps)
have dash || need+=(dash)
have flex || need+=(flex)
have bison || need+=(bison)
have bc || need+=(bc)
have cpio || need+=(cpio)
have ssh || need+=(openssh-client)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
{ have sudo && have visudo; } || need+=(sudo)
[ -e /usr/include/libelf.h ] || need+=(libelf-dev)
[ -e /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
ls /usr/src/linux-source-6.1.tar.* >/dev/null 2>&1 || need+=(linux-source-6.1)
# git ksplice try boots the Linux tests' kernel under QEMU with a static busybox; kmod reads the modules on the host.
have qemu-system-x86_64 || need+=(qemu-system-x86)
{ dpkg -s busybox-static >/dev/null 2>&1 && have busybox; } || need+=(busybox-static)
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
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ${#need[@]} -gt 0 ]; then
  echo "installing test dependencies: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Debian's icecc starts its daemon as a service, listening on every address and looking for a scheduler by
  # broadcast; the tests start their own on a loopback only, so no package's service may start here.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod 755 /usr/sbin/policy-rc.d
    trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# git ksplice apply, undo and view with ksplice.remoteSudo log in to the test sshd on 127.0.0.1 as accounts that
# are not root: ksplice-test may run /bin/sh as root through sudo without a password (what remoteSudo needs on
# a target), ksplice-test-passwd only with a password, which it does not have (sudo -n must fail, never wait).
for account in ksplice-test ksplice-test-passwd; do
  id -u "$account" >/dev/null 2>&1 ||
    $sudo useradd --system --create-home --home-dir "/home/$account" --shell /bin/sh "$account"
  # '*' matches no password but, unlike useradd's '!', is not a locked account, which sshd without PAM refuses.
  [ "$($sudo getent shadow "$account" | cut -d: -f2)" = '*' ] || $sudo usermod -p '*' "$account"
done
rules=/etc/sudoers.d/ksplice-test
want="# git-ksplice's tests (scripts/install-test-deps.sh): ksplice.remoteSudo over the test sshd on 127.0.0.1.
ksplice-test ALL=(root) NOPASSWD: /bin/sh
ksplice-test-passwd ALL=(root) /bin/sh"
if [ "$($sudo cat "$rules" 2>/dev/null)" != "$want" ] || [ "$($sudo stat -c %a "$rules")" != 440 ]; then
  draft=$(mktemp)
  printf '%s\n' "$want" >"$draft"
  if ! $sudo visudo -cqf "$draft"; then
    rm -f "$draft"
    echo "fatal: visudo refuses the sudoers rules for $rules" >&2
    exit 1
  fi
  # sudo skips names with a dot in /etc/sudoers.d: the rules take effect whole, at the rename.
  $sudo install -m 0440 -o root -g root "$draft" "$rules.new"
  rm -f "$draft"
  $sudo mv "$rules.new" "$rules"
fi
