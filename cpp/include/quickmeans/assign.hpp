// assign_labels: the nearest center of every sample, without ever building the
// n x k distance matrix. A SIMD kernel scores a block of rows against all centers
// (||c||^2 - 2 x.c, in the data's dtype); any center whose score is within the
// kernel's rounding bound of the best is then compared exactly in double, so the
// label is the exact argmin (lowest index on ties) at every SIMD level.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "quickmeans/common.hpp"
#include "quickmeans/distance.hpp"
#include "quickmeans/kernels.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

template <class T>
class NearestCenter {
public:
    NearestCenter(index_t k, index_t d, int n_threads)
        : k_(k), d_(d), ks_(round_up(k)), block_(block_rows(ks_)),
          kernels_(active_kernels().template get<T>()),
          centers_t_(static_cast<size_t>(d * ks_), T(0)), norms_(static_cast<size_t>(ks_), T(0)),
          scratch_(static_cast<size_t>(std::max(1, n_threads))) {
        for (auto& s : scratch_) s.resize(static_cast<size_t>(block_ * ks_));
    }

    index_t block_rows() const { return block_; }

    // Centers change every iteration; pack them once for the kernel.
    void set_centers(const T* centers) {
        centers_ = centers;
        double max_norm = 0.0;
        for (index_t c = 0; c < k_; ++c) {
            const T* cc = centers + c * d_;
            for (index_t j = 0; j < d_; ++j) centers_t_[j * ks_ + c] = cc[j];
            const double nrm = squared_norm(cc, d_);
            norms_[c] = static_cast<T>(nrm);
            max_norm = std::max(max_norm, std::sqrt(nrm));
        }
        max_center_norm_ = max_norm;
    }

    // Labels of rows [begin, end) of x; returns how many differ from the labels
    // already stored there. `slot` picks the scratch buffer (one per thread).
    index_t assign(const DenseView<T>& x, index_t begin, index_t end, label_t* labels, int slot) {
        T* scores = scratch_[static_cast<size_t>(slot)].data();
        index_t changed = 0;
        for (index_t b = begin; b < end; b += block_) {
            const index_t m = std::min(block_, end - b);
            kernels_.center_scores(x.row(b), m, d_, centers_t_.data(), norms_.data(), k_, ks_, scores);
            for (index_t r = 0; r < m; ++r) {
                const label_t label = settle(x.row(b + r), scores + r * ks_);
                changed += labels[b + r] != label;
                labels[b + r] = label;
            }
        }
        return changed;
    }

private:
    static index_t round_up(index_t k) { return (k + 15) / 16 * 16; }
    static index_t block_rows(index_t ks) {
        // about 64 KiB of scores per block: stays in L2 next to the centers
        const index_t rows = (64 * 1024) / (ks * static_cast<index_t>(sizeof(T)));
        return std::max<index_t>(4, std::min<index_t>(256, rows / 4 * 4));
    }

    label_t settle(const T* xi, const T* s) const {
        index_t best = 0;
        T best_score = s[0];
        for (index_t c = 1; c < k_; ++c) {
            if (s[c] < best_score) {
                best_score = s[c];
                best = c;
            }
        }
        // Rounding bound of the kernel's score: gamma_{d+2} (2||c||^2 + 2||x|| ||c||),
        // doubled for safety. Anything within twice that of the best may be nearest.
        const double unit = std::numeric_limits<T>::epsilon() * 0.5;
        const double xn = std::sqrt(squared_norm(xi, d_));
        const double cn = max_center_norm_;
        const double bound = 4.0 * static_cast<double>(d_ + 2) * unit * (cn * cn + xn * cn) +
                             std::numeric_limits<double>::min();
        const double limit = static_cast<double>(best_score) + 2.0 * bound;
        if (!std::isfinite(limit)) return exact_nearest(xi, 0, k_);
        index_t candidates = 0;
        // NaN scores (float overflow) count as candidates and are settled exactly.
        for (index_t c = 0; c < k_; ++c) candidates += !(static_cast<double>(s[c]) > limit);
        if (candidates == 1) return static_cast<label_t>(best);
        double best_exact = std::numeric_limits<double>::infinity();
        index_t nearest = best;
        for (index_t c = 0; c < k_; ++c) {
            if (static_cast<double>(s[c]) > limit) continue;  // provably farther
            const double dist = squared_distance(xi, centers_ + c * d_, d_);
            if (dist < best_exact) {
                best_exact = dist;
                nearest = c;
            }
        }
        return static_cast<label_t>(nearest);
    }

    label_t exact_nearest(const T* xi, index_t c0, index_t c1) const {
        double best_exact = std::numeric_limits<double>::infinity();
        index_t nearest = c0;
        for (index_t c = c0; c < c1; ++c) {
            const double dist = squared_distance(xi, centers_ + c * d_, d_);
            if (dist < best_exact) {
                best_exact = dist;
                nearest = c;
            }
        }
        return static_cast<label_t>(nearest);
    }

    index_t k_, d_, ks_, block_;
    Kernels<T> kernels_;
    std::vector<T> centers_t_;
    std::vector<T> norms_;
    const T* centers_ = nullptr;
    double max_center_norm_ = 0.0;
    std::vector<std::vector<T>> scratch_;
};

}  // namespace quickmeans
