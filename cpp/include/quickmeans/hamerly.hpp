// Hamerly's algorithm: Lloyd's iterations (same labels, centers and n_iter from the
// same init) with one upper bound per sample (distance to its center) and one lower
// bound (distance to every other center). A sample is skipped when its upper bound is
// below both its lower bound and half the distance from its center to the nearest
// other center (tested in float, kernels/bounds_impl.hpp); the samples that fail even
// with a tightened upper bound are listed in blocks (or scanned where they lie, when they
// are most of their step) and scored by Lloyd's SIMD nearest-center kernel, which reads
// the listed rows where they lie and also returns their new bounds. Memory is O(n): two
// floats per sample, rounded outwards.
//
// The bounds pass reads the bounds and writes none: loosening every sample's bounds by the
// centers' shifts (a store of 8 bytes per sample per iteration, 8 of the pass's 20 bytes
// of memory traffic per sample) is replaced by per-center running totals. A sample of
// center a stores its upper bound less upper_total_[a] (the sum of a's shifts so far) and its lower bound
// plus lower_total_[a] (the sum of what Hamerly's rule takes off the lower bounds of a's
// samples: the largest shift of the other centers); its bounds at any later iteration are
// the stored values plus and less the totals then. The label changes only where the
// bounds are rewritten, so this is the same bound as loosening step by step.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "quickmeans/assign.hpp"
#include "quickmeans/bounded.hpp"
#include "quickmeans/centers.hpp"
#include "quickmeans/common.hpp"
#include "quickmeans/distance.hpp"
#include "quickmeans/inertia.hpp"
#include "quickmeans/kernel_rows.hpp"
#include "quickmeans/kernels.hpp"
#include "quickmeans/moving_sums.hpp"
#include "quickmeans/parallel.hpp"
#include "quickmeans/two_center_bounds.hpp"

namespace quickmeans {

template <class T>
class HamerlyBounds {
public:
    HamerlyBounds(const DenseView<T>& x, index_t k, int n_threads)
        : x_(x), k_(k), nearest_(k, x.d, n_threads), upper_(static_cast<size_t>(x.n)),
          lower_(static_cast<size_t>(x.n)), half_min_(static_cast<size_t>(k)),
          upper_total_(static_cast<size_t>(k), 0.0), lower_total_(static_cast<size_t>(k), 0.0),
          test_upper_total_(static_cast<size_t>(k), 0.0f), test_lower_total_(static_cast<size_t>(k), 0.0f),
          test_half_min_(static_cast<size_t>(k), 0.0f),
          tighten_(k >= kTightenFrom),
          gathered_(static_cast<size_t>(std::max(1, n_threads)), KernelRows(nearest_.block_rows())) {}

    void set_centers(const T* centers, int n_threads) {
        centers_ = centers;
        nearest_.set_centers(centers);
        const index_t d = x_.d;
        parallel_for(k_, n_threads, [&](index_t a) {
            double nearest = std::numeric_limits<double>::infinity();
            for (index_t b = 0; b < k_; ++b)
                if (a != b) nearest = std::min(nearest, squared_distance(centers + a * d, centers + b * d, d));
            half_min_[static_cast<size_t>(a)] = 0.5 * std::sqrt(nearest);
            test_half_min_[static_cast<size_t>(a)] = float_at_most(half_min_[static_cast<size_t>(a)]);
        });
    }

    // The first, exact assignment. The running totals are still zero, so a row's stored
    // offsets are its bounds themselves: a plain loop over the block, which vectorizes.
    void init_rows(index_t begin, index_t end, label_t* labels) {
        KernelRows& g = gathered_[static_cast<size_t>(thread_id())];
        for (index_t b = begin; b < end; b += nearest_.block_rows()) {
            const index_t m = std::min(nearest_.block_rows(), end - b);
            nearest_.assign_with_bounds(x_.row(b), nullptr, m, labels + b, g.upper.data(), g.lower.data(), thread_id());
            float* __restrict upper = upper_.data() + b;
            float* __restrict lower = lower_.data() + b;
            const double* u = g.upper.data();
            const double* l = g.lower.data();
            for (index_t r = 0; r < m; ++r) {
                upper[r] = stored_offset_upper(u[r]);
                lower[r] = stored_offset_lower(l[r]);
            }
        }
    }

    // Reassigns the samples whose bounds (loosened by the center shifts so far) no longer
    // decide. In steps of KernelRows::kStep rows: one branch-free (vectorized) pass over the bounds
    // lists the failed samples, which are then gathered into blocks for the kernel, or,
    // when more than half of the step failed, the whole step is scanned where it lies.
    void assign_rows(index_t begin, index_t end, label_t* labels, Moves& moves) {
        KernelRows& g = gathered_[static_cast<size_t>(thread_id())];
        const index_t d = x_.d;
        const KernelSet& kernels = active_kernels();
        auto test = [&](index_t b, index_t m) {
            return kernels.test_bounds(labels + b, m, k_, test_upper_total_.data(), test_lower_total_.data(),
                                       test_half_min_.data(), upper_.data() + b, lower_.data() + b, g.failed.data(), b,
                                       g.failed_rows.data());
        };
        auto needs_kernel = [&](index_t i) {
            if (!tighten_) return true;
            const label_t a = labels[i];
            const double u = std::sqrt(squared_distance(x_.row(i), centers_ + a * d, d));
            store_upper(i, a, u);
            const double l = static_cast<double>(lower_[static_cast<size_t>(i)]) - lower_total_[static_cast<size_t>(a)];
            return !bound_excludes(u, std::max(half_min_[static_cast<size_t>(a)], l));
        };
        score_failed_rows(nearest_, x_, g, begin, end, test, needs_kernel,
                          [&](index_t rows, auto sample) { take_outcomes(g, rows, sample, labels, moves); });
    }

    // Adds the step's shifts to the running totals: each center's own shift to its upper
    // total; to its lower total, the largest shift among the other centers (the runner-up
    // shift for the center that moved most, the largest for the rest).
    void move_centers(const T* old_centers, const T* new_centers, const label_t*, int) {
        moves_.measure(old_centers, new_centers, k_, x_.d);
        for (index_t c = 0; c < k_; ++c) {
            upper_total_[static_cast<size_t>(c)] += moves_.of(c);
            lower_total_[static_cast<size_t>(c)] += moves_.of_others(c);
            test_upper_total_[static_cast<size_t>(c)] = float_at_least(upper_total_[static_cast<size_t>(c)]);
            test_lower_total_[static_cast<size_t>(c)] = float_at_least(lower_total_[static_cast<size_t>(c)]);
        }
    }

private:
    // A failed test is retried with the exact distance to the sample's own center (one
    // scalar distance, often a cache miss on its row) only where that is much cheaper
    // than the kernel's scan of all k centers, which also gives exact bounds (measured
    // on 1M x 8, k=16: tightening cost as much as the scans it saved).
    static constexpr index_t kTightenFrom = 32;

    // An upper bound u >= the distance to center a, as of now (kept less a's running total).
    void store_upper(index_t i, label_t a, double u) {
        upper_[static_cast<size_t>(i)] = stored_offset_upper(u - upper_total_[static_cast<size_t>(a)]);
    }

    // The kernel's outcome for its rows r < m, samples sample(r): the labels (changes
    // recorded) and bounds. (Raw pointers in locals: through the vectors' members, every
    // store made the compiler load them again.)
    template <class Sample>
    void take_outcomes(const KernelRows& g, index_t m, Sample sample, label_t* labels, Moves& moves) {
        float* upper = upper_.data();
        float* lower = lower_.data();
        const double* upper_total = upper_total_.data();
        const double* lower_total = lower_total_.data();
        const label_t* found = g.labels.data();
        const double* u = g.upper.data();
        const double* l = g.lower.data();
        for (index_t r = 0; r < m; ++r) {
            const index_t i = sample(r);
            const label_t label = found[r];
            if (label != labels[i]) {
                moves.add(i, labels[i]);
                labels[i] = label;
            }
            upper[i] = stored_offset_upper(u[r] - upper_total[label]);
            lower[i] = stored_offset_lower(l[r] + lower_total[label]);
        }
    }

    DenseView<T> x_;
    index_t k_;
    NearestCenter<T> nearest_;
    const T* centers_ = nullptr;
    std::vector<float> upper_, lower_;
    std::vector<double> half_min_;
    CenterMoves moves_;  // the last step's, measured in move_centers
    std::vector<double> upper_total_, lower_total_;  // running totals per center, see the top
    // The same for the float test: totals rounded up, half_min down (so the test stays sound).
    std::vector<float> test_upper_total_, test_lower_total_, test_half_min_;
    bool tighten_;
    std::vector<KernelRows> gathered_;
};

template <class T>
FitSummary hamerly(const DenseView<T>& x, const double* sample_weight, T* centers, index_t k, label_t* labels,
                   int max_iter, double tol, const RunControl& control) {
    if (k == 2) {  // the same bounds in a third of the memory traffic (two_center_bounds.hpp)
        TwoCenterBounds<T> bounds(x, control.n_threads);
        return iterate_with_bounds(bounds, x, sample_weight, centers, k, labels, max_iter, tol, control);
    }
    HamerlyBounds<T> bounds(x, k, control.n_threads);
    return iterate_with_bounds(bounds, x, sample_weight, centers, k, labels, max_iter, tol, control);
}

}  // namespace quickmeans
