// Lloyd's algorithm with scikit-learn's convergence rules: stop when labels no
// longer change (strict convergence) or when the summed squared center shift is
// <= tol; when stopped by tol or max_iter, or when the last step relocated an empty
// cluster (moving a center the labels have not seen), one more assignment makes labels
// match the returned centers.
#pragma once

#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include "quickmeans/assign.hpp"
#include "quickmeans/centers.hpp"
#include "quickmeans/common.hpp"
#include "quickmeans/inertia.hpp"
#include "quickmeans/parallel.hpp"
#include "quickmeans/relabel.hpp"

namespace quickmeans {

// Labels of all samples for fixed centers (predict); returns how many rows hold a
// NaN or inf (their labels are meaningless: the caller reports the bad input).
template <class T>
index_t assign_labels(const DenseView<T>& x, const T* centers, index_t k, label_t* labels, int n_threads) {
    NearestCenter<T> nearest(k, x.d, n_threads);
    nearest.set_centers(centers);
    const RangeSplit chunks = fixed_chunks(x.n, std::max<index_t>(nearest.block_rows(), 1024));
    parallel_for(chunks.parts, n_threads, [&](index_t p) {
        nearest.assign(x, chunks.begin(p), chunks.end(p), labels, thread_id());
    });
    return nearest.take_nonfinite();
}

// One pass: assign every sample to its nearest center and accumulate cluster sums.
// Returns how many labels changed.
// bounds_sq, unless null, receives the rows' bounds (NearestCenter::assign).
template <class T>
index_t assign_and_sum(const DenseView<T>& x, const double* sample_weight, NearestCenter<T>& nearest,
                       ClusterSums& sums, label_t* labels, int n_threads, float* bounds_sq = nullptr) {
    const RangeSplit& slots = sums.slots();
    std::vector<index_t> changed(static_cast<size_t>(slots.parts), 0);
    parallel_for(slots.parts, n_threads, [&](index_t s) {
        const int tid = thread_id();
        sums.clear_slot(s);
        const index_t step = nearest.block_rows() * 4;
        for (index_t b = slots.begin(s); b < slots.end(s); b += step) {
            const index_t e = std::min(b + step, slots.end(s));
            changed[static_cast<size_t>(s)] += nearest.assign(x, b, e, labels, tid, bounds_sq);
            sums.add_rows(s, x, sample_weight, labels, b, e);
        }
    });
    sums.reduce(n_threads);
    index_t total = 0;
    for (index_t c : changed) total += c;
    return total;
}

// The map side of one Lloyd step, for mini-batch and distributed fits: labels of
// all samples, per-cluster weighted sums (k x d, double) and weights, and the
// inertia against `centers`. The caller combines sums across batches or chunks.
template <class View, class T>
double assign_and_total(const View& x, const double* sample_weight, const T* centers, index_t k, label_t* labels,
                        double* sums_out, double* weights_out, int n_threads) {
    typename NearestFor<View>::type nearest(k, x.d, n_threads);
    nearest.set_centers(centers);
    ClusterSums sums(x.n, k, x.d);
    std::fill(labels, labels + x.n, label_t(-1));
    assign_and_sum(x, sample_weight, nearest, sums, labels, n_threads);
    std::copy(sums.sums(), sums.sums() + k * x.d, sums_out);
    std::copy(sums.weights(), sums.weights() + k, weights_out);
    return inertia(x, sample_weight, centers, labels, n_threads);
}

// Runs Lloyd from `centers` (k x d, overwritten by the result); writes labels.
// View: DenseView<T> or CsrView<T, I> (with csr_lloyd.hpp).
template <class View, class T>
FitSummary lloyd(const View& x, const double* sample_weight, T* centers, index_t k, label_t* labels,
                 int max_iter, double tol, const RunControl& control) {
    const index_t d = x.d;
    const int threads = control.n_threads;
    typename NearestFor<View>::type nearest(k, d, threads);
    ClusterSums sums(x.n, k, d);
    std::vector<T> next(static_cast<size_t>(k * d));
    std::fill(labels, labels + x.n, label_t(-1));
    // Where a row's scan is long, each assignment also keeps the rows' bounds (8 bytes a row,
    // at most 1/16 of a float row at d >= 32), so that the closing relabelling rescans only
    // the rows whose label the last step's center moves could change (relabel.hpp).
    constexpr bool kDense = std::is_same<View, DenseView<T>>::value;
    const bool keep_bounds = kDense && d >= 32 && k * d >= 2048;
    std::vector<float> bounds_sq(keep_bounds ? static_cast<size_t>(2 * x.n) : 0);
    std::vector<T> assigned(keep_bounds ? static_cast<size_t>(k * d) : 0);  // the centers they hold for

    bool strict = false, relocated = false;
    int iter = 0;
    for (; iter < max_iter; ++iter) {
        control.check_stop();
        nearest.set_centers(centers);
        index_t changed;
        if constexpr (kDense) {
            if (keep_bounds) std::copy(centers, centers + k * d, assigned.begin());
            changed = assign_and_sum(x, sample_weight, nearest, sums, labels, threads,
                                     keep_bounds ? bounds_sq.data() : nullptr);
        } else {
            changed = assign_and_sum(x, sample_weight, nearest, sums, labels, threads);
        }
        relocated = relocate_empty_clusters(x, sample_weight, centers, labels, k, sums.sums(), sums.weights(),
                                            threads);
        average_centers(sums.sums(), sums.weights(), k, d, next.data(), threads);
        const double shift = squared_center_shift(centers, next.data(), k, d);
        std::copy(next.begin(), next.end(), centers);
        if (control.on_iteration) control.on_iteration(iter, inertia(x, sample_weight, centers, labels, threads));
        if (changed == 0) {
            strict = true;
            break;
        }
        if (shift <= tol) break;
    }
    if (!strict || relocated) {
        if constexpr (kDense) {
            if (keep_bounds && max_iter > 0) relabel_with_bounds(x, assigned.data(), centers, k, bounds_sq.data(), labels, threads);
            else assign_labels(x, centers, k, labels, threads);
        } else {
            assign_labels(x, centers, k, labels, threads);
        }
    }
    return FitSummary{control.final_inertia ? inertia(x, sample_weight, centers, labels, threads)
                                            : std::numeric_limits<double>::quiet_NaN(),
                      std::min(iter + 1, max_iter)};
}

}  // namespace quickmeans
