// Cluster sums carried across iterations: once most samples keep their label, adding
// the few that moved (out of their old cluster, into their new one) is far cheaper
// than summing all of X again. Moves are summed per fixed slot of rows and the slots
// in order, so the sums do not depend on the thread count. Each move rounds a little, so the sums are recomputed
// exactly from all rows once n moves have been carried since the last exact sums (their
// rounding then reaches that of one exact pass, which rounds once per row; counting
// moves, not iterations, spares the passes of fits whose labels settle early: 1M x 8,
// k=16 carries 0.5M moves over 29 iterations, where every 8th iteration cost 3 passes
// over X, an eighth of the fit), after a relocated empty
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
    // Moves are recorded in one list per slot (add_moves), or in `lists` lists of consecutive
    // rows that carry() adds in order.
    MovingSums(index_t n, index_t k, index_t d, index_t lists = 0)
        : n_(n), k_(k), d_(d), slot_sums_(n, k, d),
          moves_(static_cast<size_t>(lists > 0 ? lists : slot_sums_.slots().parts)) {}

    const RangeSplit& slots() const { return slot_sums_.slots(); }
    Moves& moves(index_t list) { return moves_[static_cast<size_t>(list)]; }

    // Whether this iteration's pass sums all rows (see add_slot) rather than the moves:
    // the first pass too, since the sums start stale.
    bool exact_due() const { return stale_ || carried_ >= n_; }

    // Per slot, right after its assignment (its moved rows still in cache): all its rows
    // summed (exact iterations), or else the changes its moves make, in row order.
    template <class T>
    void add_slot(index_t s, const DenseView<T>& x, const double* sample_weight, const label_t* labels, bool exact) {
        slot_sums_.clear_slot(s);
        if (exact) add_rows(s, x, sample_weight, labels, slots().begin(s), slots().end(s));
        else add_moves(s, x, sample_weight, labels);
    }

    // The same in pieces, for a pass that sums each block of rows while it is in cache:
    // clear_slot(s), then add_rows for every block of slot s (exact iterations) or
    // add_moves once the slot's moves are recorded.
    void clear_slot(index_t s) { slot_sums_.clear_slot(s); }
    template <class View>
    void add_rows(index_t s, const View& x, const double* sample_weight, const label_t* labels, index_t begin,
                  index_t end) {
        slot_sums_.add_rows(s, x, sample_weight, labels, begin, end);
    }
    template <class T>
    void add_moves(index_t s, const DenseView<T>& x, const double* sample_weight, const label_t* labels) {
        const Moves& m = moves_[static_cast<size_t>(s)];
        slot_sums_.add_moves(s, x, sample_weight, labels, m.rows, m.from);
    }

    // After the pass: the slots' totals in slot order (so the same for any thread count),
    // taken as the sums or added to the carried ones. Returns how many labels changed.
    index_t update(bool exact, int n_threads) {
        index_t changed = 0;
        for (const Moves& m : moves_) changed += static_cast<index_t>(m.rows.size());
        if (exact) {
            take_exact(n_threads);
        } else {
            slot_sums_.reduce(n_threads);
            for (index_t e = 0; e < k_ * d_; ++e) sums_[static_cast<size_t>(e)] += slot_sums_.sums()[e];
            for (index_t c = 0; c < k_; ++c) weights_[static_cast<size_t>(c)] += slot_sums_.weights()[c];
            exact_now_ = false;
            carried_ += changed;
        }
        return changed;
    }

    // Sums all rows again (the pass did not).
    template <class View>
    void recompute(const View& x, const double* sample_weight, const label_t* labels, int n_threads) {
        parallel_for(slots().parts, n_threads, [&](index_t s) {
            clear_slot(s);
            add_rows(s, x, sample_weight, labels, slots().begin(s), slots().end(s));
        });
        take_exact(n_threads);
    }

    // Whether any recorded move carries weight: when none does, Lloyd's sums (and so its
    // centers) are the same as in the last step, bit for bit.
    bool moved_weight(const double* sample_weight) const {
        for (const Moves& m : moves_)
            for (index_t i : m.rows)
                if (weight_of(sample_weight, i) != 0.0) return true;
        return false;
    }

    // Instead of add_moves and update(false): every list's moves, in order, added to the
    // carried sums on one thread. Where k x d is large (sparse rows: text's tens of
    // thousands of features) and the moved entries few, clearing and reducing every slot's
    // partial sums cost more than the moves. Returns how many moves were carried.
    template <class View>
    index_t carry(const View& x, const double* sample_weight, const label_t* labels) {
        index_t count = 0;
        for (const Moves& m : moves_) {
            for (size_t q = 0; q < m.rows.size(); ++q) {
                const index_t i = m.rows[q];
                move_row(x, i, weight_of(sample_weight, i), m.from[q], labels[i], sums_.data(), weights_.data());
            }
            count += static_cast<index_t>(m.rows.size());
        }
        exact_now_ = false;
        carried_ += count;
        return count;
    }

    // After a pass: the next centers into `next` (k x d), empty clusters relocated (their
    // emptiness judged on exact sums, summing all rows again if need be); returns their
    // squared shift from `centers`. relocated() tells whether a cluster was moved.
    template <class View, class T>
    double next_centers(const View& x, const double* sample_weight, const T* centers, const label_t* labels,
                        T* next, int n_threads) {
        if (!exact_now_ && near_empty()) recompute(x, sample_weight, labels, n_threads);
        relocated_ = relocate_empty_clusters(x, sample_weight, centers, labels, k_, sums(), weights(), n_threads);
        if (relocated_) mark_stale();
        average_centers(sums(), weights(), k_, d_, next, n_threads);
        return squared_center_shift(centers, next, k_, d_);
    }
    bool relocated() const { return relocated_; }

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
        slot_sums_.reduce(n_threads);
        sums_.assign(slot_sums_.sums(), slot_sums_.sums() + k_ * d_);
        weights_.assign(slot_sums_.weights(), slot_sums_.weights() + k_);
        stale_ = false;
        exact_now_ = true;
        carried_ = 0;
    }

    index_t n_, k_, d_;
    index_t carried_ = 0;  // moves added to the sums since they were last exact
    ClusterSums slot_sums_;  // per-slot sums of all rows or of the moves, reduced in order
    std::vector<Moves> moves_;
    std::vector<double> sums_, weights_;
    bool stale_ = true;
    bool exact_now_ = false;
    bool relocated_ = false;
};

}  // namespace quickmeans
