// The bound-based algorithms' per-sample passes, compiled per instruction set like the
// nearest-center kernel (see nearest_impl.hpp for the namespace rules): written as plain
// loops over samples, which each ISA's compiler vectorizes (gathers of the per-center
// shifts on AVX-512/AVX2). Outside the kernels these loops compile for the baseline ISA
// only, where the double/float conversions and gathers were a third of Hamerly's time.
#ifndef QM_KERNEL_NS
#error "define QM_KERNEL_NS before including this file"
#endif

#include "quickmeans/bound_rounding.hpp"
#include "quickmeans/common.hpp"

namespace quickmeans {
namespace QM_KERNEL_NS {

// Hamerly's test for m samples: each sample's upper bound grows by its center's shift,
// its lower bound shrinks by the largest shift among the other centers (runner_up for
// the samples of center `largest`, top for the rest); failed[r] = 1 where the bounds
// no longer prove the label (upper not clearly below max(lower, half_min[label])).
// kTwo: two centers, whose shifts and half distances are selected, not gathered.
// (__restrict: without it GCC keeps the loop scalar for fear the outputs alias the inputs.)
template <bool kTwo>
inline void loosen_bounds_pass(const label_t* __restrict labels, index_t m, const double* __restrict shift,
                               const double* __restrict half_min, label_t largest, double runner_up, double top,
                               float* __restrict upper, float* __restrict lower, unsigned char* __restrict failed) {
    const double shift0 = shift[0], shift1 = kTwo ? shift[1] : 0.0;
    const double half0 = half_min[0], half1 = kTwo ? half_min[1] : 0.0;
    for (index_t r = 0; r < m; ++r) {
        const label_t a = labels[r];
        const double u = static_cast<double>(upper[r]) + (kTwo ? (a ? shift1 : shift0) : shift[a]);
        const double l = static_cast<double>(lower[r]) - (a == largest ? runner_up : top);
        upper[r] = stored_upper(u);
        lower[r] = stored_lower(l);
        const double h = kTwo ? (a ? half1 : half0) : half_min[a];
        failed[r] = !bound_excludes(u, h > l ? h : l);
    }
}

// The pass above for the k centers' samples, then the failed ones listed: their indices
// (first + r) in failed_rows, in order; returns how many. failed holds m bytes of scratch.
inline index_t loosen_bounds(const label_t* labels, index_t m, index_t k, const double* shift,
                             const double* half_min, label_t largest, double runner_up, double top, float* upper,
                             float* lower, unsigned char* __restrict failed, index_t first,
                             index_t* __restrict failed_rows) {
    if (k == 2) loosen_bounds_pass<true>(labels, m, shift, half_min, largest, runner_up, top, upper, lower, failed);
    else loosen_bounds_pass<false>(labels, m, shift, half_min, largest, runner_up, top, upper, lower, failed);
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
