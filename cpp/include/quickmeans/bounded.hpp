// The iteration shared by the bound-based algorithms (Elkan, Hamerly): the same
// steps and stopping rules as Lloyd, with the assignment delegated to a Bounds
// object that skips what the triangle inequality rules out, and cluster sums
// carried from one iteration to the next by the rows that moved (moving_sums.hpp).
//
// Bounds provides: set_centers(centers, threads); init_rows(begin, end, labels)
// (first, exact assignment); assign_rows(begin, end, labels, moves) (records each
// row whose label changed); move_centers(old, new, labels, threads) (loosen bounds
// by the centers' shifts, before the next assign_rows).
#pragma once

#include <algorithm>
#include <limits>
#include <vector>

#include "quickmeans/bound_rounding.hpp"
#include "quickmeans/centers.hpp"
#include "quickmeans/common.hpp"
#include "quickmeans/inertia.hpp"
#include "quickmeans/moving_sums.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

template <class Bounds, class T>
FitSummary iterate_with_bounds(Bounds& bounds, const DenseView<T>& x, const double* sample_weight, T* centers,
                               index_t k, label_t* labels, int max_iter, double tol, const RunControl& control) {
    const index_t d = x.d;
    const int threads = control.n_threads;
    MovingSums sums(x.n, k, d);
    const RangeSplit& slots = sums.slots();
    std::vector<T> next(static_cast<size_t>(k * d));

    // The next centers, and their squared shift.
    auto next_centers = [&]() { return sums.next_centers(x, sample_weight, centers, labels, next.data(), threads); };

    bool strict = false;
    int iter = 0;
    bounds.set_centers(centers, threads);
    for (; iter < max_iter; ++iter) {
        control.check_stop();
        const bool exact = sums.exact_due();
        parallel_for(slots.parts, threads, [&](index_t s) {
            Moves& moves = sums.moves(s);
            moves.clear();
            if (iter == 0) bounds.init_rows(slots.begin(s), slots.end(s), labels);
            else bounds.assign_rows(slots.begin(s), slots.end(s), labels, moves);
            sums.add_slot(s, x, sample_weight, labels, exact);
        });
        index_t changed = sums.update(exact, threads);
        if (iter == 0) changed = x.n;
        // A step that moved only weightless samples leaves Lloyd's centers exactly where they
        // were (shift 0), whereas carried and exact sums may differ by rounding.
        const double shift = next_centers();
        const bool unmoved = iter > 0 && !sums.relocated() && !sums.moved_weight(sample_weight);
        const bool stop = changed == 0 || shift <= tol || (unmoved && tol >= 0) || iter + 1 == max_iter;
        if (stop && !sums.is_exact() && !sums.relocated()) {  // the returned centers come from exact sums
            sums.recompute(x, sample_weight, labels, threads);
            next_centers();
        }
        bounds.move_centers(centers, next.data(), labels, threads);
        std::copy(next.begin(), next.end(), centers);
        bounds.set_centers(centers, threads);
        if (control.on_iteration) control.on_iteration(iter, inertia(x, sample_weight, centers, labels, threads));
        if (changed == 0) {
            strict = true;
            break;
        }
        if (stop) break;
    }
    if (!strict || sums.relocated()) {  // as in lloyd(): labels must match the returned centers
        parallel_for(slots.parts, threads, [&](index_t s) {
            bounds.assign_rows(slots.begin(s), slots.end(s), labels, sums.moves(s));
        });
    }
    return FitSummary{control.final_inertia ? inertia(x, sample_weight, centers, labels, threads)
                                            : std::numeric_limits<double>::quiet_NaN(),
                      std::min(iter + 1, max_iter)};
}

}  // namespace quickmeans
