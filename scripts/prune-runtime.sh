#!/usr/bin/env bash
# Shrinks an installed production tree (after `npm prune --omit=dev`) to what runs on linux-x64: onnxruntime-node
# ships binaries for every platform (about 290 MB; linux-x64 alone is about 45 MB), libsql a musl build beside the
# glibc one. Used by the Dockerfile.
#   scripts/prune-runtime.sh [APP_DIR]   (default: the current directory)
set -euo pipefail

app="${1:-.}"
ort="$app/node_modules/onnxruntime-node/bin"
if [ -d "$ort" ]; then
  for dir in "$ort"/napi-v*/*; do
    [ "$(basename "$dir")" = linux ] || rm -rf "$dir"
  done
  for dir in "$ort"/napi-v*/linux/*; do
    [ "$(basename "$dir")" = x64 ] || rm -rf "$dir"
  done
fi
# libsql (the job store's SQLite) installs its musl build beside the glibc one; the image is glibc (Debian).
rm -rf "$app/node_modules/@libsql/linux-x64-musl"
echo "prune-runtime: $(du -sh "$app/node_modules" | cut -f1) in node_modules"
