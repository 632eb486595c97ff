// Greedy k-means++ seeding (Arthur & Vassilvitskii, with scikit-learn's greedy
// local trials): each new center is the best of `n_trials` candidates sampled
// with probability proportional to weight * squared distance to the chosen
// centers. Random numbers come from the caller (uniforms in [0, 1)), so the same
// random_state gives the same centers here and in the NumPy reference.
//
// Distances are exact (double) and computed by the SIMD point_distances kernel
// (sparse rows: by the expansion, clipped at 0), all trials of a step in one pass
// over X; potentials are summed per fixed chunk and the chunks in order, so the
// choice does not depend on the thread count.
#pragma once

#include <algorithm>
#include <vector>

#include "quickmeans/common.hpp"
#include "quickmeans/inertia.hpp"
#include "quickmeans/kernels.hpp"
#include "quickmeans/parallel.hpp"
#include "quickmeans/rows.hpp"

namespace quickmeans {

// running + sum of w[i] * closest[i] for i in [begin, end), added one by one in order
// (the sequence np.cumsum follows). A multiplication by 1.0 is exact, so the
// unweighted loop gives the same sums.
inline double weighted_sum_from(double running, const double* closest, const double* w, index_t begin,
                                index_t end) {
    if (!w) {
        for (index_t i = begin; i < end; ++i) running += closest[i];
        return running;
    }
    for (index_t i = begin; i < end; ++i) running += w[i] * closest[i];
    return running;
}

// sum over r of w[r] * min(closest[r], dist[r]) (w null: weight 1), in eight
// interleaved partial sums combined in a fixed order: vectorisable, and the same
// value at every SIMD level and thread count.
inline double capped_potential(const double* closest, const double* dist, const double* w, index_t m) {
    constexpr int kWays = 8;
    double acc[kWays] = {};
    index_t r = 0;
    for (; r + kWays <= m; r += kWays)
        for (int i = 0; i < kWays; ++i) {
            const double v = std::min(closest[r + i], dist[r + i]);
            acc[i] += w ? w[r + i] * v : v;
        }
    for (; r < m; ++r) {
        const double v = std::min(closest[r], dist[r]);
        acc[0] += w ? w[r] * v : v;
    }
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

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
    std::vector<double> chunk_end_sum(static_cast<size_t>(chunks.parts));
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
            double* c = closest.data() + b;
            if (first_pass) std::copy(dd, dd + m, c);
            else
                for (index_t r = 0; r < m; ++r) c[r] = std::min(c[r], dd[r]);
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
        // sample order, as np.cumsum does) reaches its target. One serial pass keeps
        // the running sum at each chunk's end; a target's chunk is then found by
        // binary search and only that chunk is summed again, from its exact start.
        double running = 0.0;
        for (index_t p = 0; p < chunks.parts; ++p) {
            running = weighted_sum_from(running, closest.data(), sample_weight, chunks.begin(p),
                                        chunks.end(p));
            chunk_end_sum[static_cast<size_t>(p)] = running;
        }
        const double total = running;
        for (index_t t = 0; t < n_trials; ++t) {
            const double target = uniforms[(c - 1) * n_trials + t] * total;
            const index_t p = static_cast<index_t>(
                std::lower_bound(chunk_end_sum.begin(), chunk_end_sum.end(), target) - chunk_end_sum.begin());
            index_t found = n - 1;
            if (p < chunks.parts) {
                double sum = p == 0 ? 0.0 : chunk_end_sum[static_cast<size_t>(p - 1)];
                for (index_t i = chunks.begin(p); i < chunks.end(p); ++i) {
                    sum += weight_of(sample_weight, i) * closest[static_cast<size_t>(i)];
                    if (sum >= target) {
                        found = i;
                        break;
                    }
                }
            }
            candidates[static_cast<size_t>(t)] = found;
        }
        for (index_t t = 0; t < n_trials; ++t)
            copy_row(x, candidates[static_cast<size_t>(t)], candidate_rows.data() + t * d);
        squared_norms(candidate_rows.data(), n_trials);
        // All trials of this step in one pass over X.
        parallel_for(chunks.parts, threads, [&](index_t p) {
            const index_t b = chunks.begin(p), m = chunks.end(p) - b;
            double* dd = dist[static_cast<size_t>(thread_id())].data();
            distances_to_points(x, b, m, candidate_rows.data(), norms2.data(), n_trials, dd, m,
                                scratch[static_cast<size_t>(thread_id())].data());
            const double* w = sample_weight ? sample_weight + b : nullptr;
            for (index_t t = 0; t < n_trials; ++t)
                partial[static_cast<size_t>(p * n_trials + t)] =
                    capped_potential(closest.data() + b, dd + t * m, w, m);
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
