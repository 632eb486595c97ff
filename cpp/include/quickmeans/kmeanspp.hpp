// Greedy k-means++ seeding (Arthur & Vassilvitskii, with scikit-learn's greedy
// local trials): each new center is the best of `n_trials` candidates sampled
// with probability proportional to weight * squared distance to the chosen
// centers. Random numbers come from the caller (uniforms in [0, 1)), so the same
// random_state gives the same centers here and in the NumPy reference.
//
// Distances are exact (double) and computed by the SIMD point_distances kernel
// (sparse rows: by the expansion, clipped at 0), all trials of a step in one pass
// over X (dense rows: only those that can change a potential, and for float32 rows only
// for the trials that may be best, seeding_pruned.hpp). A trial's potential is the current
// one less its gain over the rows it improves; both are summed per fixed chunk and the
// chunks in order, so the choice does not depend on the thread count.
#pragma once

#include <algorithm>
#include <cmath>
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

// sum plus w[i] * closest[i] for i in [begin, end), added in order (w null: weight 1).
inline double weighted_sum(const double* closest, const double* w, index_t begin, index_t end, double sum = 0.0) {
    if (!w) {
        for (index_t i = begin; i < end; ++i) sum += closest[i];
        return sum;
    }
    for (index_t i = begin; i < end; ++i) sum += w[i] * closest[i];
    return sum;
}

// weighted_sum of `ranges` (at most kSumsAtOnce) ranges [begin[c], end[c]), out[c] each.
// Every range is still summed alone and in order, to the same value, but one dependent
// chain of additions runs at the adder's latency: four ranges' chains are interleaved.
// (Most steps of the seeding change every chunk's potential, which is summed again.)
constexpr int kSumsAtOnce = 4;
inline void weighted_sums(const double* closest, const double* w, const index_t* begin, const index_t* end,
                          int ranges, double* out) {
    double sum[kSumsAtOnce] = {};
    index_t common = 0;  // rows of each range summed interleaved
    if (ranges == kSumsAtOnce) {
        common = end[0] - begin[0];
        for (int c = 1; c < kSumsAtOnce; ++c) common = std::min(common, end[c] - begin[c]);
        const double* at[kSumsAtOnce];
        for (int c = 0; c < kSumsAtOnce; ++c) at[c] = closest + begin[c];
        if (!w) {
            for (index_t i = 0; i < common; ++i)
                for (int c = 0; c < kSumsAtOnce; ++c) sum[c] += at[c][i];
        } else {
            const double* weight[kSumsAtOnce];
            for (int c = 0; c < kSumsAtOnce; ++c) weight[c] = w + begin[c];
            for (index_t i = 0; i < common; ++i)
                for (int c = 0; c < kSumsAtOnce; ++c) sum[c] += weight[c][i] * at[c][i];
        }
    }
    for (int c = 0; c < ranges; ++c) out[c] = weighted_sum(closest, w, begin[c] + common, end[c], sum[c]);
}

// A trial's gain over the m rows of a chunk (in row order): the sum of w[r] * (closest[r]
// - dist[r]) where dist[r] < closest[r]; those rows' bits in improved ((m + 63) / 64
// words, overwritten) and their distances, in row order, in taken (replaced).
inline double chunk_gain(const double* closest, const double* dist, const double* w, index_t m,
                         std::uint64_t* improved, std::vector<double>& taken) {
    double gain = 0.0;
    std::fill(improved, improved + (m + 63) / 64, std::uint64_t(0));
    taken.clear();
    for (index_t r = 0; r < m; ++r)
        if (dist[r] < closest[r]) record_improvement(r, closest[r], dist[r], weight_of(w, r), gain, improved, taken);
    return gain;
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
    const index_t words = (chunk_rows + 63) / 64;  // bits per chunk and trial
    const index_t slots = chunks.parts * n_trials;
    std::vector<double> closest(static_cast<size_t>(n));
    std::vector<label_t> labels(static_cast<size_t>(n), 0);  // the center closest[i] is from
    // The potential (sum of w * closest) of each chunk, and its running sum at each chunk's end.
    std::vector<double> chunk_sum(static_cast<size_t>(chunks.parts)), chunk_end_sum(static_cast<size_t>(chunks.parts));
    std::vector<double> gains(static_cast<size_t>(slots));
    // Per chunk and trial: the rows the candidate improves (bits) and their distances to
    // it (in row order), so the chosen trial's rows are updated without a distance.
    std::vector<std::uint64_t> improved(static_cast<size_t>(slots * words));
    std::vector<std::vector<double>> taken(static_cast<size_t>(slots));
    std::vector<T> candidate_rows(static_cast<size_t>(n_trials * d));
    std::vector<double> norms2(static_cast<size_t>(n_trials));
    auto squared_norms = [&](const T* points, index_t t) {
        for (index_t p = 0; p < t; ++p) norms2[static_cast<size_t>(p)] = squared_norm(points + p * d, d);
    };
    std::vector<index_t> candidates(static_cast<size_t>(n_trials));
    struct ThreadBuffers {
        std::vector<double> dist, scratch;
    };
    std::vector<ThreadBuffers> buffers(static_cast<size_t>(threads));
    for (ThreadBuffers& tb : buffers) {
        if (!std::is_same_v<View, DenseView<T>>) tb.dist.resize(static_cast<size_t>(n_trials * chunk_rows));
        tb.scratch.resize(static_cast<size_t>(kern.distance_rows * d));
    }

    // closest = distance to the first center, every row.
    auto first_distances = [&]() {
        squared_norms(centers, 1);
        parallel_for(chunks.parts, threads, [&](index_t p) {
            const index_t b = chunks.begin(p), m = chunks.end(p) - b;
            ThreadBuffers& tb = buffers[static_cast<size_t>(thread_id())];
            distances_to_points(x, b, m, centers, norms2.data(), 1, closest.data() + b, m, tb.scratch.data());
            chunk_sum[static_cast<size_t>(p)] = weighted_sum(closest.data(), sample_weight, b, b + m);
        });
    };
    // closest = distance to candidate `best` for the rows it improves (the trial pass kept
    // their bits and distances; no other row changes); the potentials of the chunks it
    // changes are summed again.
    std::vector<unsigned char> changed(static_cast<size_t>(chunks.parts));
    std::vector<index_t> resum;  // the changed chunks, in order
    auto update_closest = [&](index_t best, index_t c) {
        parallel_for(chunks.parts, threads, [&](index_t p) {
            const index_t b = chunks.begin(p), slot = p * n_trials + best;
            const std::uint64_t* bits = improved.data() + slot * words;
            const double* dist = taken[static_cast<size_t>(slot)].data();
            index_t count = 0;
            for (index_t wi = 0; wi < words; ++wi)
                for (std::uint64_t word = bits[wi]; word; word &= word - 1) {
                    const size_t row = static_cast<size_t>(b + wi * 64 + lowest_bit(word));
                    closest[row] = dist[count++];
                    labels[row] = static_cast<label_t>(c);
                }
            changed[static_cast<size_t>(p)] = count > 0;
        });
        resum.clear();
        for (index_t p = 0; p < chunks.parts; ++p)
            if (changed[static_cast<size_t>(p)]) resum.push_back(p);
        const index_t listed = static_cast<index_t>(resum.size());
        parallel_for((listed + kSumsAtOnce - 1) / kSumsAtOnce, threads, [&](index_t q) {
            const int ranges = static_cast<int>(std::min<index_t>(kSumsAtOnce, listed - q * kSumsAtOnce));
            index_t begin[kSumsAtOnce], end[kSumsAtOnce];
            double sums[kSumsAtOnce];
            for (int r = 0; r < ranges; ++r) {
                const index_t p = resum[static_cast<size_t>(q * kSumsAtOnce + r)];
                begin[r] = chunks.begin(p);
                end[r] = chunks.end(p);
            }
            weighted_sums(closest.data(), sample_weight, begin, end, ranges, sums);
            for (int r = 0; r < ranges; ++r) chunk_sum[static_cast<size_t>(resum[static_cast<size_t>(q * kSumsAtOnce + r)])] = sums[r];
        });
    };
    // Dense rows skip the distances that cannot matter (seeding_pruned.hpp).
    constexpr bool kDense = std::is_same_v<View, DenseView<T>>;
    std::optional<PrunedTrials<T>> pruned;
    if constexpr (kDense) pruned.emplace(x, sample_weight, chunks, chunk_rows, words, n_trials, k, threads);
    std::vector<index_t> contenders;  // trials that may be the step's best, in order
    contenders.reserve(static_cast<size_t>(n_trials));
    std::vector<double> gain_low(static_cast<size_t>(n_trials)), gain_high(static_cast<size_t>(n_trials));
    auto take = [&](index_t c, index_t sample) {
        copy_row(x, sample, centers + c * d);
        indices[c] = sample;
    };

    take(0, first);
    first_distances();
    for (index_t c = 1; c < k; ++c) {
        control.check_stop();
        // Each candidate is the first sample whose cumulative potential reaches its
        // target. The cumulative potential at row i of chunk p is the running sum at the
        // end of chunk p - 1 plus chunk p's own sum up to i (in row order): it never
        // decreases and reaches the running sum at chunk p's end there, so a target's
        // chunk is found by binary search and only that chunk is summed again.
        double running = 0.0;
        for (index_t p = 0; p < chunks.parts; ++p) {
            running += chunk_sum[static_cast<size_t>(p)];
            chunk_end_sum[static_cast<size_t>(p)] = running;
        }
        const double total = running;
        for (index_t t = 0; t < n_trials; ++t) {
            const double target = uniforms[(c - 1) * n_trials + t] * total;
            const index_t p = static_cast<index_t>(
                std::lower_bound(chunk_end_sum.begin(), chunk_end_sum.end(), target) - chunk_end_sum.begin());
            index_t found = n - 1;
            if (p < chunks.parts) {
                const double before = p == 0 ? 0.0 : chunk_end_sum[static_cast<size_t>(p - 1)];
                double sum = 0.0;
                found = chunks.end(p) - 1;
                for (index_t i = chunks.begin(p); i < chunks.end(p); ++i) {
                    sum += weight_of(sample_weight, i) * closest[static_cast<size_t>(i)];
                    if (before + sum >= target) {
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
        // All trials of this step in one pass over X: each chunk's gain per trial and the
        // rows each trial would take.
        if constexpr (kDense) {
            pruned->run(centers, c, candidate_rows.data(), closest.data(), labels.data(), gains.data(),
                        improved.data(), taken.data(), threads);
        } else parallel_for(chunks.parts, threads, [&](index_t p) {
            const index_t b = chunks.begin(p), m = chunks.end(p) - b;
            ThreadBuffers& tb = buffers[static_cast<size_t>(thread_id())];
            distances_to_points(x, b, m, candidate_rows.data(), norms2.data(), n_trials, tb.dist.data(), m,
                                tb.scratch.data());
            const double* w = sample_weight ? sample_weight + b : nullptr;
            for (index_t t = 0; t < n_trials; ++t) {
                const index_t slot = p * n_trials + t;
                gains[static_cast<size_t>(slot)] = chunk_gain(closest.data() + b, tb.dist.data() + t * m, w, m,
                                                               improved.data() + slot * words,
                                                               taken[static_cast<size_t>(slot)]);
            }
        });
        // The trials that may be best: every trial, or, where the trial pass bounded the gains
        // (float32 rows, seeding_pruned.hpp), the leader (best lower bound) and those whose
        // upper bound reaches its lower bound, which then get exact gains. The slack covers
        // the summation of the bounds and of the exact gains (each off by at most about
        // n 2^-52 of the potential) and the rounding of total - gain, so a trial left out has
        // a computed potential above the leader's: the choice is the one all exact gains make.
        contenders.clear();
        if (pruned && pruned->bounded()) {
            pruned->gain_bounds(gain_low.data(), gain_high.data());
            index_t lead = 0;
            for (index_t t = 1; t < n_trials; ++t)
                if (gain_low[static_cast<size_t>(t)] > gain_low[static_cast<size_t>(lead)]) lead = t;
            const double slack = static_cast<double>(n + 16) * std::ldexp(1.0, -48) * total;
            for (index_t t = 0; t < n_trials; ++t)
                if (t == lead || gain_high[static_cast<size_t>(t)] + slack >= gain_low[static_cast<size_t>(lead)] - slack)
                    contenders.push_back(t);
            pruned->settle(contenders.data(), static_cast<index_t>(contenders.size()), candidate_rows.data(),
                           closest.data(), gains.data(), improved.data(), taken.data(), threads);
        } else {
            for (index_t t = 0; t < n_trials; ++t) contenders.push_back(t);
        }
        index_t best = contenders.front();
        double best_pot = 0.0;
        for (const index_t t : contenders) {
            double gain = 0.0;
            for (index_t p = 0; p < chunks.parts; ++p) gain += gains[static_cast<size_t>(p * n_trials + t)];
            const double pot = total - gain;
            if (t == contenders.front() || pot < best_pot) {
                best_pot = pot;
                best = t;
            }
        }
        take(c, candidates[static_cast<size_t>(best)]);
        update_closest(best, c);
    }
}

}  // namespace quickmeans
