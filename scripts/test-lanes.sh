#!/usr/bin/env bash
# Runs Jest in two lanes at once: the suites that mostly wait (a 65 s request through nginx, providers with fixed
# delays, npm and a compiler in the Dockerfile's steps) beside the rest, which runs in band because its speech and
# timing tests want the CPU. Exit status: non-zero when either lane fails. Extra arguments go to both lanes.
set -uo pipefail

WAITING=(
  test/nginx.e2e-spec.ts
  test/jobs-shared.e2e-spec.ts
  test/jobs-resume.e2e-spec.ts
  test/docker-steps.e2e-spec.ts
)

npx jest --runInBand --runTestsByPath "${WAITING[@]}" "$@" > >(sed -u 's/^/[waiting lane] /') 2>&1 &
waiting=$!
ignore=()
for path in "${WAITING[@]}"; do ignore+=("--testPathIgnorePatterns=$path"); done
npx jest --runInBand "${ignore[@]}" "$@"
main=$?
wait "$waiting"
side=$?
echo "test lanes: main exited $main, waiting lane exited $side"
[ "$main" -eq 0 ] && [ "$side" -eq 0 ]
