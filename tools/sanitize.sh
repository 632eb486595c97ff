#!/usr/bin/env bash
# Sanitizer run: builds the extension with AddressSanitizer + UndefinedBehaviorSanitizer
# (CMake option QM_SANITIZE=ON: -fsanitize=address,undefined -fno-sanitize-recover=undefined
# -fno-omit-frame-pointer -O1 -g -D_GLIBCXX_ASSERTIONS) into its own virtual environment, then
# runs the test suite once per SIMD level (QUICKMEANS_SIMD=...) under the sanitizers.
#
#   tools/sanitize.sh                        # the whole suite, every level the CPU has
#   tools/sanitize.sh tests/test_oracle.py   # extra arguments go to pytest: a subset, -x, -k ...
#   QM_SANITIZE_SIMD=generic tools/sanitize.sh -k sparse
#
# Environment:
#   QM_SANITIZE_VENV   the venv (default /tmp/quickmeans-asan); created with python3 -m venv and
#                      the build requirements + the `test` extra if it does not exist. A copy of
#                      an existing dev venv works too (cp -a /work/venv /tmp/quickmeans-asan): pip
#                      is always run as "$venv/bin/python -m pip", never through its scripts.
#   QM_SANITIZE_BUILD  CMake build dir (default $QM_SANITIZE_VENV/build; kept, so reruns are
#                      incremental, and apart from the normal build/ of the checkout).
#   QM_SANITIZE_SIMD   levels to run, space separated (default: every level _core.simd_levels()
#                      reports, e.g. "avx512 avx2 generic"); "auto" runs without forcing one.
#   QM_SANITIZE_SKIP_BUILD=1  reuse the installed sanitized build as is.
#
#   QM_SANITIZE_TIMEOUT  seconds one level's pytest run may take (default 5400), so a hang
#                      (e.g. dask workers dying on a report) ends the run instead of blocking it.
#
# Where the reports go: ASan writes the report of every process (pytest and the interpreters
# the tests start, which tests often capture) to $QM_SANITIZE_VENV/reports/<level>/asan.<pid>
# (log_path). GCC's UBSan runtime ignores log_path, so its reports go to stderr: pytest runs
# with --capture=sys (native writes to fd 2 reach the terminal instead of a capture file that
# is lost when UBSan ends the process), its output is kept in reports/<level>/pytest.log and
# searched for "runtime error:". The script prints what it found and fails if there is any
# report, or if pytest fails.
#
# Why these options:
#  * LD_PRELOAD=libasan: python is not instrumented, so the ASan runtime must come first in the
#    process; the child interpreters inherit LD_PRELOAD and the *SAN_OPTIONS. libstdc++ is
#    preloaded too: ASan resolves its __cxa_throw interceptor when it starts, and python does
#    not link libstdc++, so the first C++ exception of a module loaded later (ours, or
#    matplotlib's ft2font on import) would stop the process with
#    "CHECK failed: ... real___cxa_throw != 0".
#  * PYTHONMALLOC=malloc: Python objects (and so the buffers pybind11/numpy hand to the engine)
#    come from ASan's malloc, with redzones and use-after-free checks, not from pymalloc arenas.
#    (NumPy still keeps a small cache of tiny array buffers, so overruns of tiny arrays can be
#    missed; arrays of more than ~1 KiB come straight from malloc.)
#  * detect_leaks=0: CPython, numpy, scipy, sklearn, pybind11 (its internals, on purpose) all
#    leave memory allocated at exit. LeakSanitizer suppressions match any frame of the
#    allocation stack, and every allocation our module makes has python frames under it, so a
#    suppression list wide enough to silence the interpreter would silence us too. The engine
#    keeps its memory in std::vector / RAII scratch, which ASan checks for overruns and
#    use-after-free; leaks are out of scope here.
#  * allocator_may_return_null=1: an impossible allocation throws std::bad_alloc (MemoryError)
#    as in a normal build instead of being an ASan report.
#  * UBSan: print_stacktrace=1:halt_on_error=1, and the build uses -fno-sanitize-recover.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="${QM_SANITIZE_VENV:-/tmp/quickmeans-asan}"
build="${QM_SANITIZE_BUILD:-$venv/build}"
py="$venv/bin/python"

libasan="$(gcc -print-file-name=libasan.so)"
libstdcxx="$(g++ -print-file-name=libstdc++.so)"
for lib in "$libasan" "$libstdcxx"; do
  if [[ "$lib" != /* || ! -e "$lib" ]]; then
    echo "sanitize.sh: gcc has no $lib (install gcc/g++ with libasan)" >&2
    exit 2
  fi
done

# --- venv and build ------------------------------------------------------------------------
if [[ ! -x "$py" ]]; then
  python3 -m venv "$venv"
  "$py" -m pip install --quiet --upgrade pip
fi
if [[ "${QM_SANITIZE_SKIP_BUILD:-0}" != 1 ]]; then
  # --no-build-isolation needs the build requirements (and cmake/ninja) in the venv itself.
  "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || "$py" -m pip install --quiet tomli
  mapfile -t build_reqs < <(cd "$repo" && "$py" -c '
try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib
with open("pyproject.toml", "rb") as f:
    print("\n".join(tomllib.load(f)["build-system"]["requires"]))')
  "$py" -m pip install --quiet "${build_reqs[@]}" "cmake>=3.18" ninja
  # The test extra comes from pyproject ("$repo[test]"); the module itself is rebuilt in
  # $build with the sanitizer option (pip reinstalls a local directory every time), and not
  # stripped (scikit-build-core strips by default), so the reports have file:line.
  "$py" -m pip install --quiet --no-build-isolation \
    -C cmake.define.QM_SANITIZE=ON -C install.strip=false -C build-dir="$build" "$repo[test]"
fi

sanitizer_env=(
  LD_PRELOAD="$libasan:$libstdcxx${LD_PRELOAD:+:$LD_PRELOAD}"
  PYTHONMALLOC=malloc
)
asan_base="detect_leaks=0:halt_on_error=1:abort_on_error=0:allocator_may_return_null=1"
asan_base+=":check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1"
ubsan_base="print_stacktrace=1:halt_on_error=1"

# pytest arguments: paths (relative to where the script was started, or to the checkout) are
# made absolute; with no path among them the whole of tests/ runs.
args=()
have_path=0
for arg in "$@"; do
  path="${arg%%::*}"
  if [[ "$arg" != -* && -e "$path" ]]; then
    arg="$(cd "$(dirname "$path")" && pwd)/$(basename "$path")${arg#"$path"}"
    have_path=1
  elif [[ "$arg" != -* && "$arg" != /* && -e "$repo/$path" ]]; then
    arg="$repo/$arg"
    have_path=1
  fi
  args+=("$arg")
done
[[ $have_path == 0 ]] && args=("$repo/tests" "${args[@]}")

# Outside the checkout, so `import quickmeans` is the installed, sanitized module.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

core="$(env "${sanitizer_env[@]}" ASAN_OPTIONS="$asan_base" "$py" -c \
  'import quickmeans._core as c; print(c.__file__)')"
if [[ "$(nm -D "$core")" != *__asan_init* ]]; then
  echo "sanitize.sh: $core is not an ASan build" >&2
  exit 2
fi
if [[ -n "${QM_SANITIZE_SIMD:-}" ]]; then
  read -r -a levels <<<"$QM_SANITIZE_SIMD"
else
  read -r -a levels < <(env "${sanitizer_env[@]}" ASAN_OPTIONS="$asan_base" "$py" -c \
    'import quickmeans._core as c; print(" ".join(c.simd_levels()))')
fi

# --- the suite, once per level -------------------------------------------------------------
# Tests that measure memory run apart, with ASan's quarantine of freed memory and its fake
# stacks (use-after-return) off: with them on, memory freed during a fit stays resident and
# RSS grows by ~76 MB (out_of_core, against 16 MB allowed) / ~140 MB (resources, against
# 4 MB), and ASan's allocator leaves glibc's mallinfo2 heap count at 0. They are still
# ASan/UBSan runs (overflows, UB); only use-after-free detection is weaker there.
rss_tests=(
  "tests/test_out_of_core.py::test_memmap_fit_allocates_labels_and_small_buffers_only"
  "tests/test_resources.py"
)

rss_deselect=()
for t in "${rss_tests[@]}"; do
  rss_deselect+=(--deselect "$t")  # a node id prefix: a whole file works too
done

status=0
summary=()
for level in "${levels[@]}"; do
  reports="$venv/reports/$level"
  rm -rf "$reports"
  mkdir -p "$reports"
  level_env=()
  [[ "$level" != auto ]] && level_env=(QUICKMEANS_SIMD="$level")
  echo "=== QUICKMEANS_SIMD=$level ==="
  start=$SECONDS
  rc=0
  timeout "${QM_SANITIZE_TIMEOUT:-5400}" env "${sanitizer_env[@]}" "${level_env[@]}" \
    ASAN_OPTIONS="$asan_base:log_path=$reports/asan" \
    UBSAN_OPTIONS="$ubsan_base:log_path=$reports/ubsan" \
    "$py" -m pytest -q -p no:cacheprovider --capture=sys "${rss_deselect[@]}" "${args[@]}" \
    2>&1 | tee "$reports/pytest.log" || rc=${PIPESTATUS[0]}
  # The memory tests alone, if the selection includes them (same options, so -k etc. apply).
  rss_run=()
  for t in "${rss_tests[@]}"; do
    for arg in "${args[@]}"; do
      if [[ "$arg" == "$repo/tests" || "$arg" == "$repo/tests/" || "$arg" == "$repo/${t%%::*}" \
            || "$arg" == "$repo/$t" ]]; then
        rss_run+=("$repo/$t")
        break
      fi
    done
  done
  if (( ${#rss_run[@]} )); then
    rss_args=()
    for arg in "${args[@]}"; do
      [[ "$arg" == "$repo"/tests* ]] || rss_args+=("$arg")
    done
    timeout "${QM_SANITIZE_TIMEOUT:-5400}" env "${sanitizer_env[@]}" "${level_env[@]}" \
      ASAN_OPTIONS="$asan_base:quarantine_size_mb=0:detect_stack_use_after_return=0:log_path=$reports/asan" \
      UBSAN_OPTIONS="$ubsan_base:log_path=$reports/ubsan" \
      "$py" -m pytest -q -p no:cacheprovider --capture=sys "${rss_args[@]}" "${rss_run[@]}" \
      2>&1 | tee -a "$reports/pytest.log" || rss_rc=${PIPESTATUS[0]}
    # 5: the extra arguments (-k, -m) deselected them all, which is fine.
    [[ ${rss_rc:-0} != 0 && ${rss_rc:-0} != 5 && $rc == 0 ]] && rc=$rss_rc
    unset rss_rc
  fi
  shopt -s nullglob
  found=("$reports"/asan.* "$reports"/ubsan.*)
  shopt -u nullglob
  for f in "${found[@]}"; do
    echo "--- sanitizer report $f"
    cat "$f"
  done
  ubsan=$(grep -c -E "runtime error:|ERROR: AddressSanitizer|Sanitizer: CHECK failed" \
          "$reports/pytest.log" || true)
  if (( ${#found[@]} || ubsan )); then
    echo "--- reports printed to stderr (reports/$level/pytest.log):"
    grep -E -A3 "runtime error:|ERROR: AddressSanitizer|Sanitizer: CHECK failed" \
      "$reports/pytest.log" || true
    [[ $rc == 0 ]] && rc=1
  fi
  summary+=("$level: pytest exit $rc, ${#found[@]} ASan report file(s), $ubsan report(s) on stderr, $((SECONDS - start)) s")
  [[ $rc != 0 ]] && status=1
done

printf '%s\n' "${summary[@]/#/sanitize.sh: }"
exit "$status"
