// Hamerly's bounds for exactly two centers (every split of BisectingKMeans, KMeans with
// n_clusters=2), kept as one float per sample instead of two and a label.
//
// A sample keeps its label while its distance to the other center exceeds the distance to
// its own. Hamerly loosens the upper bound by its center's shift and the lower bound by the
// other's, so their difference, the margin, loses s0 + s1 per step whatever the label. So a
// sample stores its margin plus the running total S of all (s0 + s1) at the time, and its
// margin at any later step is that less S then: the test reads 4 bytes per sample and no
// label, where Hamerly's reads 12. It rejects the same samples: with two centers, Hamerly's
// half-distance test added no sample on the root and the next two splits of
// bench/bisecting.py (simulated).
//
// The samples that fail go to the two-center kernel as Hamerly's do (kernel_rows.hpp): listed
// in blocks, or scanned where they lie when they are most of their step.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "quickmeans/assign.hpp"
#include "quickmeans/bound_rounding.hpp"
#include "quickmeans/centers.hpp"
#include "quickmeans/common.hpp"
#include "quickmeans/kernel_rows.hpp"
#include "quickmeans/marked.hpp"
#include "quickmeans/moving_sums.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

template <class T>
class TwoCenterBounds {
public:
    TwoCenterBounds(const DenseView<T>& x, int n_threads)
        : x_(x), nearest_(2, x.d, n_threads), margin_(static_cast<size_t>(x.n)),
          gathered_(static_cast<size_t>(std::max(1, n_threads)), KernelRows(nearest_.block_rows())) {}

    void set_centers(const T* centers, int) { nearest_.set_centers(centers); }

    // The first, exact assignment (the running total is still zero).
    void init_rows(index_t begin, index_t end, label_t* labels) {
        KernelRows& g = gathered_[static_cast<size_t>(thread_id())];
        for (index_t b = begin; b < end; b += nearest_.block_rows()) {
            const index_t m = std::min(nearest_.block_rows(), end - b);
            nearest_.assign_with_bounds(x_.row(b), nullptr, m, labels + b, g.upper.data(), g.lower.data(), thread_id());
            for (index_t r = 0; r < m; ++r) margin_[static_cast<size_t>(b + r)] = stored_offset_lower(g.lower[r] - g.upper[r]);
        }
    }

    // Reassigns the samples whose margin, less the shifts since it was stored, no longer
    // proves their label. In steps of KernelRows::kStep samples: a vectorized pass marks the failures,
    // which are then listed and gathered into blocks for the kernel, or, when more than half
    // of the step failed, the whole step is scanned where it lies.
    void assign_rows(index_t begin, index_t end, label_t* labels, Moves& moves) {
        KernelRows& g = gathered_[static_cast<size_t>(thread_id())];
        score_failed_rows(
            nearest_, x_, g, begin, end, [&](index_t b, index_t m) { return list_failed(margin_.data() + b, m, b, g); },
            [](index_t) { return true; },
            [&](index_t rows, auto sample) { take_outcomes(g, rows, sample, labels, moves); });
    }

    // Adds the step's two shifts to the running total.
    void move_centers(const T* old_centers, const T* new_centers, const label_t*, int) {
        moves_.measure(old_centers, new_centers, 2, x_.d);
        total_ += moves_.of(0) + moves_.of(1);
        test_total_ = float_at_least(total_);
    }

private:
    // Relative slack of the float test, far above its rounding (one subtraction, 2^-24 of the
    // larger operand): a margin passes only when it clearly decides, and zero never does, so
    // the lower index still wins exact ties.
    static constexpr float kSlack = 0x1p-20f;

    // Samples first..first + m whose stored margin, less the running total, is not clearly
    // positive (NaN included), listed in g.failed_rows; returns how many.
    index_t list_failed(const float* __restrict margin, index_t m, index_t first, KernelRows& g) const {
        const float total = test_total_, total_slack = kSlack * std::fabs(test_total_);
        unsigned char* __restrict failed = g.failed.data();
        for (index_t r = 0; r < m; ++r)  // vectorized: no branch, no label
            failed[r] = !(margin[r] - total > kSlack * std::fabs(margin[r]) + total_slack);
        return list_marked(failed, m, first, g.failed_rows.data());
    }

    // The kernel's outcome for its rows r < m, samples sample(r): labels (changes recorded)
    // and margins, stored plus the running total.
    template <class Sample>
    void take_outcomes(const KernelRows& g, index_t m, Sample sample, label_t* labels, Moves& moves) {
        float* margin = margin_.data();
        const double total = total_;
        for (index_t r = 0; r < m; ++r) {
            const index_t i = sample(r);
            const label_t label = g.labels[static_cast<size_t>(r)];
            if (label != labels[i]) {
                moves.add(i, labels[i]);
                labels[i] = label;
            }
            margin[i] = stored_offset_lower(g.lower[static_cast<size_t>(r)] - g.upper[static_cast<size_t>(r)] + total);
        }
    }

    DenseView<T> x_;
    NearestCenter<T> nearest_;
    std::vector<float> margin_;  // per sample: margin plus the running total when stored
    CenterMoves moves_;          // the last step's, measured in move_centers
    double total_ = 0.0;         // running total of both centers' shifts
    float test_total_ = 0.0f;    // the same, rounded up for the float test
    std::vector<KernelRows> gathered_;
};

}  // namespace quickmeans
