// The trial pass of k-means++ seeding on dense rows, with most distances skipped.
//
// A trial's potential is the current one less its gain: the sum, over the rows the
// candidate improves, of w * (closest - dist), where dist is the exact (double,
// point_distances) distance to the candidate. So dist is needed only where it may be
// below closest, and exactly only where it is, and only for the trials that may win:
// - the triangle inequality (as in "exact accelerated k-means++"): if the row's closest
//   center a has ||a - cand|| >= 2 ||x - a||, the candidate is no closer than a. One test
//   per row against the nearest of the step's candidates to a skips all of them;
// - for float32 rows, the others are screened by float32 distances (twice the lanes, no
//   conversion): one above closest by more than its rounding bound proves the exact one
//   is not below closest. The rows left (the survivors) are kept per trial, and their float
//   distances bound each trial's gain from below and above. Only the leader and the trials
//   whose bounds reach its lower bound get exact distances (settle()), on their survivors,
//   so the choice is the one exact gains make;
// - float64 rows (no screen) get exact distances for every kept row and trial.
// Each chunk's gains are summed in row order, so they do not depend on the thread count.
//
// Rounding bounds (u = 2^-53, uf = 2^-24, computations of n terms off by at most
// n u relative, plus an absolute underflow term): the exact kernel's distance E and a
// double squared_distance are within g = (d + 4) 2^-52 (relative) and a = (d + 2) 2^-1070 of
// the true value; the float32 screen within gf = (d + 2) uf / (1 - (d + 2) uf) and
// af = (d + 4) 2^-145 of it.
// - Triangle: with M the computed ||a - cand||^2 and D = closest, M >= 4 (1 + 4 g) D + 8 a
//   gives the true ||a - cand|| >= 2 sqrt((D + a) / (1 - g)) >= 2 ||x - a|| bounded so
//   that (1 - g) ||x - cand||^2 - a >= D, hence E >= D.
// - Screen: S > ((D + a)(1 + 2 gf) + af)(1 + 2^-22), rounded to float, gives the true
//   ||x - cand||^2 >= (D + a) / (1 - g), hence again E >= D.
// - Gain bounds: a survivor's float distance S puts E within
//   [((S - af) / (1 + gf)) (1 - g) - a, ((S + af) / (1 - gf)) (1 + g) + a], widened by 2^-40
//   for the rounding of these few operations (S not finite: E in [0, inf)).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "quickmeans/common.hpp"
#include "quickmeans/distance.hpp"
#include "quickmeans/kernels.hpp"
#include "quickmeans/parallel.hpp"
#include "quickmeans/rows.hpp"
#include "quickmeans/bits.hpp"

namespace quickmeans {

// Row r of a chunk is closer (at dist) to a trial's candidate than to its center (at
// closest), weight w: adds its gain, sets its bit and appends its distance. Both the dense
// and the sparse trial passes record improvements, in row order, through this.
inline void record_improvement(index_t r, double closest, double dist, double w, double& gain,
                               std::uint64_t* improved, std::vector<double>& taken) {
    gain += w * (closest - dist);
    improved[r / 64] |= std::uint64_t(1) << (r % 64);
    taken.push_back(dist);
}

template <class T>
class PrunedTrials {
public:
    // chunks: the driver's fixed chunks (rows per chunk at most chunk_rows, words of
    // improved bits per chunk and trial).
    PrunedTrials(const DenseView<T>& x, const double* sample_weight, const RangeSplit& chunks,
                 index_t chunk_rows, index_t words, index_t n_trials, index_t k, int threads)
        : x_(x), w_(sample_weight), chunks_(chunks), words_(words),
          n_trials_(n_trials), kernel_set_(active_kernels()), kern_(kernel_set_.template get<T>()),
          min_gap_(static_cast<size_t>(k)), buffers_(static_cast<size_t>(threads)) {
        const double d = static_cast<double>(x.d);
        const double g = (d + 4) * std::ldexp(1.0, -52);
        absolute_ = (d + 2) * std::ldexp(1.0, -1070);
        prune_factor_ = 4 * (1 + 4 * g);
        prune_offset_ = 8 * absolute_;
        const double uf = (d + 2) * std::ldexp(1.0, -24);
        screen_ = std::is_same_v<T, float> && uf < 0.25;
        const double gf = uf / (1 - uf), af = (d + 4) * std::ldexp(1.0, -145);
        screen_factor_ = (1 + 2 * gf) * (1 + std::ldexp(1.0, -22));
        screen_offset_ = af * (1 + std::ldexp(1.0, -22));
        const double widen = std::ldexp(1.0, -40);
        exact_low_scale_ = (1 - g) / (1 + gf) * (1 - widen);
        exact_high_scale_ = (1 + g) / (1 - gf) * (1 + widen);
        screen_absolute_ = af;
        const index_t row_bytes = x.d * static_cast<index_t>(sizeof(T));
        prefetch_lines_ = row_bytes <= 256 ? (row_bytes + 63) / 64 : 0;
        const index_t group = kern_.distance_rows;
        const index_t screen_groups = chunk_rows / kernel_set_.screen_rows + 1;
        for (Buffers& b : buffers_) {
            b.rows.resize(static_cast<size_t>(chunk_rows));
            b.thresholds.resize(static_cast<size_t>(chunk_rows));
            b.near.resize(static_cast<size_t>(n_trials * screen_groups));
            b.screened.resize(static_cast<size_t>(n_trials * screen_groups * kernel_set_.screen_rows));
            b.listed_dist.resize(static_cast<size_t>(group * n_trials));
            b.packed.resize(static_cast<size_t>(group * x.d));
            b.scratch.resize(static_cast<size_t>(group * x.d));
            b.screen_scratch.resize(static_cast<size_t>(kernel_set_.screen_rows * x.d));
        }
        if (screen_) {
            const size_t slots = static_cast<size_t>(chunks.parts * n_trials);
            survivors_.resize(slots);
            gain_low_.resize(slots);
            gain_high_.resize(slots);
        }
    }

    // Whether run() leaves bounds on the gains (gain_bounds), and settle() the exact gains of
    // the trials that may win; else run() leaves every trial's exact gain.
    bool bounded() const { return screen_; }

    // One step. For each chunk p and trial t (slot p * n_trials + t), the exact gain is the
    // sum, in row order, of w * (closest - dist) over the rows where the exact distance
    // dist to candidate t is below closest; those rows are its improvements. Unless
    // bounded(), run() leaves it in gains[slot], the improvements' bits in improved (words
    // per slot) and their distances, in row order, in taken[slot]; else settle() does, for
    // the trials it is given. labels[i]: the index (among the n_centers in `centers`) of a
    // center at distance closest[i].
    void run(const T* centers, index_t n_centers, const T* candidates, const double* closest,
             const label_t* labels, double* gains, std::uint64_t* improved, std::vector<double>* taken,
             int threads) {
        const index_t d = x_.d;
        parallel_for((n_centers + 63) / 64, threads, [&](index_t block) {
            const index_t stop = std::min(n_centers, (block + 1) * 64);
            for (index_t c = block * 64; c < stop; ++c) {
                double gap = kInf;
                for (index_t t = 0; t < n_trials_; ++t)
                    gap = std::min(gap, squared_distance(centers + c * d, candidates + t * d, d));
                min_gap_[static_cast<size_t>(c)] = gap;
            }
        });
        parallel_for(chunks_.parts, threads, [&](index_t p) {
            chunk(p, candidates, closest, labels, gains + p * n_trials_, improved + p * n_trials_ * words_,
                  taken + p * n_trials_, buffers_[static_cast<size_t>(thread_id())]);
        });
    }

    // After run(), when bounded(): each trial's gain lies in [low[t], high[t]] (sums over the
    // chunks in order, each term rounded by at most 2^-52 of itself).
    void gain_bounds(double* low, double* high) const {
        for (index_t t = 0; t < n_trials_; ++t) low[t] = high[t] = 0.0;
        for (index_t p = 0; p < chunks_.parts; ++p)
            for (index_t t = 0; t < n_trials_; ++t) {
                low[t] += gain_low_[static_cast<size_t>(p * n_trials_ + t)];
                high[t] += gain_high_[static_cast<size_t>(p * n_trials_ + t)];
            }
    }

    // After run(), when bounded(): the exact gains, improvements and their distances (as
    // run() documents) of the `count` listed trials, from their survivors.
    void settle(const index_t* trials, index_t count, const T* candidates, const double* closest, double* gains,
                std::uint64_t* improved, std::vector<double>* taken, int threads) {
        const index_t d = x_.d, group = kern_.distance_rows;
        parallel_for(chunks_.parts, threads, [&](index_t p) {
            Buffers& b = buffers_[static_cast<size_t>(thread_id())];
            const index_t begin = chunks_.begin(p);
            for (index_t q = 0; q < count; ++q) {
                const index_t t = trials[q];
                const std::vector<index_t>& rows = survivors_[static_cast<size_t>(p * n_trials_ + t)];
                const index_t listed = static_cast<index_t>(rows.size());
                for (index_t i = 0; i < listed; i += group)
                    exact(b, rows.data() + i, std::min(group, listed - i), candidates + t * d, t, 1, begin, closest,
                          gains + p * n_trials_, improved + p * n_trials_ * words_, taken + p * n_trials_);
            }
        });
    }

private:
    static constexpr double kInf = std::numeric_limits<double>::infinity();

    struct Buffers {
        std::vector<index_t> rows;          // rows the triangle test keeps
        std::vector<float> thresholds;      // their screen thresholds
        std::vector<std::uint32_t> near;    // the screen's bits: n_trials x groups of kept rows
        std::vector<float> screened;        // the screen's distances, in the same order
        std::vector<double> listed_dist;    // the exact kernel's distances for a group of rows
        std::vector<T> packed;
        std::vector<double> scratch;
        std::vector<float> screen_scratch;
    };

    // Exact distances of the `count` rows listed in `rows` (in increasing order, from the
    // chunk at `begin`) to `t` candidates from `first`, trials t0..t0 + t: adds the gains
    // of the rows they improve, sets those rows' bits and appends their distances.
    void exact(Buffers& b, const index_t* rows, index_t count, const T* first, index_t t0, index_t t, index_t begin,
               const double* closest, double* gains, std::uint64_t* improved, std::vector<double>* taken) {
        const index_t d = x_.d;
        kern_.gather_rows(x_.data, d, rows, count, b.packed.data());
        kern_.point_distances(b.packed.data(), count, d, first, t, b.listed_dist.data(), count, b.scratch.data());
        for (index_t q = 0; q < t; ++q) {
            double gain = gains[t0 + q];
            std::uint64_t* bits = improved + (t0 + q) * words_;
            for (index_t i = 0; i < count; ++i) {
                const index_t row = rows[i];
                const double e = b.listed_dist[static_cast<size_t>(q * count + i)];
                if (e < closest[row])
                    record_improvement(row - begin, closest[row], e, weight_of(w_, row), gain, bits, taken[t0 + q]);
            }
            gains[t0 + q] = gain;
        }
    }

    // gains, improved, taken: this chunk's slots.
    void chunk(index_t p, const T* candidates, const double* closest, const label_t* labels, double* gains,
               std::uint64_t* improved, std::vector<double>* taken, Buffers& b) {
        const index_t begin = chunks_.begin(p), m = chunks_.end(p) - begin, d = x_.d;
        const index_t group = kern_.distance_rows;
        std::fill(gains, gains + n_trials_, 0.0);
        std::fill(improved, improved + n_trials_ * words_, std::uint64_t(0));
        for (index_t t = 0; t < n_trials_; ++t) taken[t].clear();
        // Rows the triangle test keeps (branch-free: about half are kept, at random). The
        // screen reads them by index, which the hardware prefetcher does not follow well:
        // short rows are fetched here (a chunk of them fits in L2).
        index_t kept = 0;
        {
            index_t* rows = b.rows.data();
            float* thresholds = b.thresholds.data();
            const double* gap = min_gap_.data();
            const double absolute = absolute_, screen_factor = screen_factor_, screen_offset = screen_offset_;
            const double prune_factor = prune_factor_, prune_offset = prune_offset_;
            const char* row_bytes = reinterpret_cast<const char*>(x_.row(begin));
            const index_t lines = prefetch_lines_, stride = d * static_cast<index_t>(sizeof(T));
            const index_t last_byte = stride - 1;
            for (index_t i = begin; i < begin + m; ++i) {
                const double dc = closest[i];
                const bool keep = !(gap[labels[i]] >= prune_factor * dc + prune_offset);
                // Only kept rows are fetched (a pruned row's prefetch goes to `closest`, in
                // cache): X is most of the step's memory traffic, and about half is pruned.
                const char* target = keep ? row_bytes : reinterpret_cast<const char*>(closest + i);
                for (index_t line = 0; line < lines; ++line) __builtin_prefetch(target + 64 * line);
                if (lines > 0) __builtin_prefetch(target + last_byte);  // a row off line boundaries ends in one more
                row_bytes += stride;
                rows[kept] = i;
                thresholds[kept] = static_cast<float>((dc + absolute) * screen_factor + screen_offset);
                kept += keep;
            }
        }
        if (!screen_) {  // exact distances for every kept row and trial
            for (index_t i = 0; i < kept; i += group)
                exact(b, b.rows.data() + i, std::min(group, kept - i), candidates, 0, n_trials_, begin, closest,
                      gains, improved, taken);
            return;
        }
        // Each trial's survivors, and the bounds their float distances put on its gain.
        const index_t screen_group = kernel_set_.screen_rows;
        const index_t groups = (kept + screen_group - 1) / screen_group;
        if constexpr (std::is_same_v<T, float>)
            if (kept > 0)
                kernel_set_.screen_f32(x_.data, b.rows.data(), kept, d, candidates, n_trials_, b.thresholds.data(),
                                       b.near.data(), b.screened.data(), b.screen_scratch.data());
        const double low_scale = exact_low_scale_, high_scale = exact_high_scale_;
        const double screen_absolute = screen_absolute_, absolute = absolute_;
        for (index_t t = 0; t < n_trials_; ++t) {
            const size_t slot = static_cast<size_t>(p * n_trials_ + t);
            std::vector<index_t>& survivors = survivors_[slot];
            survivors.clear();
            double low = 0.0, high = 0.0;
            const std::uint32_t* near = b.near.data() + t * groups;
            const float* screened = b.screened.data() + t * groups * screen_group;
            for (index_t g = 0; g < groups; ++g)
                for (std::uint32_t word = near[g]; word; word &= word - 1) {
                    const index_t r = g * screen_group + lowest_bit(word);
                    const index_t row = b.rows[static_cast<size_t>(r)];
                    const double s = static_cast<double>(screened[r]), dc = closest[row], w = weight_of(w_, row);
                    double exact_low = 0.0, exact_high = kInf;
                    if (std::isfinite(s)) {
                        exact_low = std::max(0.0, (s - screen_absolute) * low_scale - absolute);
                        exact_high = (s + screen_absolute) * high_scale + absolute;
                    }
                    low += w * std::max(0.0, dc - exact_high);
                    high += w * std::max(0.0, dc - exact_low);
                    survivors.push_back(row);
                }
            gain_low_[slot] = low;
            gain_high_[slot] = high;
        }
    }

    DenseView<T> x_;
    const double* w_;
    RangeSplit chunks_;
    index_t words_, n_trials_;
    const KernelSet& kernel_set_;
    const Kernels<T>& kern_;
    std::vector<double> min_gap_;  // per center: squared distance to the nearest candidate
    std::vector<Buffers> buffers_;
    // Per chunk and trial (bounded() only): the rows the screen leaves, and its gain bounds.
    std::vector<std::vector<index_t>> survivors_;
    std::vector<double> gain_low_, gain_high_;
    double absolute_, prune_factor_, prune_offset_, screen_factor_, screen_offset_;
    double exact_low_scale_, exact_high_scale_, screen_absolute_;  // a survivor's exact distance from its float one
    bool screen_;
    index_t prefetch_lines_;  // cache lines per row to prefetch (0: rows too long)
};

}  // namespace quickmeans
