#!/usr/bin/env bash
# Installs the system packages asr-api-service needs, from Debian/Ubuntu's own archive (no other downloads).
#   scripts/setup-system.sh          run time: ffmpeg, the PocketSphinx engine and its English model
#   scripts/setup-system.sh --test   also what the test suite uses: speech synthesis voices, sox, recorded test speech,
#                                    redis-server (the jobs queue on Redis), nginx and prometheus (their configs are tested)
# The README, .ci/run and the Dockerfile all call this script, so their package lists cannot drift apart.
set -euo pipefail

# g++, make and python3 build better-sqlite3 (the embedded job store) during `npm ci`: its prebuilt binaries would
# come from GitHub, which an offline machine cannot reach.
RUNTIME_PACKAGES=(ffmpeg libpocketsphinx3 pocketsphinx-en-us ca-certificates g++ make python3)
TEST_PACKAGES=(flite festival festvox-us-slt-hts sox espeak-ng pocketsphinx-testdata redis-server nginx prometheus)

usage() {
  echo "usage: $0 [--test]" >&2
  exit 64
}

packages=("${RUNTIME_PACKAGES[@]}")
case "${1:-}" in
  "") ;;
  --test) packages+=("${TEST_PACKAGES[@]}") ;;
  -h | --help) usage ;;
  *) usage ;;
esac

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "error: run as root or install sudo" >&2
  exit 1
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-system: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "setup-system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-system: done"
