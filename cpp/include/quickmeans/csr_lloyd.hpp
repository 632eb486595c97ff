// Lloyd on sparse rows: lloyd.hpp's driver with this assignment step. Rows are
// assigned in small chunks first (a sparse row is cheap, so balance matters more
// than locality), then summed per slot of ClusterSums exactly as dense rows are,
// which keeps the sums, and so the centers, equal to the dense path's; between exact
// passes, the rows that moved are carried.
#pragma once

#include <cmath>
#include <vector>

#include "quickmeans/centers.hpp"
#include "quickmeans/csr.hpp"
#include "quickmeans/csr_assign.hpp"
#include "quickmeans/lloyd.hpp"

namespace quickmeans {

// Rows per task of a sparse assignment pass (a sparse row is cheap: balance matters more
// than locality), and so rows per list of moves.
constexpr index_t kCsrPassRows = 1024;

template <class T, class I>
index_t assign_and_sum(const CsrView<T, I>& x, const double* sample_weight, CsrNearestCenter<T, I>& nearest,
                       ClusterSums& sums, label_t* labels, int n_threads) {
    const RangeSplit chunks = fixed_chunks(x.n, kCsrPassRows);
    std::vector<index_t> changed(static_cast<size_t>(chunks.parts), 0);
    parallel_for(chunks.parts, n_threads, [&](index_t p) {
        changed[static_cast<size_t>(p)] = nearest.assign(x, chunks.begin(p), chunks.end(p), labels, thread_id());
    });
    const RangeSplit& slots = sums.slots();
    parallel_for(slots.parts, n_threads, [&](index_t s) {
        sums.clear_slot(s);
        sums.add_rows(s, x, sample_weight, labels, slots.begin(s), slots.end(s));
    });
    sums.reduce(n_threads);
    index_t total = 0;
    for (index_t c : changed) total += c;
    return total;
}

template <class T, class I>
index_t move_lists(const CsrView<T, I>& x) {
    return fixed_chunks(x.n, kCsrPassRows).parts;
}

// lloyd.hpp's pass for sparse rows: every row scored in small tasks (its move recorded when
// `record`, in the task's list), then the sums updated: all rows summed per slot, as
// assign_and_sum does, or the moves carried in row order on one thread (moving_sums.hpp:
// text's k x d slot sums, megabytes, cost more to clear and reduce than a few moves).
template <class T, class I>
index_t lloyd_pass(const CsrView<T, I>& x, const double* sample_weight, CsrNearestCenter<T, I>& nearest,
                   MovingSums& sums, label_t* labels, bool exact, bool record, float*, int n_threads) {
    const RangeSplit chunks = fixed_chunks(x.n, kCsrPassRows);
    std::vector<index_t> changed(static_cast<size_t>(chunks.parts), 0);
    parallel_for(chunks.parts, n_threads, [&](index_t p) {
        Moves& moves = sums.moves(p);
        moves.clear();
        changed[static_cast<size_t>(p)] =
            nearest.assign(x, chunks.begin(p), chunks.end(p), labels, thread_id(), record ? &moves : nullptr);
    });
    if (exact) {
        const RangeSplit& slots = sums.slots();
        parallel_for(slots.parts, n_threads, [&](index_t s) {
            sums.clear_slot(s);
            sums.add_rows(s, x, sample_weight, labels, slots.begin(s), slots.end(s));
        });
        sums.update(true, n_threads);
    } else {
        sums.carry(x, sample_weight, labels);
    }
    index_t total = 0;
    for (index_t c : changed) total += c;
    return total;
}

// Euclidean distances of every row to every center (transform), by the expansion.
template <class T, class I>
void center_distances(const CsrView<T, I>& x, const T* centers, index_t k, T* out, int n_threads) {
    const std::vector<double> norms = center_norms2(centers, k, x.d);
    const RangeSplit chunks = fixed_chunks(x.n, 256);
    parallel_for(chunks.parts, n_threads, [&](index_t p) {
        for (index_t i = chunks.begin(p); i < chunks.end(p); ++i)
            for (index_t c = 0; c < k; ++c)
                out[i * k + c] = static_cast<T>(
                    std::sqrt(expanded_distance(x, i, centers + c * x.d, norms[static_cast<size_t>(c)])));
    });
}

}  // namespace quickmeans
