#!/usr/bin/env bash
# Benchmark of git kstuff bundle and git kstuff merge on a generated build tree ($ROOT/$MACH).
# Reports, from one run:
#   bundle ratio = time of `git kstuff bundle -F` (collect, validate every Master/System/Node, archive, note)
#                  / time of `find | cpio -o -H newc | gzip` over the same files          (target <= 1.5)
#   merge ratio  = time of `git kstuff merge SRC TGT -o OUT` (parse both trees, merge, write the merged tree)
#                  / time of `cp -a TGT` (copying the target tree alone)                   (target <= 3)
# Usage: bench/kstuff/run.sh [drivers]   (default 1000; git-kstuff must be on PATH: ./install.sh)
set -euo pipefail
drivers=${1:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

# A configuration tree of $1 drivers, object files of 32 KiB each; $2 shifts the majors of the target.
gen_conf() {
  local conf=$1 shift_by=$2
  mkdir -p "$conf"/{mdevice.d,sdevice.d,node.d,pack.d,cf.d,init.d}
  for i in $(seq 1 "$drivers"); do
    local name=drv$i major=$(( (i + shift_by) % 250 + 1 ))
    printf '#ident\t"@(#)%s"\n$version 2\n$contact kernel\n$entry init\n$interface ddi 8\n%s\t%s_\tc\t0\t0\t%s\n' \
      "$name" "$name" "$name" "$major" > "$conf/mdevice.d/$name"
    printf '$version 2\n$loadable\n%s\tY\t1\t5\t1\t%s\t0\t0\t0\t0\t-1\n' "$name" "$i" > "$conf/sdevice.d/$name"
    printf '%s\t%s0\tc\t0\n' "$name" "$name" > "$conf/node.d/$name"
    mkdir -p "$conf/pack.d/$name"
    head -c 32768 /dev/urandom > "$conf/pack.d/$name/Driver.o"
  done
  printf 'NPROC 400\n' > "$conf/cf.d/stune"
}

echo "generating $drivers drivers in $work" >&2
gen_conf "$work/ROOT/mach/etc/conf" 0
mkdir -p "$work/ROOT/mach/usr"
cp -a /usr/include "$work/ROOT/mach/usr/include"
gen_conf "$work/target" 7
files=$(find "$work/ROOT/mach" -type f | wc -l)

git init -q -b main "$work/repo" && git -C "$work/repo" -c user.name=b -c user.email=b@b commit -q --allow-empty -m tree
cd "$work/repo"

t0=$(now); git kstuff bundle -q -F --root "$work/ROOT" --mach mach; t1=$(now)
bundle=$(elapsed "$t0" "$t1")
# The same files through cpio and gzip, as kbundle's shell script would have done it.
mkdir -p "$work/stage" && cp -a "$work/ROOT/mach/etc/conf/." "$work/stage/" && cp -a "$work/ROOT/mach/usr/include" "$work/stage/include.d"
rm -rf "$work/stage/kstuff.d"
t0=$(now); (cd "$work/stage" && find . | cpio -o -H newc --quiet | gzip > "$work/plain.Z"); t1=$(now)
plain=$(elapsed "$t0" "$t1")

t0=$(now); git kstuff merge -q "$work/ROOT/mach/etc/conf" "$work/target" -o "$work/merged" > /dev/null; t1=$(now)
merge=$(elapsed "$t0" "$t1")
t0=$(now); cp -a "$work/target" "$work/copy"; t1=$(now)
copy=$(elapsed "$t0" "$t1")

printf 'drivers: %s, files in the build tree: %s, bundle: %s bytes (cpio|gzip: %s bytes)\n' \
  "$drivers" "$files" "$(stat -c %s "$work/ROOT/mach/etc/conf/kstuff.d/bundle.Z")" "$(stat -c %s "$work/plain.Z")"
printf 'bundle: %.2fs  cpio|gzip: %.2fs  ratio %.2f\n' "$bundle" "$plain" "$(echo "$bundle / $plain" | bc -l)"
printf 'merge:  %.2fs  cp -a:     %.2fs  ratio %.2f\n' "$merge" "$copy" "$(echo "$merge / $copy" | bc -l)"
