# Sourced by the benchmarks of create: timing, and the generated C tree they build.
# shellcheck shell=bash

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

# gen_tree DIR FILES: FILES C files of four functions each under DIR/src, a Makefile linking them into prog.
gen_tree() {
  mkdir -p "$1/src"
  local objs=""
  for i in $(seq 1 "$2"); do
    cat > "$1/src/unit$i.c" <<C
#include <stdio.h>
#include <string.h>
static int table$i[64];
int unit${i}_sum(const int *v, int n) { int s = 0; for (int k = 0; k < n; k++) s += v[k] * $i; return s; }
int unit${i}_scan(const char *text) { int c = 0; for (; *text; text++) if (strchr("aeiou", *text)) c++; return c + $i; }
int unit${i}_fill(void) { for (int k = 0; k < 64; k++) table$i[k] = k * $i; return unit${i}_sum(table$i, 64); }
int unit${i}_print(void) { return printf("unit $i: %d\n", unit${i}_fill()); }
C
    objs="$objs src/unit$i.o"
  done
  printf 'int unit1_print(void);\nint main(void) { return unit1_print() < 0; }\n' > "$1/src/main.c"
  cat > "$1/Makefile" <<M
CFLAGS = -O2 -g
OBJS = src/main.o$objs
prog: \$(OBJS)
	\$(CC) -o \$@ \$(OBJS)
M
  printf '*.o\nprog\n' > "$1/.gitignore"
}
