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
#include "quickmeans/moving_sums.hpp"
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
template <class T>
index_t assign_and_sum(const DenseView<T>& x, const double* sample_weight, NearestCenter<T>& nearest,
                       ClusterSums& sums, label_t* labels, int n_threads) {
    const RangeSplit& slots = sums.slots();
    std::vector<index_t> changed(static_cast<size_t>(slots.parts), 0);
    parallel_for(slots.parts, n_threads, [&](index_t s) {
        const int tid = thread_id();
        sums.clear_slot(s);
        const index_t step = nearest.block_rows() * 4;
        for (index_t b = slots.begin(s); b < slots.end(s); b += step) {
            const index_t e = std::min(b + step, slots.end(s));
            changed[static_cast<size_t>(s)] += nearest.assign(x, b, e, labels, tid);
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

// One assignment pass of Lloyd on dense rows: every row scored (its bounds kept in bounds_sq
// unless null, its move recorded when `record`), and the sums updated: with all rows,
// summed per slot right after they are scored (in cache), or else with each slot's moves.
// Returns how many labels changed.
template <class T>
index_t lloyd_pass(const DenseView<T>& x, const double* sample_weight, NearestCenter<T>& nearest, MovingSums& sums,
                   label_t* labels, bool exact, bool record, float* bounds_sq, int threads) {
    const RangeSplit& slots = sums.slots();
    std::vector<index_t> changed(static_cast<size_t>(slots.parts), 0);
    parallel_for(slots.parts, threads, [&](index_t s) {
        const int tid = thread_id();
        Moves& moves = sums.moves(s);
        moves.clear();
        sums.clear_slot(s);
        const index_t step = nearest.block_rows() * 4;
        for (index_t b = slots.begin(s); b < slots.end(s); b += step) {
            const index_t e = std::min(b + step, slots.end(s));
            changed[static_cast<size_t>(s)] += nearest.assign(x, b, e, labels, tid, bounds_sq, record ? &moves : nullptr);
            if (exact) sums.add_rows(s, x, sample_weight, labels, b, e);
        }
        if (!exact) sums.add_moves(s, x, sample_weight, labels);
    });
    sums.update(exact, threads);
    index_t total = 0;
    for (index_t c : changed) total += c;
    return total;
}

// Lists of moves MovingSums keeps for lloyd_pass: one per slot.
template <class T>
index_t move_lists(const DenseView<T>&) {
    return 0;
}

// Runs Lloyd from `centers` (k x d, overwritten by the result); writes labels.
// View: DenseView<T> or CsrView<T, I> (with csr_lloyd.hpp, which has its lloyd_pass).
// Every row is scored every iteration, but the cluster sums are carried from one iteration
// to the next by the rows that moved (moving_sums.hpp) once few move: summing all of X cost
// a twentieth of a long-row iteration (100k x 256 float, k=256), and sparse rows' sums,
// k x d for text, more. All rows are summed on the first pass, the last one max_iter
// allows, after a step that moved many, whenever n moves have been carried, and again
// before a stop on tol or on strict convergence, so the centers returned are those of
// summing every row, and the rules for stopping are Lloyd's.
template <class View, class T>
FitSummary lloyd(const View& x, const double* sample_weight, T* centers, index_t k, label_t* labels,
                 int max_iter, double tol, const RunControl& control) {
    constexpr bool kDense = std::is_same<View, DenseView<T>>::value;
    const index_t d = x.d;
    const int threads = control.n_threads;
    typename NearestFor<View>::type nearest(k, d, threads);
    MovingSums sums(x.n, k, d, move_lists(x));
    std::vector<T> next(static_cast<size_t>(k * d));
    std::fill(labels, labels + x.n, label_t(-1));
    // Where a dense row's scan is long, each assignment also keeps the rows' bounds (8 bytes
    // a row, at most 1/16 of a float row at d >= 32), so that the closing relabelling
    // rescans only the rows whose label the last step's center moves could change
    // (relabel.hpp).
    const bool keep_bounds = kDense && d >= 32 && k * d >= 2048;
    std::vector<float> bounds_sq(keep_bounds ? static_cast<size_t>(2 * x.n) : 0);
    std::vector<T> assigned(keep_bounds ? static_cast<size_t>(k * d) : 0);  // the centers they hold for

    // The next centers, and their squared shift.
    auto next_centers = [&]() { return sums.next_centers(x, sample_weight, centers, labels, next.data(), threads); };

    bool strict = false;
    int iter = 0;
    index_t changed = x.n;  // the last step's label changes
    for (; iter < max_iter; ++iter) {
        control.check_stop();
        nearest.set_centers(centers);
        if (keep_bounds) std::copy(centers, centers + k * d, assigned.begin());
        // Summing all rows while they are in cache costs less than adding and subtracting
        // many moved ones that are not: exact too after a step that moved an eighth of X.
        const bool exact = sums.exact_due() || iter + 1 == max_iter || changed > x.n / 8;
        // Moves are recorded for the carried sums, and where weights decide whether a step
        // moved any weight; not on the first pass (every row "moves"), nor where all of a
        // pass's moves would only be counted (they cost 12 bytes a row).
        const bool record = iter > 0 && (!exact || sample_weight);
        changed = lloyd_pass(x, sample_weight, nearest, sums, labels, exact, record,
                             keep_bounds ? bounds_sq.data() : nullptr, threads);
        const double shift = next_centers();
        // A step that moved only weightless samples leaves the summed centers exactly where
        // they were (shift 0), whereas carried and exact sums may differ by rounding.
        const bool moved_weight = sample_weight ? sums.moved_weight(sample_weight) : changed > 0;
        const bool unmoved = iter > 0 && !sums.relocated() && !moved_weight;
        const bool stop = changed == 0 || shift <= tol || (unmoved && tol >= 0) || iter + 1 == max_iter;
        if (stop && !sums.is_exact() && !sums.relocated()) {  // the returned centers come from exact sums
            sums.recompute(x, sample_weight, labels, threads);
            next_centers();
        }
        std::copy(next.begin(), next.end(), centers);
        if (control.on_iteration) control.on_iteration(iter, inertia(x, sample_weight, centers, labels, threads));
        if (changed == 0) {
            strict = true;
            break;
        }
        if (stop) break;
    }
    if (!strict || sums.relocated()) {
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
