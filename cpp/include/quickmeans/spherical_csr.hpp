// Spherical k-means steps on sparse rows (the sparse counterpart of spherical.hpp).
//
// No bounds are kept: a sparse row's scan of the centers is cheap. What a stateless step
// pays again at every call is kept instead: the kernel's buffers and the per-slot partial
// sums (megabytes for TF-IDF's tens of thousands of columns), set up once per fit. The
// caller validates the rows once and sets their norms (CsrView::norms2) before the first
// step; the steps are those of the sparse Lloyd (csr_lloyd.hpp), so labels and sums are
// the same as a stateless step's.
#pragma once

#include "quickmeans/centers.hpp"
#include "quickmeans/common.hpp"
#include "quickmeans/csr.hpp"
#include "quickmeans/csr_assign.hpp"
#include "quickmeans/csr_lloyd.hpp"
#include "quickmeans/spherical.hpp"

namespace quickmeans {

template <class T, class I>
class SparseSphericalSteps : public StepOutputs {
public:
    SparseSphericalSteps(const CsrView<T, I>& x, const double* sample_weight, index_t k, int n_threads)
        : StepOutputs(x.n, k, x.d), x_(x), w_(sample_weight), threads_(n_threads), nearest_(k, x.d, n_threads) {}

    // One step against `centers` (k x d, unit rows): labels, then sums and weights.
    // Returns how many labels changed (all n on the first step).
    index_t step(const T* centers) {
        nearest_.set_centers(centers);
        return assign_and_sum(x_, w_, nearest_, sums_, labels_.data(), threads_);
    }

private:
    CsrView<T, I> x_;
    const double* w_;
    int threads_;
    CsrNearestCenter<T, I> nearest_;
};

}  // namespace quickmeans
