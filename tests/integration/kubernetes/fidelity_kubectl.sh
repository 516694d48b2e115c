#!/bin/bash
# The real kubectl against the Kubernetes API emulator: namespace, server-side apply of an Istio
# VirtualService and a Deployment, reads, label selection, field-manager conflicts and
# --force-conflicts, delete and NotFound; once with a bearer token, once with a client
# certificate.   usage: fidelity_kubectl.sh [SOURCE_DIR]
set -euo pipefail

SOURCE_DIR=${1:-$(cd "$(dirname "$0")/../../.." && pwd)}
PYTHON=/usr/bin/python3
KUBECTL=${KUBECTL:-/usr/bin/kubectl}
CRDS=${MESHORCH_CRDS:-$SOURCE_DIR/../shared/data/istio/crd-all.gen.yaml}
WORK=$(mktemp -d)
EMULATOR_PID=
cleanup() {
    if [ -n "$EMULATOR_PID" ]; then kill "$EMULATOR_PID" 2>/dev/null || true; fi
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP PIPE

fail() {
    echo "FAIL: $*" >&2
    if [ -s "$WORK/emulator.err" ]; then echo "--- emulator stderr:" >&2; cat "$WORK/emulator.err" >&2; fi
    exit 1
}
checks=0
pass() { checks=$((checks + 1)); echo "ok - $*"; }

# json FILE EXPR: evaluates a Python expression over the parsed JSON document `d`.
json() { "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

"$PYTHON" "$SOURCE_DIR/tests/emulators/pki.py" "$WORK/pki"
"$PYTHON" "$SOURCE_DIR/tests/emulators/kube_apiserver/main.py" --pki "$WORK/pki" --token t0ken \
    --crds "$CRDS" >"$WORK/emulator.out" 2>"$WORK/emulator.err" &
EMULATOR_PID=$!
for _ in $(seq 100); do [ -s "$WORK/emulator.out" ] && break; sleep 0.1; done
[ -s "$WORK/emulator.out" ] || fail "the emulator printed no ready line"
URL=$(json "$WORK/emulator.out" 'd["url"]')
CA=$(json "$WORK/emulator.out" 'd["ca"]')

write_kubeconfig() {  # write_kubeconfig FILE token|cert
    local user
    if [ "$2" = token ]; then
        user="token: t0ken"
    else
        user="client-certificate: $WORK/pki/client.pem
    client-key: $WORK/pki/client-key.pem"
    fi
    cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: emulator
  cluster:
    server: $URL
    certificate-authority: $CA
users:
- name: tester
  user:
    $user
contexts:
- name: emulator
  context: {cluster: emulator, user: tester}
current-context: emulator
EOF
}

run_flow() {  # run_flow token|cert NAMESPACE
    local mode=$1 ns=$2
    export KUBECONFIG=$WORK/kubeconfig-$mode
    write_kubeconfig "$KUBECONFIG" "$mode"
    local k="$KUBECTL --request-timeout=10s --cache-dir=$WORK/kube-cache"

    cat >"$WORK/ns.yaml" <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: $ns, labels: {istio-injection: enabled}}
EOF
    $k create -f "$WORK/ns.yaml" >/dev/null || fail "[$mode] kubectl create namespace"
    $k get namespace "$ns" -o json >"$WORK/ns.json"
    [ "$(json "$WORK/ns.json" 'd["status"]["phase"]')" = Active ] || fail "[$mode] namespace not Active"
    pass "[$mode] namespace created and Active"

    cat >"$WORK/vs.yaml" <<EOF
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: $ns, labels: {app: x}}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 100
EOF
    cat >"$WORK/deploy.yaml" <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: $ns, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, version: v1}}
    spec:
      containers:
      - {name: web, image: "nginx:1.25", ports: [{containerPort: 80}]}
EOF
    $k apply --server-side -f "$WORK/vs.yaml" -f "$WORK/deploy.yaml" >"$WORK/apply.out" \
        || fail "[$mode] server-side apply: $(cat "$WORK/apply.out")"
    grep -q "virtualservice.networking.istio.io/reviews serverside-applied" "$WORK/apply.out" \
        || fail "[$mode] apply output: $(cat "$WORK/apply.out")"
    pass "[$mode] server-side apply of a VirtualService and a Deployment"

    $k get virtualservice reviews -n "$ns" -o json --show-managed-fields >"$WORK/vs.json"
    [ "$(json "$WORK/vs.json" 'd["spec"]["http"][0]["route"][0]["destination"]["subset"]')" = v1 ] \
        || fail "[$mode] VirtualService spec read back"
    [ "$(json "$WORK/vs.json" '[m["manager"] for m in d["metadata"]["managedFields"] if m["operation"]=="Apply"]')" = "['kubectl']" ] \
        || fail "[$mode] VirtualService managedFields: $(json "$WORK/vs.json" 'd["metadata"].get("managedFields")')"
    $k get deployment web -n "$ns" -o json >"$WORK/deploy.json"
    [ "$(json "$WORK/deploy.json" 'd["spec"]["replicas"], d["spec"]["template"]["spec"]["containers"][0]["image"], d["metadata"]["generation"]')" = "(2, 'nginx:1.25', 1)" ] \
        || fail "[$mode] Deployment read back"
    pass "[$mode] kubectl get -o json reads both back with their fields"

    $k get virtualservices -n "$ns" -l app=x -o json >"$WORK/sel.json"
    [ "$(json "$WORK/sel.json" '[i["metadata"]["name"] for i in d["items"]]')" = "['reviews']" ] \
        || fail "[$mode] label selector app=x"
    $k get virtualservices -n "$ns" -l 'app in (y,z)' -o json >"$WORK/sel.json"
    [ "$(json "$WORK/sel.json" 'len(d["items"])')" = 0 ] || fail "[$mode] label selector app in (y,z)"
    $k get vs -n "$ns" -l app=x >"$WORK/table.out"
    grep -q '^reviews ' "$WORK/table.out" || fail "[$mode] table output: $(cat "$WORK/table.out")"
    pass "[$mode] kubectl get -l selects by label (json and table output)"

    sed 's/subset: v1/subset: v2/' "$WORK/vs.yaml" >"$WORK/vs2.yaml"
    if $k apply --server-side --field-manager=other-manager -f "$WORK/vs2.yaml" \
        >"$WORK/conflict.out" 2>&1; then
        fail "[$mode] a conflicting apply by another manager succeeded"
    fi
    grep -q 'Apply failed with 1 conflict: conflict with "kubectl"' "$WORK/conflict.out" \
        || fail "[$mode] conflict message: $(cat "$WORK/conflict.out")"
    grep -q '\.spec\.http' "$WORK/conflict.out" || fail "[$mode] conflict names .spec.http"
    pass "[$mode] a conflicting apply by another field manager fails with the conflict"

    $k apply --server-side --field-manager=other-manager --force-conflicts -f "$WORK/vs2.yaml" \
        >/dev/null || fail "[$mode] --force-conflicts"
    $k get virtualservice reviews -n "$ns" -o json >"$WORK/vs.json"
    [ "$(json "$WORK/vs.json" 'd["spec"]["http"][0]["route"][0]["destination"]["subset"], d["metadata"]["generation"]')" = "('v2', 2)" ] \
        || fail "[$mode] forced apply result"
    pass "[$mode] --force-conflicts takes the field over"

    $k delete -f "$WORK/vs.yaml" -f "$WORK/deploy.yaml" >"$WORK/delete.out" \
        || fail "[$mode] kubectl delete"
    for what in "virtualservice reviews" "deployment web"; do
        if $k get $what -n "$ns" >"$WORK/get.out" 2>&1; then
            fail "[$mode] $what still there after delete"
        fi
        grep -q "(NotFound)" "$WORK/get.out" || fail "[$mode] get after delete: $(cat "$WORK/get.out")"
    done
    pass "[$mode] kubectl delete, then get answers NotFound"

    $k delete namespace "$ns" >/dev/null || fail "[$mode] delete namespace"
}

run_flow token fidelity-token
run_flow cert fidelity-cert

# A wrong token: 401 and kubectl says so.
cat >"$WORK/kubeconfig-anon" <<EOF
apiVersion: v1
kind: Config
clusters:
- {name: emulator, cluster: {server: "$URL", certificate-authority: "$CA"}}
users:
- {name: nobody, user: {token: wrong-token}}
contexts:
- {name: emulator, context: {cluster: emulator, user: nobody}}
current-context: emulator
EOF
if KUBECONFIG=$WORK/kubeconfig-anon $KUBECTL get namespaces </dev/null >"$WORK/anon.out" 2>&1; then
    fail "kubectl with a wrong token was let in"
fi
grep -q "You must be logged in to the server" "$WORK/anon.out" || fail "wrong token: $(cat "$WORK/anon.out")"
pass "a wrong token: kubectl is refused as Unauthorized"

echo "$checks passed, 0 failed"
