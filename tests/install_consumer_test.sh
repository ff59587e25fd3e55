#!/usr/bin/env bash
# Installs signet into a temporary prefix and builds examples/guarded_service against it with
# find_package(signet): proves the installed headers, libraries and CMake package are complete.
set -euo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/examples/guarded_service" -B "$work/build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" -j2 >/dev/null
usage=$("$work/build/guarded_service" 2>&1 || true)
grep -q 'usage: guarded_service' <<<"$usage"
echo "installed package builds and links examples/guarded_service"
