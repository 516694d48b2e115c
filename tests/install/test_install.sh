#!/usr/bin/env bash
# Installs a built tree into a temporary prefix and uses it from outside, the ways a user would:
# find_package(meshorch CONFIG) (consumer_cpp/), pkg-config meshorch-c (consumer_c/), pkg-config
# meshorch, the Python package and the meshorch command.
# usage: test_install.sh BUILD_DIR SOURCE_DIR   (BUILD_DIR fully built)
set -euo pipefail

build_dir=$(cd "${1:?usage: test_install.sh BUILD_DIR SOURCE_DIR}" && pwd)
source_dir=$(cd "${2:?usage: test_install.sh BUILD_DIR SOURCE_DIR}" && pwd)
here="$source_dir/tests/install"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

failures=0
current=""
check() { current=$1; echo "-- $current"; }
fail() {
    echo "FAIL [$current]: $*" >&2
    failures=$((failures + 1))
}
# run NAME CMD...: runs CMD with its output in $work/NAME.log; on failure shows the log.
run() {
    local name=$1
    shift
    if ! "$@" >"$work/$name.log" 2>&1; then
        fail "$name: '$*' failed"
        sed 's/^/  | /' "$work/$name.log" | tail -n 60 >&2
        return 1
    fi
}
expect_file() { [[ -e $prefix/$1 ]] || fail "missing $1"; }
expect_symlink() {  # expect_symlink LINK TARGET
    [[ -L $prefix/$1 && $(readlink "$prefix/$1") == "$2" ]] ||
        fail "$1 is not a symlink to $2"
}
# expect_loaded_from_prefix BINARY LIBRARY: BINARY resolves LIBRARY to the installed copy.
expect_loaded_from_prefix() {
    local found
    found=$(LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}" ldd "$1" | awk -v l="$2" '$1 ~ "^"l {print $3}')
    [[ $found == "$prefix/"* ]] || fail "$(basename "$1") loads $2 from '${found:-nowhere}'"
}

# What the build has, from its cache.
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build_dir/CMakeCache.txt" | head -n 1; }
is_on() { [[ ${1^^} =~ ^(ON|TRUE|YES|Y|1)$ ]]; }
libdir=$(cache CMAKE_INSTALL_LIBDIR)
libdir=${libdir:-lib}
python_dir=$(cache MESHORCH_PYTHON_INSTALL_DIR)
python=$(cache Python3_EXECUTABLE)
python=${python:-/usr/bin/python3}
cxx=$(cache CMAKE_CXX_COMPILER)
cc=$(cache CMAKE_C_COMPILER)
generator=$(cache CMAKE_GENERATOR)
make_program=$(cache CMAKE_MAKE_PROGRAM)
with_capi=0
with_python=0
with_cli=0
is_on "$(cache MESHORCH_BUILD_CAPI)" && with_capi=1
is_on "$(cache MESHORCH_BUILD_PYTHON)" && with_python=1
is_on "$(cache MESHORCH_BUILD_EXAMPLES)" && [[ -d $source_dir/examples/cli ]] && with_cli=1
version=$(sed -n 's/^set(PACKAGE_VERSION "\(.*\)")$/\1/p' "$build_dir/meshorchConfigVersion.cmake")
major=${version%%.*}

# ---- the install tree ------------------------------------------------------------------------

check "cmake --install"
if ! run install cmake --install "$build_dir" --prefix "$prefix"; then
    echo "install failed: nothing to test" >&2
    exit 1
fi

check "headers"
for header in "$source_dir"/include/meshorch/*.hpp; do
    expect_file "include/meshorch/$(basename "$header")"
done

check "libmeshorch"
if [[ -e $prefix/$libdir/libmeshorch.a ]]; then
    meshorch_kind=static
elif [[ -e $prefix/$libdir/libmeshorch.so ]]; then
    meshorch_kind=shared
else
    meshorch_kind=none
    fail "neither $libdir/libmeshorch.a nor $libdir/libmeshorch.so"
fi
echo "   $meshorch_kind"
if [[ $meshorch_kind == shared ]]; then
    expect_symlink "$libdir/libmeshorch.so.$major" "libmeshorch.so.$version"
    expect_symlink "$libdir/libmeshorch.so" "libmeshorch.so.$major"
fi

if ((with_capi)); then
    check "libmeshorch_c"
    expect_file "include/meshorch/meshorch.h"
    expect_file "$libdir/libmeshorch_c.so.$version"
    expect_symlink "$libdir/libmeshorch_c.so.$major" "libmeshorch_c.so.$version"
    expect_symlink "$libdir/libmeshorch_c.so" "libmeshorch_c.so.$major"
    soname=$(readelf -d "$prefix/$libdir/libmeshorch_c.so.$version" |
             sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [[ $soname == "libmeshorch_c.so.$major" ]] || fail "SONAME is '$soname'"
    # Only the C functions leave the library.
    leaked=$(nm -D --defined-only "$prefix/$libdir/libmeshorch_c.so.$version" |
             awk '$2 ~ /^[TDBRVWiu]$/ && $3 !~ /^(meshorch_|_init$|_fini$)/ {print $3}' |
             head -n 5)
    [[ -z $leaked ]] || fail "libmeshorch_c exports non-API symbols: $leaked"
fi

check "CMake package"
cmakedir="$libdir/cmake/meshorch"
for file in meshorchConfig.cmake meshorchConfigVersion.cmake meshorchTargets.cmake; do
    expect_file "$cmakedir/$file"
done
grep -q 'SameMajorVersion\|PACKAGE_VERSION_MAJOR\|CVF_VERSION_MAJOR' \
    "$prefix/$cmakedir/meshorchConfigVersion.cmake" || fail "version file is not SameMajorVersion"
exported=$(sed -n 's/^add_library(\([^ ]*\) .*IMPORTED)$/\1/p' "$prefix/$cmakedir/meshorchTargets.cmake" |
           sort | tr '\n' ' ')
expected="meshorch::meshorch "
((with_capi)) && expected="meshorch::capi meshorch::meshorch "
[[ $exported == "$expected" ]] || fail "exported targets are '$exported', expected '$expected'"
# Nothing internal and no path of the build machine in the package.
if grep -rnE 'meshorch_(warnings|model|spec|render|plan|engine|sim)\b' "$prefix/$cmakedir"; then
    fail "the package names internal targets"
fi
if grep -rnF -e "$build_dir" -e "$source_dir" "$prefix/$cmakedir" "$prefix/$libdir/pkgconfig"; then
    fail "the package names the build or source tree"
fi

check "pkg-config files"
expect_file "$libdir/pkgconfig/meshorch.pc"
((with_capi)) && expect_file "$libdir/pkgconfig/meshorch-c.pc"
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
[[ $(pkg-config --modversion meshorch) == "$version" ]] || fail "meshorch.pc: wrong version"
[[ $(pkg-config --variable=prefix meshorch) == "$prefix" ]] || fail "meshorch.pc: wrong prefix"
pkg-config --exists --print-errors meshorch || fail "meshorch.pc: unresolved dependencies"

if ((with_python)); then
    check "Python package"
    expect_file "$python_dir/meshorch/__init__.py"
    compgen -G "$prefix/$python_dir/meshorch/_meshorch*.so" >/dev/null ||
        fail "missing $python_dir/meshorch/_meshorch*.so"
fi
if ((with_cli)); then
    check "meshorch command"
    expect_file "bin/meshorch"
fi

# ---- every installed header together, with nothing but the install tree ------------------------

check "public headers compile on their own"
{
    for header in "$prefix"/include/meshorch/*.hpp; do
        echo "#include <meshorch/$(basename "$header")>"
    done
    echo "int main() { return 0; }"
} >"$work/all_headers.cpp"
run all_headers "${cxx:-c++}" -std=c++20 -fsyntax-only -I"$prefix/include" "$work/all_headers.cpp" ||
    true

# ---- (a) find_package(meshorch CONFIG) ---------------------------------------------------------

check "find_package(meshorch CONFIG): C++ consumer"
cmake_args=(-S "$here/consumer_cpp" -B "$work/consumer-cmake" -DCMAKE_BUILD_TYPE=Release
            -DCMAKE_PREFIX_PATH="$prefix"
            -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON)
[[ -n $generator ]] && cmake_args+=(-G "$generator")
[[ -n $make_program ]] && cmake_args+=(-DCMAKE_MAKE_PROGRAM="$make_program")
[[ -n $cxx ]] && cmake_args+=(-DCMAKE_CXX_COMPILER="$cxx")
[[ -n $cc ]] && cmake_args+=(-DCMAKE_C_COMPILER="$cc")
if run consumer-configure cmake "${cmake_args[@]}" &&
   run consumer-build cmake --build "$work/consumer-cmake"; then
    found_dir=$(sed -n 's/^meshorch_DIR:[A-Z]*=//p' "$work/consumer-cmake/CMakeCache.txt")
    [[ $found_dir == "$prefix/"* ]] || fail "found meshorch in '$found_dir', not in the prefix"
    if run consumer-cpp "$work/consumer-cmake/consumer_cpp"; then
        grep -qE '^objects: [1-9][0-9]*$' "$work/consumer-cpp.log" ||
            fail "consumer_cpp printed: $(cat "$work/consumer-cpp.log")"
        cat "$work/consumer-cpp.log"
    fi
    if ((with_capi)); then
        check "find_package(meshorch CONFIG): C consumer of meshorch::capi"
        if run consumer-c-cmake "$work/consumer-cmake/consumer_c"; then
            expect_loaded_from_prefix "$work/consumer-cmake/consumer_c" libmeshorch_c.so
        fi
    fi
fi

# ---- (b) pkg-config meshorch-c -----------------------------------------------------------------

if ((with_capi)); then
    check "pkg-config meshorch-c: C consumer"
    # shellcheck disable=SC2046  # pkg-config output is a list of words
    if run c-build "${cc:-cc}" -std=c99 -Wall -Wextra -Werror -pedantic \
           "$here/consumer_c/main.c" -o "$work/consumer_c" $(pkg-config --cflags --libs meshorch-c); then
        LD_LIBRARY_PATH="$prefix/$libdir" expect_loaded_from_prefix "$work/consumer_c" libmeshorch_c.so
        if LD_LIBRARY_PATH="$prefix/$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
           run c-run "$work/consumer_c"; then
            cat "$work/c-run.log"
        fi
    fi
fi

# ---- (c) pkg-config meshorch -------------------------------------------------------------------

check "pkg-config meshorch: C++ consumer"
# shellcheck disable=SC2046
if run cpp-build "${cxx:-c++}" -std=c++20 "$here/consumer_cpp/main.cpp" -o "$work/consumer_cpp" \
       $(pkg-config --cflags --libs meshorch); then
    if LD_LIBRARY_PATH="$prefix/$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
       run cpp-run "$work/consumer_cpp"; then
        grep -qE '^objects: [1-9][0-9]*$' "$work/cpp-run.log" ||
            fail "consumer_cpp printed: $(cat "$work/cpp-run.log")"
        cat "$work/cpp-run.log"
    fi
fi

# ---- (d) the Python package --------------------------------------------------------------------

if ((with_python)); then
    check "Python: import meshorch from the prefix"
    # From an empty directory, so that nothing of the source or build tree can be imported.
    mkdir "$work/py"
    if run python env -C "$work/py" -u PYTHONHOME PYTHONPATH="$prefix/$python_dir" \
           PYTHONNOUSERSITE=1 "$python" -c '
import sys
import meshorch
prefix, version = sys.argv[1], sys.argv[2]
assert meshorch.__file__.startswith(prefix), meshorch.__file__
assert meshorch._meshorch.__file__.startswith(prefix), meshorch._meshorch.__file__
assert meshorch.__version__ == version, meshorch.__version__
spec = meshorch.load_spec(sys.stdin.read())
manifests = meshorch.render(spec)
assert len(manifests) > 0
print("python: meshorch", meshorch.__version__, "rendered", len(manifests), "objects")
' "$prefix" "$version" <"$here/spec.yaml"; then
        cat "$work/python.log"
    fi
fi

# ---- the command -------------------------------------------------------------------------------

if ((with_cli)); then
    check "meshorch command"
    if run cli-version "$prefix/bin/meshorch" --version; then
        grep -qF "$version" "$work/cli-version.log" || fail "meshorch --version: $(cat "$work/cli-version.log")"
    fi
    run cli-validate "$prefix/bin/meshorch" validate "$here/spec.yaml" || true
fi

if ((failures)); then
    echo "$failures install check(s) failed" >&2
    exit 1
fi
echo "install: all checks passed ($prefix was removed)"
