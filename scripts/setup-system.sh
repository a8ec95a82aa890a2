#!/usr/bin/env bash
# Installs the system packages asr-api-service needs, from Debian/Ubuntu's own archive (no other downloads).
#   scripts/setup-system.sh            what `npm ci` and the service need: ffmpeg, the PocketSphinx engine and its
#                                      English model (no compilers: every native addon ships prebuilt on npm)
#   scripts/setup-system.sh --runtime  the same set, named for the Docker image's last stage
#   scripts/setup-system.sh --test     also what the test suite uses: speech synthesis voices, sox, recorded test
#                                      speech, redis-server (the jobs queue on Redis), nginx and prometheus (their
#                                      configs are tested), docker-compose and logrotate (their files are checked),
#                                      and Chromium (the browser demo's tests drive it)
# The README, .ci/run and the Dockerfile all call this script, so their package lists cannot drift apart.
set -euo pipefail

RUNTIME_PACKAGES=(ffmpeg libpocketsphinx3 pocketsphinx-en-us ca-certificates)
TEST_PACKAGES=(flite festival festvox-us-slt-hts sox espeak-ng pocketsphinx-testdata redis-server nginx prometheus
  docker-compose logrotate chromium)

usage() {
  echo "usage: $0 [--runtime | --test]" >&2
  exit 64
}

packages=("${RUNTIME_PACKAGES[@]}")
case "${1:-}" in
  "" | --runtime) ;;
  --test) packages+=("${TEST_PACKAGES[@]}") ;;
  -h | --help) usage ;;
  *) usage ;;
esac
# The tests render the Kubernetes manifests with `kubectl kustomize`: Debian's kubernetes-client, unless some
# kubectl is installed already (another package providing it would conflict).
if [ "${1:-}" = --test ] && ! command -v kubectl >/dev/null 2>&1; then packages+=(kubernetes-client); fi

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
