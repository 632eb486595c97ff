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
// (__restrict: without it GCC keeps the loop scalar for fear the outputs alias the inputs.)
inline void loosen_bounds(const label_t* __restrict labels, index_t m, const double* __restrict shift,
                          const double* __restrict half_min, label_t largest, double runner_up, double top,
                          float* __restrict upper, float* __restrict lower, unsigned char* __restrict failed) {
    for (index_t r = 0; r < m; ++r) {
        const label_t a = labels[r];
        const double u = static_cast<double>(upper[r]) + shift[a];
        const double l = static_cast<double>(lower[r]) - (a == largest ? runner_up : top);
        upper[r] = stored_upper(u);
        lower[r] = stored_lower(l);
        const double h = half_min[a];
        failed[r] = !bound_excludes(u, h > l ? h : l);
    }
}

}  // namespace QM_KERNEL_NS
}  // namespace quickmeans
