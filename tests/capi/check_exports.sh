#!/bin/sh
# libmeshorch_c.so exports exactly the functions meshorch.h declares (all named meshorch_*),
# nothing of the C++ library, Boost or the C++ runtime it embeds, and carries a SONAME.
#   check_exports.sh <path/to/libmeshorch_c.so> <path/to/meshorch.h> <expected SONAME>
set -eu
lib=$1
header=$2
soname=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Defined dynamic symbols, without symbol versions (nm prints name@@VERSION), minus the ABS
# symbol naming the version node itself.
nm -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u \
    > "$tmp/exported"
if grep -v '^meshorch_' "$tmp/exported" > "$tmp/foreign"; then
    echo "FAIL: $lib exports symbols outside meshorch_*:" >&2
    head -n 50 "$tmp/foreign" >&2
    exit 1
fi

# Every function the header declares is exported, and nothing else.
tr '\n' ' ' < "$header" | grep -o 'MESHORCH_API [^;(#]*[ *]meshorch_[a-z0-9_]*(' \
    | sed -E 's/.*[ *](meshorch_[a-z0-9_]+)\($/\1/' | sort -u > "$tmp/declared"
if ! diff -u "$tmp/declared" "$tmp/exported"; then
    echo "FAIL: the exported symbols (+) differ from the header's functions (-)" >&2
    exit 1
fi

actual=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$actual" != "$soname" ]; then
    echo "FAIL: SONAME is '$actual', expected '$soname'" >&2
    exit 1
fi
# Symbol versioning: the exported functions belong to the version node.
if ! readelf --dyn-syms -W "$lib" | grep -q 'meshorch_version@@MESHORCH_C_'; then
    echo "FAIL: meshorch_version carries no MESHORCH_C_* symbol version" >&2
    exit 1
fi
echo "OK: $(wc -l < "$tmp/exported") meshorch_* symbols, SONAME $actual"
