// The iteration shared by the bound-based algorithms (Elkan, Hamerly): the same
// steps and stopping rules as Lloyd, with the assignment delegated to a Bounds
// object that skips what the triangle inequality rules out.
//
// Bounds provides: set_centers(centers, threads); init_rows(begin, end, labels)
// (first, exact assignment); assign_rows(begin, end, labels) -> label changes;
// move_centers(old, new, labels, threads) (loosen bounds by the centers' shifts).
#pragma once

#include <vector>

#include "quickmeans/centers.hpp"
#include "quickmeans/common.hpp"
#include "quickmeans/inertia.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

template <class Bounds, class T>
FitSummary iterate_with_bounds(Bounds& bounds, const DenseView<T>& x, const double* sample_weight, T* centers,
                               index_t k, label_t* labels, int max_iter, double tol, const RunControl& control) {
    const index_t d = x.d;
    const int threads = control.n_threads;
    ClusterSums sums(x.n, k, d);
    const RangeSplit& slots = sums.slots();
    std::vector<T> next(static_cast<size_t>(k * d));
    std::vector<index_t> changed(static_cast<size_t>(slots.parts));

    bool strict = false, relocated = false;
    int iter = 0;
    bounds.set_centers(centers, threads);
    for (; iter < max_iter; ++iter) {
        control.check_stop();
        parallel_for(slots.parts, threads, [&](index_t s) {
            sums.clear_slot(s);
            if (iter == 0) {
                bounds.init_rows(slots.begin(s), slots.end(s), labels);
                changed[static_cast<size_t>(s)] = slots.end(s) - slots.begin(s);
            } else {
                changed[static_cast<size_t>(s)] = bounds.assign_rows(slots.begin(s), slots.end(s), labels);
            }
            sums.add_rows(s, x, sample_weight, labels, slots.begin(s), slots.end(s));
        });
        sums.reduce(threads);
        relocated = relocate_empty_clusters(x, sample_weight, centers, labels, k, sums.sums(), sums.weights(),
                                            threads);
        average_centers(sums.sums(), sums.weights(), k, d, next.data());
        const double shift = squared_center_shift(centers, next.data(), k, d);
        bounds.move_centers(centers, next.data(), labels, threads);
        std::copy(next.begin(), next.end(), centers);
        bounds.set_centers(centers, threads);
        if (control.on_iteration) control.on_iteration(iter, inertia(x, sample_weight, centers, labels, threads));
        index_t total_changed = 0;
        for (index_t c : changed) total_changed += c;
        if (total_changed == 0) {
            strict = true;
            break;
        }
        if (shift <= tol) break;
    }
    if (!strict || relocated) {  // as in lloyd(): labels must match the returned centers
        parallel_for(slots.parts, threads, [&](index_t s) { bounds.assign_rows(slots.begin(s), slots.end(s), labels); });
    }
    return FitSummary{inertia(x, sample_weight, centers, labels, threads), std::min(iter + 1, max_iter)};
}

// Skip a distance only when the bound is clearly larger: the relative slack absorbs
// the rounding of bounds kept over many iterations, and equality is never skipped,
// so the lower index still wins exact ties.
inline bool bound_excludes(double upper, double bound) { return upper * (1.0 + 1e-10) < bound; }

}  // namespace quickmeans
