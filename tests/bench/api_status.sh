#!/usr/bin/env bash
# REST API throughput: `meshorch serve` on the simulation with one deployed service, and wrk
# (Debian package `wrk`) against GET /v1/services/<name> with a bearer token. For a ratio from
# the same run it also measures GET /healthz (no token, no orchestrator: the HTTP floor).
#
# usage: api_status.sh MESHORCH_BINARY [SOURCE_DIR] [DURATION (default 10s)]
# prints requests/s and p99 latency of both, and status/healthz throughput.
set -euo pipefail

meshorch=${1:?usage: api_status.sh MESHORCH_BINARY [SOURCE_DIR] [DURATION]}
source_dir=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
duration=${3:-10s}
spec="$source_dir/examples/specs/bookinfo-hybrid.yaml"
service=bookinfo
token=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

command -v wrk >/dev/null || { echo "api_status.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
work=$(mktemp -d)
server_pid=
cleanup() {
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

echo "$token admin" >"$work/tokens"
MESHORCH_LOG_LEVEL=warn "$meshorch" serve --listen 127.0.0.1:0 --token-file "$work/tokens" \
    --latency-ms 1 --threads 2 >"$work/ready" 2>"$work/log" &
server_pid=$!
for _ in $(seq 100); do
    [[ -s $work/ready ]] && break
    sleep 0.1
done
url=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$work/ready")

# Deploy the sample and wait for it to be ready.
/usr/bin/python3 - "$url" "$token" "$spec" <<'PY'
import http.client, json, sys, time, urllib.parse
url, token, spec = sys.argv[1], sys.argv[2], open(sys.argv[3], "rb").read()
u = urllib.parse.urlparse(url)
def call(method, path, body=None):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request(method, path, body=body, headers={"Authorization": "Bearer " + token,
                                                "Content-Type": "application/yaml"})
    r = c.getresponse()
    return r.status, json.loads(r.read())
status, op = call("POST", "/v1/services", spec)
assert status == 202, (status, op)
while not op["done"]:
    time.sleep(0.05)
    status, op = call("GET", "/v1/operations/" + op["id"])
assert op["state"] == "Succeeded", op
PY

# run_wrk NAME PATH [HEADER]: prints "NAME req/s p99" and leaves them in $rps and $p99.
run_wrk() {
    local name=$1 path=$2
    shift 2
    wrk -t2 -c64 -d"$duration" --latency "$@" "$url$path" >"$work/wrk-$name"
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk-$name")
    p99=$(awk '$1 == "99%" {print $2}' "$work/wrk-$name")
    local non2xx
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk-$name")
    if [[ -n $non2xx ]]; then
        echo "api_status.sh: $non2xx answers to $path were not 2xx" >&2
        cat "$work/wrk-$name" >&2
        exit 1
    fi
    printf '%-34s %12s req/s   p99 %s\n' "GET $path" "$rps" "$p99"
}

echo "wrk -t2 -c64 -d$duration against meshorch serve (simulation, 1 service deployed, $(nproc) cores)"
run_wrk status "/v1/services/$service" -H "Authorization: Bearer $token"
status_rps=$rps
run_wrk healthz /healthz
healthz_rps=$rps
awk -v a="$status_rps" -v b="$healthz_rps" \
    'BEGIN { printf "status / healthz throughput: %.2f\n", a / b }'
