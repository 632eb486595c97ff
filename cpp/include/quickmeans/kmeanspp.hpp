// Greedy k-means++ seeding (Arthur & Vassilvitskii, with scikit-learn's greedy
// local trials): each new center is the best of `n_trials` candidates sampled
// with probability proportional to weight * squared distance to the chosen
// centers. Random numbers come from the caller (uniforms in [0, 1)), so the same
// random_state gives the same centers here and in the NumPy reference.
//
// Distances are exact (double) and computed by the SIMD point_distances kernel
// (sparse rows: by the expansion, clipped at 0), all trials of a step in one pass over X; potentials are summed per fixed chunk
// and the chunks in order, so the choice does not depend on the thread count.
#pragma once

#include <algorithm>
#include <vector>

#include "quickmeans/common.hpp"
#include "quickmeans/inertia.hpp"
#include "quickmeans/kernels.hpp"
#include "quickmeans/parallel.hpp"
#include "quickmeans/rows.hpp"

namespace quickmeans {

// first: index of the first center; uniforms: (k - 1) x n_trials values.
// Writes k x d centers and their sample indices. View: DenseView<T> or CsrView<T, I>.
template <class View, class T>
void kmeans_plusplus(const View& x, const double* sample_weight, index_t k, index_t first,
                     const double* uniforms, index_t n_trials, T* centers, std::int64_t* indices,
                     const RunControl& control) {
    const index_t n = x.n, d = x.d;
    const int threads = std::max(1, control.n_threads);
    const Kernels<T>& kern = active_kernels().template get<T>();
    const RangeSplit chunks = fixed_chunks(n, 2048);
    const index_t chunk_rows = chunks.end(0) - chunks.begin(0) + 1;
    std::vector<double> closest(static_cast<size_t>(n));
    std::vector<index_t> by_target(static_cast<size_t>(n_trials));
    std::vector<double> targets(static_cast<size_t>(n_trials));
    std::vector<double> partial(static_cast<size_t>(chunks.parts * n_trials));
    std::vector<T> candidate_rows(static_cast<size_t>(n_trials * d));
    std::vector<double> norms2(static_cast<size_t>(n_trials));
    auto squared_norms = [&](const T* points, index_t t) {
        for (index_t p = 0; p < t; ++p) norms2[static_cast<size_t>(p)] = squared_norm(points + p * d, d);
    };
    std::vector<index_t> candidates(static_cast<size_t>(n_trials));
    std::vector<std::vector<double>> dist(static_cast<size_t>(threads)), scratch(static_cast<size_t>(threads));
    for (int t = 0; t < threads; ++t) {
        dist[static_cast<size_t>(t)].resize(static_cast<size_t>(n_trials * chunk_rows));
        scratch[static_cast<size_t>(t)].resize(static_cast<size_t>(kern.distance_rows * d));
    }

    // closest = min(closest, distance to `point`) (or = when `first_pass`).
    auto update_closest = [&](const T* point, bool first_pass) {
        squared_norms(point, 1);
        parallel_for(chunks.parts, threads, [&](index_t p) {
            const index_t b = chunks.begin(p), m = chunks.end(p) - b;
            double* dd = dist[static_cast<size_t>(thread_id())].data();
            distances_to_points(x, b, m, point, norms2.data(), 1, dd, m,
                                scratch[static_cast<size_t>(thread_id())].data());
            for (index_t r = 0; r < m; ++r) {
                double& c = closest[static_cast<size_t>(b + r)];
                c = first_pass ? dd[r] : std::min(c, dd[r]);
            }
        });
    };
    auto take = [&](index_t c, index_t sample) {
        copy_row(x, sample, centers + c * d);
        indices[c] = sample;
    };

    take(0, first);
    update_closest(centers, true);
    for (index_t c = 1; c < k; ++c) {
        control.check_stop();
        // Each candidate is the first sample whose cumulative potential (summed in
        // sample order, as np.cumsum does) reaches its target; the targets are found
        // in one pass, smallest first, without storing the cumulative sums.
        double total = 0.0;
        for (index_t i = 0; i < n; ++i) total += weight_of(sample_weight, i) * closest[static_cast<size_t>(i)];
        for (index_t t = 0; t < n_trials; ++t) {
            targets[static_cast<size_t>(t)] = uniforms[(c - 1) * n_trials + t] * total;
            by_target[static_cast<size_t>(t)] = t;
        }
        std::sort(by_target.begin(), by_target.end(), [&](index_t a, index_t b) {
            return targets[static_cast<size_t>(a)] < targets[static_cast<size_t>(b)];
        });
        double running = 0.0;
        index_t next = 0, i = 0;
        for (; i < n && next < n_trials; ++i) {
            running += weight_of(sample_weight, i) * closest[static_cast<size_t>(i)];
            while (next < n_trials && running >= targets[static_cast<size_t>(by_target[static_cast<size_t>(next)])])
                candidates[static_cast<size_t>(by_target[static_cast<size_t>(next++)])] = i;
        }
        for (; next < n_trials; ++next) candidates[static_cast<size_t>(by_target[static_cast<size_t>(next)])] = n - 1;
        for (index_t t = 0; t < n_trials; ++t)
            copy_row(x, candidates[static_cast<size_t>(t)], candidate_rows.data() + t * d);
        squared_norms(candidate_rows.data(), n_trials);
        // All trials of this step in one pass over X.
        parallel_for(chunks.parts, threads, [&](index_t p) {
            const index_t b = chunks.begin(p), m = chunks.end(p) - b;
            double* dd = dist[static_cast<size_t>(thread_id())].data();
            distances_to_points(x, b, m, candidate_rows.data(), norms2.data(), n_trials, dd, m,
                                scratch[static_cast<size_t>(thread_id())].data());
            for (index_t t = 0; t < n_trials; ++t) {
                double pot = 0.0;
                const double* dt = dd + t * m;
                for (index_t r = 0; r < m; ++r)
                    pot += weight_of(sample_weight, b + r) * std::min(closest[static_cast<size_t>(b + r)], dt[r]);
                partial[static_cast<size_t>(p * n_trials + t)] = pot;
            }
        });
        index_t best = 0;
        double best_pot = 0.0;
        for (index_t t = 0; t < n_trials; ++t) {
            double pot = 0.0;
            for (index_t p = 0; p < chunks.parts; ++p) pot += partial[static_cast<size_t>(p * n_trials + t)];
            if (t == 0 || pot < best_pot) {
                best_pot = pot;
                best = t;
            }
        }
        const index_t chosen = candidates[static_cast<size_t>(best)];
        take(c, chosen);
        update_closest(centers + c * d, false);
    }
}

}  // namespace quickmeans
