// assign_labels: the nearest center of every sample, without ever building the
// n x k distance matrix. The SIMD kernel (kernels/nearest_impl.hpp) picks the
// best center per sample from ||c||^2 - 2 x.c in the data's dtype and flags the
// rare sample whose runner-up is within the kernel's rounding bound; those are
// settled here with exact double distances. So the label is the exact argmin
// (lowest index on ties) at every SIMD level. Two centers (every split of
// BisectingKMeans) have a kernel of their own (kernels/two_centers_impl.hpp), which sums
// each row's squared differences and reads rows listed by index where they lie.
//
// Double rows are scored in float where the centers' scale allows it: twice the lanes per
// instruction (1M x 8, k=16: predict 8.2 -> 5.9 ms), while rows are still read, shifted
// by the origin, and near ties settled, in double. The rounding bound then uses float's
// epsilon, and a thread whose rows float cannot rank (more than one in 16 of a block
// undecided: rows nearer to ties than float resolves) scores in double until the centers
// change. Labels, and so every result, are the same either way; only the bounds handed to
// the bound-based algorithms differ, and both are valid.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "quickmeans/bound_rounding.hpp"
#include "quickmeans/common.hpp"
#include "quickmeans/distance.hpp"
#include "quickmeans/kernels.hpp"
#include "quickmeans/moving_sums.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

template <class T>
class NearestCenter {
public:
    NearestCenter(index_t k, index_t d, int n_threads)
        : k_(k), d_(d), kernels_(active_kernels().template get<T>()), narrowed_kernel_(active_kernels().nearest_narrowed),
          root_narrowed_(active_kernels().f32.root_bounds),
          block_(kernels_.center_block(d, k)), k_pad_((k + block_ - 1) / block_ * block_),
          origin_(static_cast<size_t>(d), T(0)), centers_m2_(static_cast<size_t>(k_pad_ * d), T(0)),
          norms_(static_cast<size_t>(k_pad_), std::numeric_limits<T>::infinity()),
          scratch_(static_cast<size_t>(std::max(1, n_threads))) {
        for (auto& s : scratch_) {
            s.transposed.resize(static_cast<size_t>(kernels_.group_rows * d));
            s.status.resize(static_cast<size_t>(block_rows()));
            s.labels.resize(static_cast<size_t>(block_rows()));
            s.runner_up.resize(static_cast<size_t>(block_rows()));
            s.bounds_sq.resize(static_cast<size_t>(2 * block_rows()));
            if (kCanNarrow) {
                s.transposed_narrow.resize(static_cast<size_t>(active_kernels().f32.group_rows * d));
                s.bounds_sq_narrow.resize(static_cast<size_t>(2 * block_rows()));
            }
        }
        if (kCanNarrow) {
            // float's centers per tile must match: the packing below is shared.
            can_narrow_ = active_kernels().f32.center_block(d, k) == block_;
            centers_m2_narrow_.assign(static_cast<size_t>(k_pad_ * d), 0.0f);
            norms_narrow_.assign(static_cast<size_t>(k_pad_), std::numeric_limits<float>::infinity());
        }
        // The rounding bound (see margin_coef); float scores of double rows take float's, x'
        // being rounded to float once, as for float rows.
        margin_coef_ = margin_coef<T>(d);
        margin_coef_narrow_ = margin_coef<float>(d);
    }

    index_t block_rows() const { return 256; }

    // Centers change every iteration; pack them once for the kernel, relative to
    // their mean (small norms keep the kernel's rounding bound tight).
    void set_centers(const T* centers) {
        centers_ = centers;
        for (index_t j = 0; j < d_; ++j) {
            double mean = 0.0;
            for (index_t c = 0; c < k_; ++c) mean += static_cast<double>(centers[c * d_ + j]);
            origin_[static_cast<size_t>(j)] = static_cast<T>(mean / static_cast<double>(k_));
        }
        // may round to +inf: then all are settled exactly
        max_norm2_ = static_cast<T>(pack_centers(centers_m2_.data(), norms_.data()));
        if (kCanNarrow) set_narrowed_centers();
        pack_exact_tiles();
    }

    // Labels of rows [begin, end) of x; returns how many differ from the labels
    // already stored there. `slot` picks the scratch buffers (one per thread). Unless null,
    // bounds_sq[2i] and [2i + 1] receive, as float, an upper bound of row i's squared
    // distance to its center and a lower bound of that to every other center (0 for the
    // rare row settled exactly), and `moves` each row whose label changed, with its old one.
    index_t assign(const DenseView<T>& x, index_t begin, index_t end, label_t* labels, int slot,
                   float* bounds_sq = nullptr, Moves* moves = nullptr) {
        Scratch& s = scratch_[static_cast<size_t>(slot)];
        index_t changed = 0;
        for (index_t b = begin; b < end; b += block_rows()) {
            const index_t m = std::min(block_rows(), end - b);
            const bool narrowed = run_kernel(x.row(b), nullptr, m, s, bounds_sq != nullptr);
            if (bounds_sq) copy_bounds(narrowed, s, m, bounds_sq + 2 * b);
            // The rare unsure rows first, so that the copy below is a plain (vectorized) loop.
            for (index_t r = 0; r < m; ++r)
                if (s.status[static_cast<size_t>(r)] != 0)
                    s.labels[static_cast<size_t>(r)] = settled_label(x.row(b + r), r, s);
            const label_t* found = s.labels.data();
            label_t* out = labels + b;
            if (moves) {
                for (index_t r = 0; r < m; ++r)
                    if (out[r] != found[r]) moves->add(b + r, out[r]);
            }
            for (index_t r = 0; r < m; ++r) {
                changed += out[r] != found[r];
                out[r] = found[r];
            }
        }
        return changed;
    }

    // For the bound-based algorithms: labels of m <= block_rows() rows of x, contiguous
    // (listed null: all of a block) or listed by index (the rows whose bounds failed), with
    // upper[r] >= the distance to labels[r] and lower[r] <= the distance to every other
    // center. Rows the kernel could not decide get their exact distance as upper bound and
    // 0 as lower bound.
    void assign_with_bounds(const T* x, const index_t* listed, index_t m, label_t* labels, double* upper,
                            double* lower, int slot) {
        Scratch& s = scratch_[static_cast<size_t>(slot)];
        // The bounds of every row (vectorized, in the kernels), then the labels, with the
        // unsure rows settled and their bounds replaced.
        if (run_kernel(x, listed, m, s, true)) root_narrowed_(s.bounds_sq_narrow.data(), m, upper, lower);
        else kernels_.root_bounds(s.bounds_sq.data(), m, upper, lower);
        for (index_t r = 0; r < m; ++r) {
            labels[r] = s.labels[static_cast<size_t>(r)];
            if (s.status[static_cast<size_t>(r)] == 0) continue;
            const T* xr = x + (listed ? listed[r] : r) * d_;
            const label_t label = settled_label(xr, r, s);
            labels[r] = label;
            upper[r] = std::sqrt(squared_distance(xr, centers_ + label * d_, d_));
            lower[r] = 0.0;
        }
    }

    // Rows with NaN, inf or |value| > magnitude_limit(d) that assign() had to settle
    // exactly since the last call; resets the count.
    index_t take_nonfinite() {
        index_t total = 0;
        for (auto& s : scratch_) {
            total += s.nonfinite;
            s.nonfinite = 0;
        }
        return total;
    }

private:
    bool row_in_range(const T* xi) const {
        const double limit = magnitude_limit(d_);
        for (index_t j = 0; j < d_; ++j)
            if (!(std::abs(static_cast<double>(xi[j])) <= limit)) return false;  // NaN too
        return true;
    }

    struct Scratch {
        std::vector<T> transposed;
        std::vector<unsigned char> status;
        std::vector<label_t> labels;
        std::vector<label_t> runner_up;
        std::vector<T> bounds_sq;
        std::vector<float> transposed_narrow, bounds_sq_narrow;  // double rows scored in float
        bool widened = false;  // float could not rank this thread's rows: double until set_centers
        index_t nonfinite = 0;
    };

    static constexpr bool kCanNarrow = std::is_same<T, double>::value;

    // The kernel's squared bounds of a block as float (rounded outwards from double) and
    // the lower bound of every row it was unsure of zeroed (its label is settled exactly).
    void copy_bounds(bool narrowed, const Scratch& s, index_t m, float* out) const {
        if constexpr (std::is_same<T, float>::value) {
            (void)narrowed;
            std::copy(s.bounds_sq.begin(), s.bounds_sq.begin() + 2 * m, out);
        } else if (narrowed) {
            std::copy(s.bounds_sq_narrow.begin(), s.bounds_sq_narrow.begin() + 2 * m, out);
        } else {
            for (index_t r = 0; r < m; ++r) {
                out[2 * r] = stored_upper(s.bounds_sq[static_cast<size_t>(2 * r)]);
                out[2 * r + 1] = stored_lower(s.bounds_sq[static_cast<size_t>(2 * r + 1)]);
            }
        }
        for (index_t r = 0; r < m; ++r)
            if (s.status[static_cast<size_t>(r)] != 0) out[2 * r + 1] = 0.0f;
    }

    // Per-score rounding error is at most (d+2) u (3 max|c'|^2 + |x'|^2) for the
    // expansion, plus 4 u (|x'|^2 + |c'|^2) for shifting x and c by the origin
    // (x' = x - origin, u = eps/2, eps that of the scores' type U). The margin,
    // 8 (d+2) u (3 max|c'|^2 + |x'|^2), exceeds twice their sum: two scores farther apart
    // than it are ordered right.
    template <class U>
    static U margin_coef(index_t d) {
        return static_cast<U>(4.0 * static_cast<double>(d + 2) * static_cast<double>(std::numeric_limits<U>::epsilon()));
    }

    // The centers less the origin, rounded to U once, packed for the kernel as -2 c' in tiles
    // of block_ (see Kernels) with their squared norms; returns the largest of those norms.
    template <class U>
    double pack_centers(U* centers_m2, U* norms) const {
        double max_norm2 = 0.0;
        for (index_t c = 0; c < k_; ++c) {
            const T* cc = centers_ + c * d_;
            U* packed = centers_m2 + (c / block_) * block_ * d_ + c % block_;
            double norm2 = 0.0;
            for (index_t j = 0; j < d_; ++j) {
                const U shifted = static_cast<U>(cc[j] - origin_[static_cast<size_t>(j)]);
                packed[j * block_] = U(-2) * shifted;
                norm2 += static_cast<double>(shifted) * static_cast<double>(shifted);
            }
            norms[static_cast<size_t>(c)] = static_cast<U>(norm2);
            max_norm2 = std::max(max_norm2, norm2);
        }
        return max_norm2;
    }

    // Float copies of the packed centers, and whether float scores are used: only where the
    // shifted centers' squared norms lie well inside float's range (no overflow; no
    // underflow large enough to escape the rounding bound, which scales with them).
    void set_narrowed_centers() {
        for (Scratch& s : scratch_) s.widened = false;
        narrowed_ = false;
        if (!can_narrow_ || k_ == 2) return;  // two centers have a kernel of their own
        const double max_norm2 = pack_centers(centers_m2_narrow_.data(), norms_narrow_.data());
        max_norm2_narrow_ = static_cast<float>(max_norm2);
        narrowed_ = max_norm2 >= 1e-30 && max_norm2 <= 1e30;
    }

    // Scores a block of rows (contiguous at `rows`, or listed by index from there, read where
    // they lie); returns true when it was scored in float (its bounds, if asked for, are then
    // in bounds_sq_narrow, else in bounds_sq).
    bool run_kernel(const T* rows, const index_t* listed, index_t m, Scratch& s, bool bounds) const {
        if (k_ == 2) {  // every split of BisectingKMeans: a kernel that reads listed rows in place
            kernels_.nearest_two(rows, listed, m, d_, centers_, margin_coef_, s.labels.data(), s.runner_up.data(),
                                 s.status.data(), bounds ? s.bounds_sq.data() : nullptr);
            return false;
        }
        if constexpr (kCanNarrow) {
            if (narrowed_ && !s.widened) {
                narrowed_kernel_(rows, listed, m, d_, origin_.data(), centers_m2_narrow_.data(), norms_narrow_.data(),
                                 k_pad_, margin_coef_narrow_, max_norm2_narrow_, s.labels.data(), s.runner_up.data(),
                                 s.status.data(), s.transposed_narrow.data(),
                                 bounds ? s.bounds_sq_narrow.data() : nullptr);
                index_t unsure = 0;
                for (index_t r = 0; r < m; ++r) unsure += s.status[static_cast<size_t>(r)] != 0;
                if (unsure <= m / 16 + 1) return true;
                s.widened = true;  // exact settling of so many rows costs more than double scores
            }
        }
        kernels_.nearest(rows, listed, m, d_, origin_.data(), centers_m2_.data(), norms_.data(), k_pad_, margin_coef_,
                         max_norm2_, s.labels.data(), s.runner_up.data(), s.status.data(), s.transposed.data(),
                         bounds ? s.bounds_sq.data() : nullptr);
        return false;
    }

    // Row r of the kernel's last block, its label settled exactly where the kernel was unsure.
    label_t settled_label(const T* xr, index_t r, Scratch& s) const {
        const label_t label = s.labels[static_cast<size_t>(r)];
        const unsigned char status = s.status[static_cast<size_t>(r)];
        if (status == 0) return label;
        // Every NaN/inf row lands here (its scores or margin are not finite): counted, so
        // predict can skip a separate finiteness pass over X. So are rows too large for
        // exact distances (all inf: a tie, a wrong label).
        if (!row_in_range(xr)) ++s.nonfinite;
        return status == 1 ? exact_nearer(xr, label, s.runner_up[static_cast<size_t>(r)]) : exact_nearest(xr);
    }

    // The exactly nearer of two centers, the lower index on a tie.
    label_t exact_nearer(const T* xi, label_t a, label_t b) const {
        const double da = squared_distance(xi, centers_ + a * d_, d_);
        const double db = squared_distance(xi, centers_ + b * d_, d_);
        if (da != db) return da < db ? a : b;
        return std::min(a, b);
    }

    label_t exact_nearest(const T* xi) const { return kernels_.nearest_exactly(xi, d_, exact_tiles_.data(), k_); }

    // The centers as they are, in the tiles nearest_exactly reads.
    void pack_exact_tiles() {
        const index_t b = kernels_.exact_block;
        exact_tiles_.assign(static_cast<size_t>((k_ + b - 1) / b * b * d_), T(0));
        for (index_t c = 0; c < k_; ++c) {
            T* packed = exact_tiles_.data() + (c / b) * b * d_ + c % b;
            for (index_t j = 0; j < d_; ++j) packed[j * b] = centers_[c * d_ + j];
        }
    }

    index_t k_, d_;
    Kernels<T> kernels_;
    decltype(KernelSet::nearest_narrowed) narrowed_kernel_;
    decltype(Kernels<float>::root_bounds) root_narrowed_;
    index_t block_;  // centers per packed tile
    index_t k_pad_;
    std::vector<T> origin_;
    std::vector<T> centers_m2_;
    std::vector<T> norms_;
    const T* centers_ = nullptr;
    T margin_coef_;
    T max_norm2_ = 0;
    bool can_narrow_ = false, narrowed_ = false;
    std::vector<float> centers_m2_narrow_, norms_narrow_;
    std::vector<T> exact_tiles_;  // for the rows no kernel could rank
    float margin_coef_narrow_ = 0, max_norm2_narrow_ = 0;
    std::vector<Scratch> scratch_;
};

// The nearest-center finder for a kind of view of X (dense here, CSR in csr_assign.hpp).
template <class View>
struct NearestFor;

template <class T>
struct NearestFor<DenseView<T>> {
    using type = NearestCenter<T>;
};

}  // namespace quickmeans
