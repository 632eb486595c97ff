// The labels of Lloyd's returned centers from the bounds its last assignment left, instead
// of a full pass: a fit that stops on tol or max_iter must still label every row by the
// centers it returns (scikit-learn's closing E-step), which on long rows costs as much as
// an iteration. A row keeps its label when the upper bound of its distance to its center
// plus how far that center moved is clearly below the lower bound of its distance to the
// others less the largest move among them; the rest (few, once a fit has settled) are
// gathered and scored again by the kernel, so the labels are exactly the nearest centers.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "quickmeans/assign.hpp"
#include "quickmeans/bound_rounding.hpp"
#include "quickmeans/centers.hpp"
#include "quickmeans/common.hpp"
#include "quickmeans/inertia.hpp"
#include "quickmeans/kernels.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

// bounds_sq: per row, as NearestCenter::assign wrote it against old_centers, whose labels
// `labels` holds; rewrites the labels that `centers` changes.
template <class T>
void relabel_with_bounds(const DenseView<T>& x, const T* old_centers, const T* centers, index_t k,
                         const float* bounds_sq, label_t* labels, int n_threads) {
    const index_t d = x.d;
    CenterMoves moves;
    moves.measure(old_centers, centers, k, d);

    NearestCenter<T> nearest(k, d, n_threads);
    nearest.set_centers(centers);
    const index_t block = nearest.block_rows();
    struct Gathered {
        std::vector<T> rows;
        std::vector<index_t> index;
        std::vector<label_t> labels;
    };
    std::vector<Gathered> gathered(static_cast<size_t>(std::max(1, n_threads)));
    for (Gathered& g : gathered) {
        g.rows.resize(static_cast<size_t>(block * d));
        g.index.resize(static_cast<size_t>(block));
        g.labels.resize(static_cast<size_t>(block));
    }
    const auto gather = active_kernels().template get<T>().gather_rows;
    auto rescore = [&](Gathered& g, index_t count) {
        gather(x.data, d, g.index.data(), count, g.rows.data());
        nearest.assign(DenseView<T>{g.rows.data(), count, d}, 0, count, g.labels.data(), thread_id());
        for (index_t q = 0; q < count; ++q) labels[g.index[static_cast<size_t>(q)]] = g.labels[static_cast<size_t>(q)];
    };
    const RangeSplit chunks = fixed_chunks(x.n);
    parallel_for(chunks.parts, n_threads, [&](index_t p) {
        Gathered& g = gathered[static_cast<size_t>(thread_id())];
        index_t count = 0;
        for (index_t i = chunks.begin(p); i < chunks.end(p); ++i) {
            const label_t a = labels[i];
            const double upper = std::sqrt(std::max(0.0, static_cast<double>(bounds_sq[2 * i]))) + moves.of(a);
            const double lower = std::sqrt(std::max(0.0, static_cast<double>(bounds_sq[2 * i + 1]))) -
                                 moves.of_others(a);
            if (bound_excludes(upper, lower)) continue;  // NaN never excludes
            g.index[static_cast<size_t>(count++)] = i;
            if (count == block) {
                rescore(g, count);
                count = 0;
            }
        }
        if (count) rescore(g, count);
    });
}

}  // namespace quickmeans
