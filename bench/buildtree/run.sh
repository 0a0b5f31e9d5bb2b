#!/usr/bin/env bash
# Build-tree benchmark: time to move the build tree between two states that differ in 3 files, and to find the
# changed outputs, on generated trees of growing size; ratio to `git checkout` of the same change.
# Usage: bench/buildtree/run.sh [files...]   (default: 10000 40000)
set -euo pipefail
cd "$(dirname "$0")"
dotnet build -c Release --nologo -v quiet >/dev/null
dotnet bin/Release/net10.0/BuildTreeBench.dll "$@"
