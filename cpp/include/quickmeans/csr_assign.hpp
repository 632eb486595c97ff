// Nearest centers for sparse rows. Scores ||c||^2 - 2 x.c are accumulated in
// double from the row's entries against the centers stored feature-major (one
// k-long multiply-add per stored entry), so a row costs O(nnz * k). A row whose
// best and second-best scores lie within the rounding bound is settled with the
// exact distance (csr.hpp's row_distance, the same bits as the dense path; in
// O(nnz + support) for a center with few nonzeros, csr_support.hpp), so labels equal
// the dense path's on the densified data.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "quickmeans/assign.hpp"
#include "quickmeans/common.hpp"
#include "quickmeans/csr.hpp"
#include "quickmeans/csr_support.hpp"
#include "quickmeans/inertia.hpp"
#include "quickmeans/kernels.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

template <class T, class I>
class CsrNearestCenter {
public:
    CsrNearestCenter(index_t k, index_t d, int n_threads)
        : k_(k), d_(d), kernels_(active_kernels().template get<T>()),
          k_pad_((k + kernels_.sparse_center_block - 1) / kernels_.sparse_center_block *
                 kernels_.sparse_center_block),
          by_feature_(static_cast<size_t>(k_pad_ * d), 0.0), norms_(static_cast<size_t>(k)),
          threads_(std::max(1, n_threads)), scores_(static_cast<size_t>(threads_)) {
        for (auto& s : scores_) s.resize(static_cast<size_t>(k_pad_));
        // Score error: at most (d + nnz + 2) u (|x|^2 + |c|^2) times a small factor for
        // the expansion, and (d + 2) u 2 (|x|^2 + |c|^2) for the exact distance it must
        // agree with (u = eps/2, nnz <= d). Twice their sum is below this margin.
        margin_coef_ = 8.0 * static_cast<double>(d + 4) * std::numeric_limits<double>::epsilon();
    }

    // Every step, k x d values (megabytes for text) normed, scanned for their supports and
    // transposed: on all threads, each value computed as by one (a center's norm in feature
    // order; a block of features transposed per task).
    void set_centers(const T* centers) {
        centers_ = centers;
        supports_.set(centers, k_, d_, threads_);
        parallel_for(k_, threads_, [&](index_t c) {
            double norm2 = 0.0;
            for (index_t j = 0; j < d_; ++j) {
                const double v = static_cast<double>(centers[c * d_ + j]);
                norm2 += v * v;
            }
            norms_[static_cast<size_t>(c)] = norm2;
        });
        max_norm2_ = *std::max_element(norms_.begin(), norms_.end());
        constexpr index_t kBlock = 256;  // k x 2 KiB read, k_pad x 2 KiB written per task
        parallel_for((d_ + kBlock - 1) / kBlock, threads_, [&](index_t b) {
            const index_t j1 = std::min(d_, (b + 1) * kBlock);
            for (index_t c = 0; c < k_; ++c)
                for (index_t j = b * kBlock; j < j1; ++j)
                    by_feature_[static_cast<size_t>(j * k_pad_ + c)] = static_cast<double>(centers[c * d_ + j]);
        });
    }

    // Labels of rows [begin, end); returns how many differ from those stored there, and
    // records each in `moves` (with its old label) unless null.
    index_t assign(const CsrView<T, I>& x, index_t begin, index_t end, label_t* labels, int slot,
                   Moves* moves = nullptr) {
        double* scores = scores_[static_cast<size_t>(slot)].data();
        index_t changed = 0;
        for (index_t i = begin; i < end; ++i) {
            const label_t label = nearest(x, i, scores);
            if (labels[i] != label) {
                ++changed;
                if (moves) moves->add(i, labels[i]);
            }
            labels[i] = label;
        }
        return changed;
    }

private:
    label_t nearest(const CsrView<T, I>& x, index_t i, double* scores) const {
        const index_t b = x.begin(i);
        static_assert(std::is_same_v<I, std::int32_t> || std::is_same_v<I, std::int64_t>);
        if constexpr (std::is_same_v<I, std::int32_t>)
            kernels_.sparse_dots_i32(x.data + b, x.indices + b, x.end(i) - b, by_feature_.data(), k_pad_, scores);
        else
            kernels_.sparse_dots_i64(x.data + b, x.indices + b, x.end(i) - b, by_feature_.data(), k_pad_, scores);
        double best = std::numeric_limits<double>::infinity(), second = best;
        index_t best_c = 0;
        for (index_t c = 0; c < k_; ++c) {
            const double s = norms_[static_cast<size_t>(c)] - 2.0 * scores[c];
            scores[c] = s;
            if (s < best) {
                second = best;
                best = s;
                best_c = c;
            } else if (s < second) {
                second = s;
            }
        }
        const double margin = margin_coef_ * (x.norms2[i] + max_norm2_);
        if (second - best > margin) return static_cast<label_t>(best_c);  // false for NaN
        // Settle exactly among the centers that could be nearest (lowest index on ties).
        double best_exact = std::numeric_limits<double>::infinity();
        index_t nearest = best_c;
        for (index_t c = 0; c < k_; ++c) {
            if (scores[c] > best + margin) continue;
            const double dist = supports_.distance(x, i, c, centers_ + c * d_);
            if (dist < best_exact) {
                best_exact = dist;
                nearest = c;
            }
        }
        return static_cast<label_t>(nearest);
    }

    index_t k_, d_;
    Kernels<T> kernels_;
    index_t k_pad_;                   // k rounded up to the kernel's block (padding is zero)
    std::vector<double> by_feature_;  // d x k_pad: centers feature-major
    std::vector<double> norms_;
    double max_norm2_ = 0.0;
    double margin_coef_;
    int threads_;
    const T* centers_ = nullptr;
    CenterSupports supports_;  // nonzero coordinates of the sparse centers, for exact distances
    std::vector<std::vector<double>> scores_;  // one k-long buffer per thread
};

template <class T, class I>
struct NearestFor<CsrView<T, I>> {
    using type = CsrNearestCenter<T, I>;
};

// Returns 0: the Python layer checks sparse values before (they are few).
template <class T, class I>
index_t assign_labels(const CsrView<T, I>& x, const T* centers, index_t k, label_t* labels, int n_threads) {
    CsrNearestCenter<T, I> nearest(k, x.d, n_threads);
    nearest.set_centers(centers);
    const RangeSplit chunks = fixed_chunks(x.n, 1024);
    parallel_for(chunks.parts, n_threads, [&](index_t p) {
        nearest.assign(x, chunks.begin(p), chunks.end(p), labels, thread_id());
    });
    return 0;
}

// Squared norms of k dense centers, in double.
template <class T>
std::vector<double> center_norms2(const T* centers, index_t k, index_t d) {
    std::vector<double> out(static_cast<size_t>(k));
    for (index_t c = 0; c < k; ++c) {
        double s = 0.0;
        for (index_t j = 0; j < d; ++j) s += static_cast<double>(centers[c * d + j]) * centers[c * d + j];
        out[static_cast<size_t>(c)] = s;
    }
    return out;
}

// Inertia by the expansion, each term clipped at 0 (exact distances would cost O(d)
// per row); fixed chunks summed in order.
template <class T, class I>
double inertia(const CsrView<T, I>& x, const double* sample_weight, const T* centers, const label_t* labels,
               int n_threads) {
    index_t k = 0;
    for (index_t i = 0; i < x.n; ++i) k = std::max<index_t>(k, labels[i] + 1);
    const std::vector<double> norms = center_norms2(centers, k, x.d);
    const RangeSplit chunks = fixed_chunks(x.n);
    std::vector<double> partial(static_cast<size_t>(chunks.parts), 0.0);
    parallel_for(chunks.parts, n_threads, [&](index_t p) {
        double acc = 0.0;
        for (index_t i = chunks.begin(p); i < chunks.end(p); ++i) {
            const index_t c = labels[i];
            acc += weight_of(sample_weight, i) * expanded_distance(x, i, centers + c * x.d, norms[static_cast<size_t>(c)]);
        }
        partial[static_cast<size_t>(p)] = acc;
    });
    return ordered_sum(partial);
}

}  // namespace quickmeans
