#!/usr/bin/env bash
# Shrinks an installed production tree (after `npm prune --omit=dev`) to what runs on linux-x64: onnxruntime-node
# ships binaries for every platform (about 290 MB; linux-x64 alone is about 45 MB). Used by the Dockerfile.
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
# Build leftovers of better-sqlite3: only the compiled addon is loaded.
rm -rf "$app/node_modules/better-sqlite3/build/Release/obj" "$app/node_modules/better-sqlite3/build/Release/obj.target" \
  "$app/node_modules/better-sqlite3/build/Release/sqlite3.a" "$app/node_modules/better-sqlite3/build/Release/test_extension.node" \
  "$app/node_modules/better-sqlite3/deps" "$app/node_modules/better-sqlite3/src"
echo "prune-runtime: $(du -sh "$app/node_modules" | cut -f1) in node_modules"
