#!/usr/bin/env bash
# End-to-end tests of the meshorch command line tool: exit codes and output.
# usage: test_cli.sh <path of the meshorch binary> <project source dir>
set -euo pipefail

meshorch=${1:?usage: test_cli.sh MESHORCH_BINARY SOURCE_DIR}
source_dir=${2:?usage: test_cli.sh MESHORCH_BINARY SOURCE_DIR}
specs="$source_dir/tests/cli/specs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failures=0
current=""

# run ARGS...: runs meshorch, leaving $rc, $work/out and $work/err.
run() {
    rc=0
    "$meshorch" "$@" >"$work/out" 2>"$work/err" || rc=$?
}

fail() {
    echo "FAIL [$current]: $*" >&2
    echo "  stdout: $(head -c 2000 "$work/out")" >&2
    echo "  stderr: $(head -c 2000 "$work/err")" >&2
    failures=$((failures + 1))
}

check() { current=$1; }
expect_rc() { [[ $rc -eq $1 ]] || fail "exit code $rc, expected $1"; }
expect_out() { grep -qE -- "$1" "$work/out" || fail "stdout lacks /$1/"; }
expect_err() { grep -qE -- "$1" "$work/err" || fail "stderr lacks /$1/"; }
expect_no_out() { ! grep -qE -- "$1" "$work/out" || fail "stdout has /$1/"; }
expect_empty_err() { [[ ! -s $work/err ]] || fail "stderr is not empty"; }
expect_python() {  # expect_python 'CODE' — CODE reads stdout as `doc` (json) and asserts
    python3 -c "import json, sys
doc = json.load(open(sys.argv[1]))
$1" "$work/out" || fail "python check failed: $1"
}

# ---- general ------------------------------------------------------------------------------

check "version"
run version
expect_rc 0
expect_out '^meshorch [0-9]+\.[0-9]+\.[0-9]+$'

check "--version"
run --version
expect_rc 0
expect_out '^meshorch [0-9]+\.'

check "--help lists the commands"
run --help
expect_rc 0
for c in validate render plan deploy demo version; do expect_out "^  $c +[a-z]"; done

check "no arguments is a usage error"
run
expect_rc 2
expect_err '^usage: meshorch'

check "unknown command"
run frobnicate
expect_rc 2
expect_err 'unknown command "frobnicate"'

for c in validate render plan deploy demo version; do
    check "$c --help"
    run "$c" --help
    expect_rc 0
    expect_out "^usage: meshorch $c"
    check "help $c"
    run help "$c"
    expect_rc 0
    expect_out "^usage: meshorch $c"
done

# ---- validate -----------------------------------------------------------------------------

check "validate a good spec"
run validate "$specs/bookinfo.yaml"
expect_rc 0
expect_out 'bookinfo.yaml: ok \(service bookinfo: 2 microservices, 3 versions, 1 links\)'
expect_empty_err

check "validate several specs"
run validate "$specs/bookinfo.yaml" "$specs/bookinfo-v3.yaml"
expect_rc 0
[[ $(wc -l <"$work/out") -eq 2 ]] || fail "expected two lines"

check "validate from stdin"
rc=0
"$meshorch" validate - <"$specs/bookinfo.yaml" >"$work/out" 2>"$work/err" || rc=$?
expect_rc 0
expect_out '^<stdin>: ok'

check "validate a bad spec: one line per field error, with file, line, column and path"
run validate "$specs/bad.yaml"
expect_rc 1
expect_err '^meshorch: [^ ]*bad\.yaml:14:[0-9]+: spec\.microservices\[0\]\.versions\[0\]\.colour: unknown field "colour"'
expect_err '^meshorch: [^ ]*bad\.yaml:[0-9]+:[0-9]+: spec\.links\[0\]\.from: .*productpage'
[[ $(wc -l <"$work/err") -ge 2 ]] || fail "expected at least two error lines"
[[ ! -s $work/out ]] || fail "stdout is not empty"

check "validate reports a bad spec among good ones and still checks them all"
run validate "$specs/bookinfo.yaml" "$specs/bad.yaml" "$specs/bookinfo-v3.yaml"
expect_rc 1
expect_out 'bookinfo-v3.yaml: ok'

check "validate malformed YAML: the position of the syntax error"
run validate "$specs/malformed.yaml"
expect_rc 1
expect_err '^meshorch: [^ ]*malformed\.yaml:[0-9]+:[0-9]+: '

check "validate a missing file"
run validate "$work/no-such-file.yaml"
expect_rc 1
expect_err "^meshorch: $work/no-such-file.yaml: "

check "validate without a spec"
run validate
expect_rc 2
expect_err 'needs a SPEC'

check "validate with an unknown option"
run validate --frob "$specs/bookinfo.yaml"
expect_rc 2
expect_err 'unknown option --frob'

# ---- render -------------------------------------------------------------------------------

check "render yaml: a multi-document stream, WorkloadGroups but no WorkloadEntries"
run render "$specs/bookinfo.yaml"
expect_rc 0
expect_empty_err
expect_out '^---$'
expect_out '^kind: Namespace$'
expect_out '^kind: WorkloadGroup$'
expect_out '^kind: VirtualService$'
expect_no_out '^kind: WorkloadEntry$'
if python3 -c 'import yaml' 2>/dev/null; then
    python3 -c "import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]
assert len(docs) > 5, len(docs)
assert all('apiVersion' in d and 'kind' in d and 'metadata' in d for d in docs)
assert docs[0]['kind'] == 'Namespace'" "$work/out" || fail "the YAML stream does not parse"
fi

check "render yaml from stdin equals render from the file"
cp "$work/out" "$work/from-file.yaml"
rc=0
"$meshorch" render - <"$specs/bookinfo.yaml" >"$work/out" 2>"$work/err" || rc=$?
expect_rc 0
cmp -s "$work/out" "$work/from-file.yaml" || fail "stdin and file output differ"

check "render json: a v1 List"
run render -o json "$specs/bookinfo.yaml"
expect_rc 0
expect_python '
assert doc["apiVersion"] == "v1" and doc["kind"] == "List", doc.get("kind")
kinds = [i["kind"] for i in doc["items"]]
assert kinds[0] == "Namespace", kinds
for k in ["ServiceAccount", "Service", "WorkloadGroup", "DestinationRule", "VirtualService",
          "PeerAuthentication", "AuthorizationPolicy", "Sidecar"]:
    assert k in kinds, k
assert "WorkloadEntry" not in kinds
for i in doc["items"]:
    assert i["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "meshorch", i["metadata"]'

check "render json and yaml hold the same objects"
if python3 -c 'import yaml' 2>/dev/null; then
    python3 -c "import json, sys, yaml
items = json.load(open(sys.argv[1]))['items']
docs = [d for d in yaml.safe_load_all(open(sys.argv[2])) if d is not None]
assert items == docs" "$work/out" "$work/from-file.yaml" || fail "json and yaml differ"
fi

check "render with observed VM addresses: one WorkloadEntry per address"
run render --output=json --observed "$specs/observed.json" "$specs/bookinfo.yaml"
expect_rc 0
expect_python '
entries = [i for i in doc["items"] if i["kind"] == "WorkloadEntry"]
assert [e["metadata"]["name"] for e in entries] == ["reviews-v1-0", "reviews-v1-1"], entries
assert [e["spec"]["address"] for e in entries] == ["10.0.0.11", "10.0.0.12"], entries'

check "render --vm-addresses is --observed"
run render -ojson --vm-addresses "$specs/observed.json" "$specs/bookinfo.yaml"
expect_rc 0
expect_python 'assert sum(i["kind"] == "WorkloadEntry" for i in doc["items"]) == 2'

check "render with a bad observed file"
echo '{"reviews/v1": "10.0.0.1"}' >"$work/observed-bad.json"
run render --observed "$work/observed-bad.json" "$specs/bookinfo.yaml"
expect_rc 1
expect_err "^meshorch: $work/observed-bad.json(:[0-9]+:[0-9]+)?: .*reviews/v1.*: expected a list"

check "render an invalid spec"
run render "$specs/bad.yaml"
expect_rc 1
expect_err 'colour'
[[ ! -s $work/out ]] || fail "stdout is not empty"

check "render an unknown output format"
run render -o xml "$specs/bookinfo.yaml"
expect_rc 2
expect_err 'unknown output format "xml"'

check "render two specs"
run render "$specs/bookinfo.yaml" "$specs/bookinfo-v3.yaml"
expect_rc 2

check "render -o without a value"
run render "$specs/bookinfo.yaml" -o
expect_rc 2
expect_err 'needs a value'

# ---- plan ---------------------------------------------------------------------------------

check "plan: retire the VM version, make before break"
run plan --observed "$specs/observed.json" "$specs/bookinfo.yaml" "$specs/bookinfo-v3.yaml"
expect_rc 0
expect_empty_err
cat >"$work/expected" <<'EOF'
patch DestinationRule bookinfo/reviews
patch VirtualService bookinfo/reviews
patch DestinationRule bookinfo/reviews
delete WorkloadEntry bookinfo/reviews-v1-1
delete WorkloadEntry bookinfo/reviews-v1-0
delete WorkloadGroup bookinfo/reviews-v1
EOF
sed -E 's/  \(.*\)$//' "$work/out" >"$work/actions"
diff -u "$work/expected" "$work/actions" >&2 || fail "unexpected plan"
expect_out '^patch DestinationRule bookinfo/reviews  \(.*keeps subset v1 until routes move\)$'
expect_out '^patch VirtualService bookinfo/reviews  \(.+\)$'
expect_out '^delete WorkloadGroup bookinfo/reviews-v1  \(no longer desired\)$'

check "plan back: creates and the widened rule before the route"
run plan "$specs/bookinfo-v3.yaml" "$specs/bookinfo.yaml"
expect_rc 0
head -1 "$work/out" | grep -q '^create WorkloadGroup bookinfo/reviews-v1  (new)$' ||
    fail "the WorkloadGroup is not created first"

check "plan of a spec against itself"
run plan "$specs/bookinfo.yaml" "$specs/bookinfo.yaml"
expect_rc 0
expect_out '^no changes$'

check "plan -o json"
run plan -o json "$specs/bookinfo.yaml" "$specs/bookinfo-v3.yaml"
expect_rc 0
expect_python '
actions = doc["actions"]
assert [a["action"] for a in actions][:3] == ["patch", "patch", "patch"], actions
assert actions[0]["kind"] == "DestinationRule" and actions[0]["namespace"] == "bookinfo"
assert [s["name"] for s in actions[0]["object"]["spec"]["subsets"]] == ["v1", "v2", "v3"]
assert [s["name"] for s in actions[2]["object"]["spec"]["subsets"]] == ["v2", "v3"]
assert all(a["reason"] for a in actions)'

check "plan -o yaml"
run plan -o yaml "$specs/bookinfo.yaml" "$specs/bookinfo-v3.yaml"
expect_rc 0
expect_out '^actions:'
expect_out 'action: delete'

check "plan with the new spec from stdin"
rc=0
"$meshorch" plan "$specs/bookinfo.yaml" - <"$specs/bookinfo-v3.yaml" >"$work/out" 2>"$work/err" || rc=$?
expect_rc 0
expect_out '^patch VirtualService bookinfo/reviews'

check "plan with one spec"
run plan "$specs/bookinfo.yaml"
expect_rc 2
expect_err 'needs OLD and NEW'

check "plan with stdin twice"
run plan - -
expect_rc 2

check "plan with an invalid spec"
run plan "$specs/bookinfo.yaml" "$specs/bad.yaml"
expect_rc 1
expect_err 'bad\.yaml:[0-9]+:[0-9]+: '

# ---- the sample specs ---------------------------------------------------------------------

shopt -s nullglob
for spec in "$source_dir"/examples/specs/*.yaml "$source_dir"/examples/specs/*.json; do
    run validate "$spec"
    [[ $rc -eq 0 ]] || continue  # samples of mistakes exist on purpose
    check "render $(basename "$spec")"
    run render -o json "$spec"
    expect_rc 0
    expect_python 'assert doc["kind"] == "List" and doc["items"]'
done

# ---- deploy and demo on the simulated infrastructure ---------------------------------------

check "deploy --terminate leaves the simulated world empty"
run deploy "$source_dir/examples/specs/bookinfo-hybrid.yaml" --terminate --latency-ms 2 --plain
expect_rc 0
expect_out '^-> deploy bookinfo: Succeeded'
expect_out 'reviews/v1#1 +vm +Ready +10\.'
expect_out 'VirtualService +bookinfo/reviews'
expect_out '^-> terminate bookinfo: Succeeded'
expect_out 'simulated world after terminate: empty'

check "deploy with transient faults still converges"
run deploy "$source_dir/examples/specs/all-vms.yaml" --terminate --latency-ms 2 \
    --fault-rate 0.2 --seed 7 --plain
expect_rc 0
expect_out 'simulated world after terminate: empty'

check "demo migrates reviews from the VM version to a container version"
run demo "$source_dir/examples/specs/bookinfo-hybrid.yaml" --migrate reviews --from v1 --to v3 \
    --latency-ms 2 --plain
expect_rc 0
expect_out '^-> reconfigure bookinfo: Succeeded'
expect_out 'reconfigure: remove reviews v1'
expect_out 'reviews/v1#0 +vm +Ready'   # after the deploy ...
sed -n '/reconfigure: remove reviews v1/,$p' "$work/out" | grep -q '^  reviews/v1#' &&
    fail "reviews v1 is still listed after its removal"   # ... and gone after the removal
expect_out 'simulated world after terminate: empty'

check "demo with an unknown version is an error"
run demo "$source_dir/examples/specs/bookinfo-hybrid.yaml" --migrate reviews --from v1 --to v9 \
    --latency-ms 2 --plain
expect_rc 1
expect_err 'needs versions "v1" and "v9"'

check "deploy with a bad fault rate is a usage error"
run deploy "$source_dir/examples/specs/bookinfo-hybrid.yaml" --fault-rate 3
expect_rc 2
expect_err 'fault-rate'

if [[ $failures -ne 0 ]]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "all CLI checks passed"
