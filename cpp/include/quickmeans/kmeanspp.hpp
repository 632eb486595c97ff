// Greedy k-means++ seeding (Arthur & Vassilvitskii, with scikit-learn's greedy
// local trials): each new center is the best of `n_trials` candidates sampled
// with probability proportional to weight * squared distance to the chosen
// centers. Random numbers come from the caller (uniforms in [0, 1)), so the same
// random_state gives the same centers here and in the NumPy reference.
#pragma once

#include <algorithm>
#include <vector>

#include "quickmeans/common.hpp"
#include "quickmeans/distance.hpp"
#include "quickmeans/inertia.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

// first: index of the first center; uniforms: (k - 1) x n_trials values.
// Writes k x d centers and their sample indices.
template <class T>
void kmeans_plusplus(const DenseView<T>& x, const double* sample_weight, index_t k, index_t first,
                     const double* uniforms, index_t n_trials, T* centers, std::int64_t* indices,
                     const RunControl& control) {
    const index_t n = x.n, d = x.d;
    const int threads = control.n_threads;
    const RangeSplit chunks = fixed_chunks(n);
    std::vector<double> closest(static_cast<size_t>(n));
    std::vector<double> cumulative(static_cast<size_t>(n));
    std::vector<double> partial(static_cast<size_t>(chunks.parts * n_trials));
    std::vector<index_t> candidates(static_cast<size_t>(n_trials));

    auto take = [&](index_t c, index_t sample) {
        std::copy(x.row(sample), x.row(sample) + d, centers + c * d);
        indices[c] = sample;
    };
    take(0, first);
    parallel_for(chunks.parts, threads, [&](index_t p) {
        for (index_t i = chunks.begin(p); i < chunks.end(p); ++i)
            closest[static_cast<size_t>(i)] = squared_distance(x.row(i), x.row(first), d);
    });

    for (index_t c = 1; c < k; ++c) {
        control.check_stop();
        // Sequential cumulative sum, as np.cumsum does it.
        double running = 0.0;
        for (index_t i = 0; i < n; ++i) {
            running += weight_of(sample_weight, i) * closest[static_cast<size_t>(i)];
            cumulative[static_cast<size_t>(i)] = running;
        }
        const double potential = running;
        for (index_t t = 0; t < n_trials; ++t) {
            const double target = uniforms[(c - 1) * n_trials + t] * potential;
            const index_t pos = std::lower_bound(cumulative.begin(), cumulative.end(), target) - cumulative.begin();
            candidates[static_cast<size_t>(t)] = std::min(pos, n - 1);
        }
        // All trials of this step in one pass over X.
        parallel_for(chunks.parts, threads, [&](index_t p) {
            double* pot = partial.data() + p * n_trials;
            std::fill(pot, pot + n_trials, 0.0);
            for (index_t i = chunks.begin(p); i < chunks.end(p); ++i) {
                const double w = weight_of(sample_weight, i);
                const double here = closest[static_cast<size_t>(i)];
                for (index_t t = 0; t < n_trials; ++t) {
                    const index_t cand = candidates[static_cast<size_t>(t)];
                    pot[t] += w * std::min(here, squared_distance(x.row(i), x.row(cand), d));
                }
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
        // Recomputed rather than kept per trial: n doubles of memory, not n * n_trials.
        parallel_for(chunks.parts, threads, [&](index_t p) {
            for (index_t i = chunks.begin(p); i < chunks.end(p); ++i) {
                double& here = closest[static_cast<size_t>(i)];
                here = std::min(here, squared_distance(x.row(i), x.row(chosen), d));
            }
        });
    }
}

}  // namespace quickmeans
