#!/usr/bin/env bash
# Runs the official UCP conformance suite (a checkout kept OUTSIDE this repository) against a
# running server, one test file at a time, and prints the pass count per file.
#
#   bench/run_conformance.sh /work/ext/conformance
#
# Environment:
#   CONFORMANCE_PYTHON  python of the suite's own virtualenv (default: <checkout>/../venv-conformance/bin/python)
#   SERVER_URL          base URL of the server under test (default http://localhost:8106)
#   SIMULATION_SECRET   the org's simulation secret (see manage.py ucp_rest_settings)
#   TEST_FILES          space-separated subset of *_test.py to run (default: all)
# The org under test must be the server's default org (UCP_DEFAULT_ORGCODE), seeded with the
# flower-shop data and configured as bench/conformance_server.sh does (it starts such a server).
set -uo pipefail

suite_dir=${1:?usage: $0 <conformance checkout>}
python=${CONFORMANCE_PYTHON:-$(dirname "$suite_dir")/venv-conformance/bin/python}
server_url=${SERVER_URL:-http://localhost:8106}
secret=${SIMULATION_SECRET:?set SIMULATION_SECRET}
log_dir=${LOG_DIR:-$(mktemp -d)}
mkdir -p "$log_dir"

# The server may still be migrating (bench/conformance_server.sh): wait for discovery to answer.
for _ in $(seq 60); do
  curl -sf -o /dev/null "$server_url/.well-known/ucp" && break
  sleep 1
done
curl -sf -o /dev/null "$server_url/.well-known/ucp" || { echo "no server at $server_url" >&2; exit 2; }

cd "$suite_dir" || exit 2
files=${TEST_FILES:-$(ls *_test.py)}
total_run=0
total_bad=0
for file in $files; do
  log="$log_dir/${file%.py}.log"
  "$python" "$file" --server_url="$server_url" --simulation_secret="$secret" \
    --conformance_input=test_data/flower_shop/conformance_input.json \
    --test_data_dir=test_data/flower_shop >"$log" 2>&1
  ran=$(grep -Eo '^Ran [0-9]+ test' "$log" | grep -Eo '[0-9]+' || echo 0)
  failures=$(grep -Eo 'failures=[0-9]+' "$log" | grep -Eo '[0-9]+' || echo 0)
  errors=$(grep -Eo 'errors=[0-9]+' "$log" | grep -Eo '[0-9]+' || echo 0)
  bad=$((failures + errors))
  printf '%-36s %3d/%-3d passed  (log: %s)\n' "$file" $((ran - bad)) "$ran" "$log"
  total_run=$((total_run + ran))
  total_bad=$((total_bad + bad))
done
printf '%-36s %3d/%-3d passed\n' "TOTAL" $((total_run - total_bad)) "$total_run"
