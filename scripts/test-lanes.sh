#!/usr/bin/env bash
# Runs the checks and the test suites in two lanes at once, to keep `npm test` (and .ci/run) well inside its time:
#   main lane:  the suites whose speech and timing tests want the CPU, in band;
#   other lane: ESLint, Prettier and tsc, then the suites that mostly wait (a 65 s request through nginx, fake
#               providers with fixed delays, npm in the Dockerfile's steps, child processes, a browser playing its
#               microphone in real time), the long-recording suite (no timing in it) and the fault and fuzz suites,
#               which balance the two (the Deepgram, TLS, telephony and mixed-protocol suites too: measured, the
#               main lane ran 1150 s against the other's 937 s with telephony in the main one).
# Exit status non-zero when anything in either lane fails. Extra arguments go to both Jest runs.
set -uo pipefail

OTHER=(
  test/nginx.e2e-spec.ts
  test/jobs-shared.e2e-spec.ts
  test/jobs-resume.e2e-spec.ts
  test/docker-steps.e2e-spec.ts
  test/jobs.e2e-spec.ts
  test/cli.e2e-spec.ts
  test/openai-sdk.e2e-spec.ts
  test/remote-providers.e2e-spec.ts
  test/deployment-files.e2e-spec.ts
  test/monitoring.e2e-spec.ts
  test/workers.e2e-spec.ts
  test/demo-browser.e2e-spec.ts
  test/long-recording.e2e-spec.ts
  test/upload-fuzz.e2e-spec.ts
  test/provider-faults.e2e-spec.ts
  test/client-faults.e2e-spec.ts
  test/slow-peers.e2e-spec.ts
  test/tenancy.e2e-spec.ts
  test/deepgram-live.e2e-spec.ts
  test/deepgram-prerecorded.e2e-spec.ts
  test/tls.e2e-spec.ts
  test/openai-audio-remote.e2e-spec.ts
  test/live-protocol-auth.e2e-spec.ts
  test/live-protocols-mixed.e2e-spec.ts
  test/telephony-audio.e2e-spec.ts
)

(
  npm run --silent lint && npm run --silent format:check && npm run --silent typecheck &&
    npx jest --runInBand --runTestsByPath "${OTHER[@]}" "$@"
) > >(sed -u 's/^/[other lane] /') 2>&1 &
other=$!

ignore=()
for path in "${OTHER[@]}"; do ignore+=("--testPathIgnorePatterns=$path"); done
npx jest --runInBand "${ignore[@]}" "$@"
main=$?
wait "$other"
side=$?
echo "test lanes: main exited $main, other lane (checks included) exited $side"
[ "$main" -eq 0 ] && [ "$side" -eq 0 ]
