// Cluster sums carried across iterations: once most samples keep their label, adding
// the few that moved (out of their old cluster, into their new one) is far cheaper
// than summing all of X again. Moves are applied in row order, so the sums do not
// depend on the thread count. Each move rounds a little, so the sums are recomputed
// exactly from all rows every kExactEvery iterations, after a relocated empty
// cluster (whose sums no longer follow the labels), when a cluster's weight comes
// near zero (emptiness must be judged exactly), and before the final centers are
// taken: the centers returned are Lloyd's to rounding.
#pragma once

#include <algorithm>
#include <vector>

#include "quickmeans/centers.hpp"
#include "quickmeans/common.hpp"
#include "quickmeans/parallel.hpp"
#include "quickmeans/rows.hpp"

namespace quickmeans {

// Rows whose label changed in one slot of an assignment pass, with their old labels.
struct Moves {
    std::vector<index_t> rows;
    std::vector<label_t> from;
    void clear() {
        rows.clear();
        from.clear();
    }
    void add(index_t row, label_t old_label) {
        rows.push_back(row);
        from.push_back(old_label);
    }
};

class MovingSums {
public:
    static constexpr int kExactEvery = 8;

    MovingSums(index_t n, index_t k, index_t d)
        : k_(k), d_(d), exact_(n, k, d), moves_(static_cast<size_t>(exact_.slots().parts)) {}

    const RangeSplit& slots() const { return exact_.slots(); }
    Moves& moves(index_t slot) { return moves_[static_cast<size_t>(slot)]; }

    // Whether this iteration's pass must also sum its rows (add_exact_rows per slot).
    bool exact_due(int iter) const { return stale_ || iter % kExactEvery == 0; }

    template <class T>
    void add_exact_rows(index_t s, const DenseView<T>& x, const double* sample_weight, const label_t* labels) {
        exact_.clear_slot(s);
        exact_.add_rows(s, x, sample_weight, labels, exact_.slots().begin(s), exact_.slots().end(s));
    }

    // After the pass: totals of the exact slots, or the recorded moves added to the
    // running sums. Returns how many labels changed (recorded moves).
    template <class T>
    index_t update(const DenseView<T>& x, const double* sample_weight, const label_t* labels, bool exact,
                   int n_threads) {
        index_t changed = 0;
        for (const Moves& m : moves_) changed += static_cast<index_t>(m.rows.size());
        if (exact) take_exact(n_threads);
        else apply_moves(x, sample_weight, labels);
        return changed;
    }

    // Whether any recorded move carries weight: when none does, Lloyd's sums (and so its
    // centers) are the same as in the last step, bit for bit.
    bool moved_weight(const double* sample_weight) const {
        for (const Moves& m : moves_)
            for (index_t i : m.rows)
                if (weight_of(sample_weight, i) != 0.0) return true;
        return false;
    }

    // Sums all rows again (the pass did not).
    template <class T>
    void recompute(const DenseView<T>& x, const double* sample_weight, const label_t* labels, int n_threads) {
        parallel_for(slots().parts, n_threads, [&](index_t s) { add_exact_rows(s, x, sample_weight, labels); });
        take_exact(n_threads);
    }

    bool is_exact() const { return exact_now_; }
    // A relocation moved rows' weight to other clusters than their labels say.
    void mark_stale() {
        stale_ = true;
        exact_now_ = false;
    }
    // A cluster's weight is zero or so small that rounding could hide its emptiness.
    bool near_empty() const {
        const double heaviest = *std::max_element(weights_.begin(), weights_.end());
        for (double w : weights_)
            if (w <= 1e-9 * heaviest) return true;
        return false;
    }

    double* sums() { return sums_.data(); }
    double* weights() { return weights_.data(); }

private:
    void take_exact(int n_threads) {
        exact_.reduce(n_threads);
        sums_.assign(exact_.sums(), exact_.sums() + k_ * d_);
        weights_.assign(exact_.weights(), exact_.weights() + k_);
        stale_ = false;
        exact_now_ = true;
    }

    template <class T>
    void apply_moves(const DenseView<T>& x, const double* sample_weight, const label_t* labels) {
        for (const Moves& m : moves_)
            for (size_t q = 0; q < m.rows.size(); ++q) {
                const index_t i = m.rows[q];
                const double w = weight_of(sample_weight, i);
                double* from = sums_.data() + static_cast<index_t>(m.from[q]) * d_;
                double* to = sums_.data() + static_cast<index_t>(labels[i]) * d_;
                const T* xi = x.row(i);
                for (index_t j = 0; j < d_; ++j) {
                    const double v = w * static_cast<double>(xi[j]);
                    from[j] -= v;
                    to[j] += v;
                }
                weights_[static_cast<size_t>(m.from[q])] -= w;
                weights_[static_cast<size_t>(labels[i])] += w;
            }
        exact_now_ = false;
    }

    index_t k_, d_;
    ClusterSums exact_;
    std::vector<Moves> moves_;
    std::vector<double> sums_, weights_;
    bool stale_ = true;
    bool exact_now_ = false;
};

}  // namespace quickmeans
