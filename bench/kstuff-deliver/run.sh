#!/usr/bin/env bash
# Benchmark of git kstuff's delivery over OpenSSH to a generated target ($1 drivers, default 500) on a
# private sshd on 127.0.0.1 (openssh-server; run as the user who owns the keys it makes, root allowed).
# Reports, from one run:
#   delivery ratio  = time of `git kstuff -bq host:bench` (read the target over ssh, merge, send, idbuild
#                     stand-in, install) / time of `tar cf - conf | ssh host tar xf -` of the source tree
#                     alone (the least any delivery does)                                  (target <= 3)
#   multiplex ratio = the same delivery with kstuff.sshMultiplex=false / with it (one ssh handshake
#                     per step against one per delivery)                                    (target >= 1.5)
# Usage: bench/kstuff-deliver/run.sh [drivers]   (git-kstuff must be on PATH: ./install.sh)
set -euo pipefail
drivers=${1:-500}
work=$(mktemp -d /tmp/kstuff-bench.XXXXXX)
sshd_pid=
cleanup() { [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

gen_conf() {
  local conf=$1 count=$2 shift_by=$3
  mkdir -p "$conf"/{mdevice.d,sdevice.d,node.d,pack.d,cf.d,init.d}
  for i in $(seq 1 "$count"); do
    local name=drv$i major=$(( (i + shift_by) % 250 + 1 ))
    printf '$version 2\n$entry init\n%s\t%s_\thc\t0\t0\t%s\n' "$name" "$name" "$major" > "$conf/mdevice.d/$name"
    printf '$version 2\n%s\tY\t1\t5\t1\t%s\t0\t0\t0\t0\t-1\n' "$name" "$i" > "$conf/sdevice.d/$name"
    mkdir -p "$conf/pack.d/$name"
    head -c 32768 /dev/urandom > "$conf/pack.d/$name/Driver.o"
  done
  printf 'NPROC 400\n' > "$conf/cf.d/stune"
}

echo "generating $drivers drivers in $work" >&2
gen_conf "$work/ROOT/mach/etc/conf" "$drivers" 0
mkdir -p "$work/ROOT/mach/usr/include/sys" && echo '#define BENCH 1' > "$work/ROOT/mach/usr/include/sys/bench.h"
gen_conf "$work/target/etc/conf" "$drivers" 0
mkdir -p "$work/target/etc/conf/bin" "$work/target/stand" "$work/target/dev"
cat > "$work/target/etc/conf/bin/idbuild" <<'IDB'
#!/bin/sh
while [ $# -gt 0 ]; do case $1 in -O) out=$2; shift ;; esac; shift; done
cat "$ROOT/$MACH"/etc/conf/pack.d/*/Driver.o > "$out"
IDB
chmod 755 "$work/target/etc/conf/bin/idbuild"

# A private sshd with its own keys.
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"; ssh-keygen -q -t ed25519 -N '' -f "$work/client_key"
cp "$work/client_key.pub" "$work/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
[ "$(id -u)" -eq 0 ] && mkdir -p /run/sshd
cat > "$work/sshd_config" <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $work/host_key
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
UsePAM no
StrictModes no
CFG
echo "bench $(cat "$work/host_key.pub")" > "$work/known_hosts"
cat > "$work/ssh_config" <<CFG
Host bench
  HostName 127.0.0.1
  Port $port
  User $(id -un)
  HostKeyAlias bench
  IdentityFile $work/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $work/known_hosts
  BatchMode yes
  LogLevel ERROR
CFG
/usr/sbin/sshd -D -e -f "$work/sshd_config" 2>/dev/null & sshd_pid=$!
for _ in $(seq 50); do ssh -F "$work/ssh_config" bench true 2>/dev/null && break; sleep 0.1; done

git init -q -b main "$work/repo" && git -C "$work/repo" -c user.name=b -c user.email=b@b commit -q --allow-empty -m tree
cd "$work/repo"
git config kstuff.sshCommand "ssh -F $work/ssh_config"
export ROOT=$work/ROOT MACH=mach HOME=$work KSTUFF_SYSTEM_RC=
git kstuff bundle -q

t0=$(now); git kstuff -bq --target-root "$work/target" bench:bench; t1=$(now)
deliver=$(elapsed "$t0" "$t1")
t0=$(now); git -c kstuff.sshMultiplex=false kstuff -bq --target-root "$work/target" bench:bench; t1=$(now)
single=$(elapsed "$t0" "$t1")
t0=$(now)
tar cf - -C "$work/ROOT/mach/etc/conf" . | ssh -F "$work/ssh_config" bench "mkdir -p '$work/plain' && tar xf - -C '$work/plain'"
t1=$(now)
plain=$(elapsed "$t0" "$t1")

printf 'drivers: %s (32 KiB objects), kernel: %s bytes\n' "$drivers" "$(stat -c %s "$work/target/stand/bench")"
printf 'delivery: %.2fs  tar|ssh of the tree: %.2fs  ratio %.2f\n' "$deliver" "$plain" "$(echo "$deliver / $plain" | bc -l)"
printf 'no multiplexing: %.2fs  multiplexed: %.2fs  ratio %.2f\n' "$single" "$deliver" "$(echo "$single / $deliver" | bc -l)"
