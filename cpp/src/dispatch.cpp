// Chooses the kernel set once, from what the CPU offers, unless QUICKMEANS_SIMD
// names a level (used by tests to check that every level gives the same answer).
#include <cstdlib>
#include <cstring>

#include "quickmeans/kernels.hpp"

namespace quickmeans {

KernelSet make_kernels_generic();
#if QM_HAVE_X86_KERNELS
KernelSet make_kernels_avx2();
KernelSet make_kernels_avx512();
#endif

namespace {

bool cpu_has_avx2() {
#if QM_HAVE_X86_KERNELS && (defined(__GNUC__) || defined(__clang__))
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

bool cpu_has_avx512() {
#if QM_HAVE_X86_KERNELS && (defined(__GNUC__) || defined(__clang__))
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") && cpu_has_avx2();
#else
    return false;
#endif
}

struct Level {
    const char* name;
    bool (*supported)();
    KernelSet (*make)();
};

bool always() { return true; }

const Level kLevels[] = {
#if QM_HAVE_X86_KERNELS
    {"avx512", &cpu_has_avx512, &make_kernels_avx512},
    {"avx2", &cpu_has_avx2, &make_kernels_avx2},
#endif
    {"generic", &always, &make_kernels_generic},
};
constexpr int kLevelCount = sizeof(kLevels) / sizeof(kLevels[0]);

KernelSet initial_kernels() {
    const char* forced = std::getenv("QUICKMEANS_SIMD");
    for (const Level& level : kLevels) {
        if (forced && *forced && std::strcmp(forced, level.name) != 0) continue;
        if (level.supported()) return level.make();
    }
    return make_kernels_generic();
}

KernelSet& current() {
    static KernelSet kernels = initial_kernels();
    return kernels;
}

}  // namespace

const KernelSet& active_kernels() { return current(); }

const char* const* available_simd_levels(int* count) {
    static const char* names[kLevelCount];
    static int n = [] {
        int m = 0;
        for (const Level& level : kLevels)
            if (level.supported()) names[m++] = level.name;
        return m;
    }();
    *count = n;
    return names;
}

bool select_simd_level(const char* name) {
    for (const Level& level : kLevels) {
        if (std::strcmp(level.name, name) == 0 && level.supported()) {
            current() = level.make();
            return true;
        }
    }
    return false;
}

}  // namespace quickmeans
