#!/usr/bin/env bash
# Exercises deploy/compose.yaml end to end: builds the image, starts
# PostgreSQL, the simulator and two claudit replicas, and checks that both
# replicas are healthy and ready, that exactly one leads the scheduled work,
# that both serve what the leader synced from the one database, and that the
# first admin was created once. Takes everything down again (volumes too).
#
# Where no container engine runs it says so and exits 0: this machine's
# `docker` may be only a client. CONTAINER_ENGINE=podman uses Podman.
set -euo pipefail
cd "$(dirname "$0")/.."

engine=${CONTAINER_ENGINE:-docker}
if ! command -v "$engine" >/dev/null 2>&1; then
  echo "compose test skipped: no container engine ($engine is not installed)"
  exit 0
fi
if ! info=$("$engine" info 2>&1); then
  echo "compose test skipped: no container engine answers ($engine info: $(printf '%s' "$info" | tail -n 1))"
  exit 0
fi

project=claudit-compose-test-$$
compose=("$engine" compose -p "$project" -f deploy/compose.yaml)
export CLAUDIT_SECRET_KEY=${CLAUDIT_SECRET_KEY:-$(head -c 32 /dev/urandom | base64)}
cleanup() {
  status=$?
  if [ $status -ne 0 ]; then "${compose[@]}" logs --no-color --tail 80 || true; fi
  "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  exit $status
}
trap cleanup EXIT

echo "compose: build and start (this takes a few minutes the first time)"
"${compose[@]}" up -d --build --wait --wait-timeout 600

for port in 8081 8082; do
  curl -fsS "http://127.0.0.1:$port/readyz" | grep -qx ready || { echo "replica on :$port is not ready"; exit 1; }
  echo "replica on :$port ready"
done

# Both replicas read the one database: wait (at most 3 minutes) until the
# leader's first sync shows on both.
deadline=$((SECONDS + 180))
for port in 8081 8082; do
  until curl -fsS "http://127.0.0.1:$port/metrics" | grep -Eq '^claudit_stored_events\{kind="prompt"\} [1-9]'; do
    [ $SECONDS -lt $deadline ] || { echo "replica on :$port shows no synced prompts"; exit 1; }
    sleep 5
  done
  echo "replica on :$port serves synced prompts"
done

logs=$("${compose[@]}" logs --no-color claudit-1 claudit-2)
leaders=$(printf '%s\n' "$logs" | grep -c 'this process is the scheduling leader' || true)
admins=$(printf '%s\n' "$logs" | grep -c 'created the first dashboard account' || true)
[ "$leaders" -eq 1 ] || { echo "want exactly one scheduling leader, got $leaders"; exit 1; }
[ "$admins" -eq 1 ] || { echo "want the first admin created once, got $admins"; exit 1; }

health=$("$engine" inspect --format '{{.State.Health.Status}}' "${project}-claudit-1-1" "${project}-claudit-2-1")
[ "$(printf '%s\n' "$health" | grep -c healthy)" -eq 2 ] || { echo "container health: $health"; exit 1; }
echo "compose test passed: two healthy replicas share PostgreSQL, one leads"
