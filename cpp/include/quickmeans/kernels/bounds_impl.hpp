// The bound-based algorithms' per-sample passes, compiled per instruction set like the
// nearest-center kernel (see nearest_impl.hpp for the namespace rules): written as plain
// loops over samples, which each ISA's compiler vectorizes (gathers of the per-center
// totals on AVX-512/AVX2). Outside the kernels these loops compile for the baseline ISA
// only, where the double/float conversions and gathers were a third of Hamerly's time.
#ifndef QM_KERNEL_NS
#error "define QM_KERNEL_NS before including this file"
#endif

#include "quickmeans/bound_rounding.hpp"
#include "quickmeans/common.hpp"

namespace quickmeans {
namespace QM_KERNEL_NS {

// Hamerly's test for m samples, reading the bounds without writing them: a sample of
// center a keeps its bounds as offsets from a's running totals (hamerly.hpp), its upper
// bound upper[r] + upper_total[a] and its lower bound lower[r] - lower_total[a].
// failed[r] = 1 where they no longer prove the label (upper not clearly below
// max(lower, half_min[a])). kTwo: two centers, whose totals are selected, not gathered.
// (__restrict: without it GCC keeps the loop scalar for fear the outputs alias the inputs.)
template <bool kTwo>
inline void test_bounds_pass(const label_t* __restrict labels, index_t m, const double* __restrict upper_total,
                             const double* __restrict lower_total, const double* __restrict half_min,
                             const float* __restrict upper, const float* __restrict lower,
                             unsigned char* __restrict failed) {
    // Two centers: the totals in registers (loads under a select keep GCC from vectorizing).
    const double up0 = upper_total[0], up1 = kTwo ? upper_total[1] : 0.0;
    const double lo0 = lower_total[0], lo1 = kTwo ? lower_total[1] : 0.0;
    const double half0 = half_min[0], half1 = kTwo ? half_min[1] : 0.0;
    for (index_t r = 0; r < m; ++r) {
        const label_t a = labels[r];
        const double u = static_cast<double>(upper[r]) + (kTwo ? (a ? up1 : up0) : upper_total[a]);
        const double l = static_cast<double>(lower[r]) - (kTwo ? (a ? lo1 : lo0) : lower_total[a]);
        const double h = kTwo ? (a ? half1 : half0) : half_min[a];
        failed[r] = !bound_excludes(u, h > l ? h : l);
    }
}

// The pass above for the k centers' samples, then the failed ones listed: their indices
// (first + r, in order) in failed_rows; returns how many. failed holds m bytes of scratch.
inline index_t test_bounds(const label_t* labels, index_t m, index_t k, const double* upper_total,
                           const double* lower_total, const double* half_min, const float* upper, const float* lower,
                           unsigned char* __restrict failed, index_t first, index_t* __restrict failed_rows) {
    if (k == 2) test_bounds_pass<true>(labels, m, upper_total, lower_total, half_min, upper, lower, failed);
    else test_bounds_pass<false>(labels, m, upper_total, lower_total, half_min, upper, lower, failed);
    // Branch-free: which samples fail is close to random, a branch would mispredict.
    index_t count = 0;
    for (index_t r = 0; r < m; ++r) {
        failed_rows[count] = first + r;
        count += failed[r] != 0;
    }
    return count;
}

}  // namespace QM_KERNEL_NS
}  // namespace quickmeans
