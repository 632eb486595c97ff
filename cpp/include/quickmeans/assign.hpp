// assign_labels: the nearest center of every sample, without ever building the
// n x k distance matrix. The SIMD kernel (kernels/nearest_impl.hpp) picks the
// best center per sample from ||c||^2 - 2 x.c in the data's dtype and flags the
// rare sample whose runner-up is within the kernel's rounding bound; those are
// settled here with exact double distances. So the label is the exact argmin
// (lowest index on ties) at every SIMD level.
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
        : k_(k), d_(d), kernels_(active_kernels().template get<T>()),
          k_pad_((k + kernels_.center_block - 1) / kernels_.center_block * kernels_.center_block),
          centers_m2_(static_cast<size_t>(k_pad_ * d), T(0)),
          norms_(static_cast<size_t>(k_pad_), std::numeric_limits<T>::infinity()),
          scratch_(static_cast<size_t>(std::max(1, n_threads))) {
        for (auto& s : scratch_) {
            s.transposed.resize(static_cast<size_t>(kernels_.group_rows * d));
            s.uncertain.resize(static_cast<size_t>(block_rows()));
        }
        // Rounding bound of the kernel's scores (see kernels.hpp), doubled for safety.
        margin_coef_ = static_cast<T>(4.0 * static_cast<double>(d + 2) * std::numeric_limits<T>::epsilon());
    }

    index_t block_rows() const { return 256; }

    // Centers change every iteration; pack them once for the kernel.
    void set_centers(const T* centers) {
        centers_ = centers;
        double max_norm2 = 0.0;
        for (index_t c = 0; c < k_; ++c) {
            const T* cc = centers + c * d_;
            T* packed = centers_m2_.data() + c * d_;
            for (index_t j = 0; j < d_; ++j) packed[j] = T(-2) * cc[j];
            const double norm2 = squared_norm(cc, d_);
            norms_[static_cast<size_t>(c)] = static_cast<T>(norm2);
            max_norm2 = std::max(max_norm2, norm2);
        }
        max_norm2_ = static_cast<T>(max_norm2);  // may round to +inf: then all are settled exactly
    }

    // Labels of rows [begin, end) of x; returns how many differ from the labels
    // already stored there. `slot` picks the scratch buffers (one per thread).
    index_t assign(const DenseView<T>& x, index_t begin, index_t end, label_t* labels, int slot) {
        Scratch& s = scratch_[static_cast<size_t>(slot)];
        std::vector<label_t>& fresh = s.labels;
        fresh.resize(static_cast<size_t>(block_rows()));
        index_t changed = 0;
        for (index_t b = begin; b < end; b += block_rows()) {
            const index_t m = std::min(block_rows(), end - b);
            kernels_.nearest(x.row(b), m, d_, centers_m2_.data(), norms_.data(), k_pad_, margin_coef_,
                             max_norm2_, fresh.data(), s.uncertain.data(), s.transposed.data());
            for (index_t r = 0; r < m; ++r) {
                label_t label = fresh[static_cast<size_t>(r)];
                if (s.uncertain[static_cast<size_t>(r)]) label = exact_nearest(x.row(b + r));
                changed += labels[b + r] != label;
                labels[b + r] = label;
            }
        }
        return changed;
    }

private:
    struct Scratch {
        std::vector<T> transposed;
        std::vector<unsigned char> uncertain;
        std::vector<label_t> labels;
    };

    label_t exact_nearest(const T* xi) const {
        double best = std::numeric_limits<double>::infinity();
        index_t nearest = 0;
        for (index_t c = 0; c < k_; ++c) {
            const double dist = squared_distance(xi, centers_ + c * d_, d_);
            if (dist < best) {
                best = dist;
                nearest = c;
            }
        }
        return static_cast<label_t>(nearest);
    }

    index_t k_, d_;
    Kernels<T> kernels_;
    index_t k_pad_;
    std::vector<T> centers_m2_;
    std::vector<T> norms_;
    const T* centers_ = nullptr;
    T margin_coef_;
    T max_norm2_ = 0;
    std::vector<Scratch> scratch_;
};

}  // namespace quickmeans
