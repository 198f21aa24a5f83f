#!/usr/bin/env bash
# Backfill throughput with 1, 2 and 3 claudit processes sharing one PostgreSQL.
# Usage: scripts/scale-bench.sh [USERS] [DAYS]   (needs PostgreSQL on 127.0.0.1:5432,
# user postgres / password claudit, as .ci/run sets up, and a built ./claudit)
set -euo pipefail
users=${1:-200}
days=${2:-14}
bin=${CLAUDIT_BIN:-./claudit}
pgadmin="postgres://postgres:claudit@127.0.0.1:5432/postgres?sslmode=disable"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

end=$(date -u +%Y-%m-%dT%H:00:00Z)
"$bin" simulate --addr 127.0.0.1:18181 --users "$users" --days "$days" --end "$end" --rate-limit -1 >/dev/null 2>&1 &
sleep 3
summary=$("$bin" simulate --users "$users" --days "$days" --end "$end" --summary)
from=$(date -u -d "$days days ago 2 hours ago" +%Y-%m-%dT%H:00:00Z)
to=$(date -u -d "1 hour" +%Y-%m-%dT%H:00:00Z)
echo "organization: $(echo "$summary" | grep -E '"(activities|messages)"' | tr -d ' \n')"

for n in 1 2 3; do
  db="claudit_scale_$n"
  psql "$pgadmin" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  cat > "$work/c$n.yaml" <<YAML
database: postgres://postgres:claudit@127.0.0.1:5432/$db?sslmode=disable
log_level: warn
integrations:
  - name: bench
    base_url: http://127.0.0.1:18181
    api_key: sk-ant-api01-claudit-simulator-0000000000000000
    rate_limit: 1000000
    page_size: 5000
    paused: true
backfill: {batch_window: 6h, concurrency: 4, lease: 30s}
YAML
  for i in $(seq 2 "$n"); do
    "$bin" serve --config "$work/c$n.yaml" --listen "127.0.0.1:$((18200 + i))" >"$work/serve$n-$i.log" 2>&1 &
  done
  start=$(date +%s.%N)
  "$bin" backfill --quiet --skip-policies --config "$work/c$n.yaml" --integration bench --from "$from" --to "$to" >"$work/bf$n.log" 2>&1
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  tail -1 "$work/bf$n.log"
  echo "processes=$n seconds=$secs"
  kill $(jobs -p | tail -n +2) 2>/dev/null || true
  sleep 1
done
