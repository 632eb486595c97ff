// Greedy k-means++ seeding (Arthur & Vassilvitskii, with scikit-learn's greedy
// local trials): each new center is the best of `n_trials` candidates sampled
// with probability proportional to weight * squared distance to the chosen
// centers. Random numbers come from the caller (uniforms in [0, 1)), so the same
// random_state gives the same centers here and in the NumPy reference.
//
// Distances are exact (double) and computed by the SIMD point_distances kernel
// (sparse rows: by the expansion, clipped at 0), all trials of a step in one pass
// over X (dense rows: only those that can change a potential, seeding_pruned.hpp); potentials are summed per fixed chunk and the chunks in order, so the
// choice does not depend on the thread count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#include "quickmeans/bits.hpp"
#include "quickmeans/common.hpp"
#include "quickmeans/inertia.hpp"
#include "quickmeans/kernels.hpp"
#include "quickmeans/parallel.hpp"
#include "quickmeans/rows.hpp"
#include "quickmeans/seeding_pruned.hpp"

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

// first: index of the first center; uniforms: (k - 1) x n_trials values.
// Writes k x d centers and their sample indices. View: DenseView<T> or CsrView<T, I>.
template <class View, class T>
void kmeans_plusplus(const View& x, const double* sample_weight, index_t k, index_t first,
                     const double* uniforms, index_t n_trials, T* centers, std::int64_t* indices,
                     const RunControl& control) {
    const index_t n = x.n, d = x.d;
    const int threads = std::max(1, control.n_threads);
    const KernelSet& kernel_set = active_kernels();
    const Kernels<T>& kern = kernel_set.template get<T>();
    const RangeSplit chunks = fixed_chunks(n, 2048);
    const index_t chunk_rows = chunks.end(0) - chunks.begin(0) + 1;
    const index_t words = (chunk_rows + 63) / 64;  // bits per chunk and trial
    const index_t slots = chunks.parts * n_trials;
    std::vector<double> closest(static_cast<size_t>(n));
    std::vector<label_t> labels(static_cast<size_t>(n), 0);  // the center closest[i] is from
    std::vector<double> chunk_end_sum(static_cast<size_t>(chunks.parts));
    std::vector<double> ways(static_cast<size_t>(slots * 8));
    std::vector<std::uint64_t> improved(static_cast<size_t>(slots * words));
    std::vector<T> candidate_rows(static_cast<size_t>(n_trials * d));
    std::vector<double> norms2(static_cast<size_t>(n_trials));
    auto squared_norms = [&](const T* points, index_t t) {
        for (index_t p = 0; p < t; ++p) norms2[static_cast<size_t>(p)] = squared_norm(points + p * d, d);
    };
    std::vector<index_t> candidates(static_cast<size_t>(n_trials));
    struct ThreadBuffers {
        std::vector<double> dist, scratch, listed_dist;
        std::vector<T> packed;
        std::vector<index_t> listed;
    };
    std::vector<ThreadBuffers> buffers(static_cast<size_t>(threads));
    const index_t group = kern.distance_rows;
    for (ThreadBuffers& tb : buffers) {
        if (!std::is_same_v<View, DenseView<T>>) tb.dist.resize(static_cast<size_t>(n_trials * chunk_rows));
        tb.scratch.resize(static_cast<size_t>(group * d));
        tb.listed_dist.resize(static_cast<size_t>(group));
        tb.packed.resize(static_cast<size_t>(group * d));
        tb.listed.resize(static_cast<size_t>(group));
    }

    // closest = distance to the first center, every row.
    auto first_distances = [&]() {
        squared_norms(centers, 1);
        parallel_for(chunks.parts, threads, [&](index_t p) {
            const index_t b = chunks.begin(p), m = chunks.end(p) - b;
            ThreadBuffers& tb = buffers[static_cast<size_t>(thread_id())];
            distances_to_points(x, b, m, centers, norms2.data(), 1, closest.data() + b, m, tb.scratch.data());
        });
    };
    // closest = min(closest, distance to candidate `best`), only for the rows whose
    // bit the trial pass set (the others cannot change): a pass over X becomes a
    // pass over the rows the new center takes, in groups of the kernel's width.
    auto update_closest = [&](index_t best, index_t c) {
        const T* point = candidate_rows.data() + best * d;
        const double norm2 = norms2[static_cast<size_t>(best)];
        parallel_for(chunks.parts, threads, [&](index_t p) {
            const index_t b = chunks.begin(p);
            ThreadBuffers& tb = buffers[static_cast<size_t>(thread_id())];
            const std::uint64_t* bits = improved.data() + (p * n_trials + best) * words;
            index_t count = 0;
            auto flush = [&]() {
                listed_distances(x, tb.listed.data(), count, point, &norm2, tb.listed_dist.data(),
                                 tb.packed.data(), tb.scratch.data());
                for (index_t i = 0; i < count; ++i) {
                    const size_t row = static_cast<size_t>(tb.listed[static_cast<size_t>(i)]);
                    const double dist = tb.listed_dist[static_cast<size_t>(i)];
                    if (dist < closest[row]) {
                        closest[row] = dist;
                        labels[row] = static_cast<label_t>(c);
                    }
                }
                count = 0;
            };
            for (index_t wi = 0; wi < words; ++wi)
                for (std::uint64_t word = bits[wi]; word; word &= word - 1) {
                    tb.listed[static_cast<size_t>(count++)] = b + wi * 64 + lowest_bit(word);
                    if (count == group) flush();
                }
            if (count > 0) flush();
        });
    };
    // Dense rows skip the distances that cannot matter (seeding_pruned.hpp).
    constexpr bool kDense = std::is_same_v<View, DenseView<T>>;
    std::optional<PrunedTrials<T>> pruned;
    if constexpr (kDense) pruned.emplace(x, sample_weight, chunks, chunk_rows, words, n_trials, k, threads);
    auto take = [&](index_t c, index_t sample) {
        copy_row(x, sample, centers + c * d);
        indices[c] = sample;
    };

    take(0, first);
    first_distances();
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
        // All trials of this step in one pass over X: each chunk's potential per trial
        // (in eight ways) and the rows each trial would take.
        std::fill(ways.begin(), ways.end(), 0.0);
        if constexpr (kDense) {
            pruned->run(centers, c, candidate_rows.data(), closest.data(), labels.data(), ways.data(),
                        improved.data(), threads);
        } else parallel_for(chunks.parts, threads, [&](index_t p) {
            const index_t b = chunks.begin(p), m = chunks.end(p) - b;
            ThreadBuffers& tb = buffers[static_cast<size_t>(thread_id())];
            distances_to_points(x, b, m, candidate_rows.data(), norms2.data(), n_trials, tb.dist.data(), m,
                                tb.scratch.data());
            const double* w = sample_weight ? sample_weight + b : nullptr;
            for (index_t t = 0; t < n_trials; ++t) {
                const index_t slot = p * n_trials + t;
                kernel_set.capped_sums(closest.data() + b, tb.dist.data() + t * m, w, m, ways.data() + slot * 8,
                                       improved.data() + slot * words);
            }
        });
        index_t best = 0;
        double best_pot = 0.0;
        for (index_t t = 0; t < n_trials; ++t) {
            double pot = 0.0;
            for (index_t p = 0; p < chunks.parts; ++p) {
                const double* v = ways.data() + (p * n_trials + t) * 8;
                pot += ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
            }
            if (t == 0 || pot < best_pot) {
                best_pot = pot;
                best = t;
            }
        }
        take(c, candidates[static_cast<size_t>(best)]);
        update_closest(best, c);
    }
}

}  // namespace quickmeans
