// update_centers: weighted means of the samples of each cluster, with empty
// clusters relocated as scikit-learn does. Per-cluster sums are accumulated in
// double in a fixed number of row slots (independent of the thread count) and
// reduced in slot order, so results do not depend on how many threads ran.
#pragma once

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "quickmeans/common.hpp"
#include "quickmeans/distance.hpp"
#include "quickmeans/kernels.hpp"
#include "quickmeans/parallel.hpp"
#include "quickmeans/rows.hpp"

namespace quickmeans {

// What moving row i of x (of weight w) from cluster `from` to cluster `to` changes in
// per-cluster sums (k x d, row-major) and weights. Sparse rows move their stored entries.
template <class View>
inline void move_row(const View& x, index_t i, double w, label_t from, label_t to, double* sums, double* weights) {
    double* out = sums + static_cast<index_t>(from) * x.d;
    double* in = sums + static_cast<index_t>(to) * x.d;
    for_each_entry(x, i, [&](index_t j, auto v) {
        const double value = w * static_cast<double>(v);
        out[j] -= value;
        in[j] += value;
    });
    weights[from] -= w;
    weights[to] += w;
}

// Dense rows as a plain loop over the features (through for_each_entry's callback, 1M x 8
// float64 Lloyd, which moves rows at every step, was 2-4% slower).
template <class T>
inline void move_row(const DenseView<T>& x, index_t i, double w, label_t from, label_t to, double* sums,
                     double* weights) {
    const index_t d = x.d;
    double* out = sums + static_cast<index_t>(from) * d;
    double* in = sums + static_cast<index_t>(to) * d;
    const T* xi = x.row(i);
    for (index_t j = 0; j < d; ++j) {
        const double value = w * static_cast<double>(xi[j]);
        out[j] -= value;
        in[j] += value;
    }
    weights[from] -= w;
    weights[to] += w;
}

class ClusterSums {
public:
    ClusterSums(index_t n, index_t k, index_t d) : k_(k), d_(d) {
        // At most 64 slots and 16 MiB of partial sums. Where 8 or more fit, keep about
        // 8 MiB of them (clearing and reducing them is paid every iteration), as a multiple
        // of 8 so that 2, 4 or 8 threads share the slots evenly; fewer, a power of two
        // (text's k x d: 3 slots of 4.8 MiB made one of 2 threads sum two while the other
        // waited, and one more slot to clear and reduce).
        const index_t per_slot = std::max<index_t>(1, k * (d + 1) * static_cast<index_t>(sizeof(double)));
        const index_t by_rows = std::max<index_t>(1, n / 1024);
        index_t slots = std::min<index_t>({64, by_rows, std::max<index_t>(1, (16 << 20) / per_slot)});
        if (slots >= 8) slots = std::max<index_t>(8, std::min<index_t>(slots, (8 << 20) / per_slot) / 8 * 8);
        else while (slots & (slots - 1)) --slots;
        split_ = RangeSplit{n, slots};
        partial_.resize(static_cast<size_t>(split_.parts * k * (d + 1)));
        sums_.resize(static_cast<size_t>(k * d));
        weights_.resize(static_cast<size_t>(k));
    }

    const RangeSplit& slots() const { return split_; }

    // Adds rows [begin, end) of slot s (which must cover them) to its partial sums.
    template <class T>
    void add_rows(index_t s, const DenseView<T>& x, const double* sample_weight, const label_t* labels,
                  index_t begin, index_t end) {
        double* sums = slot_sums(s);
        double* weights = sums + k_ * d_;
        if (!sample_weight) {
            const Kernels<T>& kernels = active_kernels().template get<T>();
            (k_ == 2 ? kernels.add_rows_two : kernels.add_rows)(x.row(begin), end - begin, d_, labels + begin, sums,
                                                                weights);
            return;
        }
        for (index_t i = begin; i < end; ++i) {
            const double w = weight_of(sample_weight, i);
            double* acc = sums + static_cast<index_t>(labels[i]) * d_;
            const T* xi = x.row(i);
            for (index_t j = 0; j < d_; ++j) acc[j] += w * static_cast<double>(xi[j]);
            weights[labels[i]] += w;
        }
    }

    // The same for any view of X (sparse rows add only their stored entries, which
    // gives the same sums as their densified rows: adding zeros changes nothing).
    template <class View>
    void add_rows(index_t s, const View& x, const double* sample_weight, const label_t* labels, index_t begin,
                  index_t end) {
        double* sums = slot_sums(s);
        double* weights = sums + k_ * d_;
        for (index_t i = begin; i < end; ++i) {
            const double w = weight_of(sample_weight, i);
            double* acc = sums + static_cast<index_t>(labels[i]) * d_;
            for_each_entry(x, i, [&](index_t j, auto v) { acc[j] += w * static_cast<double>(v); });
            weights[labels[i]] += w;
        }
    }

    // Slot s's partial sums as the changes made by moving rows[q] from cluster from[q]
    // to labels[rows[q]] (after clear_slot(s)): what the moves add to every cluster's sums.
    template <class View>
    void add_moves(index_t s, const View& x, const double* sample_weight, const label_t* labels,
                   const std::vector<index_t>& rows, const std::vector<label_t>& from) {
        double* sums = slot_sums(s);
        for (size_t q = 0; q < rows.size(); ++q) {
            const index_t i = rows[q];
            move_row(x, i, weight_of(sample_weight, i), from[q], labels[i], sums, sums + k_ * d_);
        }
    }

    void clear_slot(index_t s) {
        double* p = slot_sums(s);
        std::fill(p, p + k_ * (d_ + 1), 0.0);
    }

    // Totals over slots, in slot order.
    void reduce(int n_threads) {
        const index_t total = k_ * (d_ + 1);
        const index_t pieces = std::max<index_t>(1, std::min<index_t>(4 * n_threads, total / 4096));
        const RangeSplit split{total, pieces};
        parallel_for(pieces, n_threads, [&](index_t p) {
            for (index_t e = split.begin(p); e < split.end(p); ++e) {
                double acc = 0.0;
                for (index_t s = 0; s < split_.parts; ++s) acc += partial_[static_cast<size_t>(s * total + e)];
                if (e < k_ * d_) sums_[static_cast<size_t>(e)] = acc;
                else weights_[static_cast<size_t>(e - k_ * d_)] = acc;
            }
        });
    }

    double* sums() { return sums_.data(); }
    double* weights() { return weights_.data(); }

private:
    double* slot_sums(index_t s) { return partial_.data() + s * k_ * (d_ + 1); }

    index_t k_, d_;
    RangeSplit split_{0, 1};
    std::vector<double> partial_;
    std::vector<double> sums_;
    std::vector<double> weights_;
};

// Moves each empty cluster (zero total weight) to one of the samples farthest from
// their own center: farthest first, ties to the lower sample index, empty clusters
// in increasing order. Works on the sums before averaging, like scikit-learn.
// Returns whether any cluster was moved: the labels then no longer match the centers.
template <class View, class T>
bool relocate_empty_clusters(const View& x, const double* sample_weight, const T* old_centers,
                             const label_t* labels, index_t k, double* sums, double* weights,
                             int n_threads) {
    std::vector<index_t> empty;
    for (index_t c = 0; c < k; ++c)
        if (weights[c] == 0.0) empty.push_back(c);
    if (empty.empty()) return false;

    const index_t n = x.n, d = x.d;
    std::vector<double> dist(static_cast<size_t>(n));
    const RangeSplit split{n, std::max<index_t>(1, std::min<index_t>(n, 256))};
    parallel_for(split.parts, n_threads, [&](index_t p) {
        for (index_t i = split.begin(p); i < split.end(p); ++i)
            dist[static_cast<size_t>(i)] = row_distance(x, i, old_centers + labels[i] * d);
    });
    if (*std::max_element(dist.begin(), dist.end()) == 0.0) return false;  // fewer distinct points than k

    const index_t n_far = std::min<index_t>(static_cast<index_t>(empty.size()), n);
    std::vector<index_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), index_t(0));
    std::partial_sort(order.begin(), order.begin() + n_far, order.end(), [&](index_t a, index_t b) {
        const double da = dist[static_cast<size_t>(a)], db = dist[static_cast<size_t>(b)];
        return da > db || (da == db && a < b);
    });
    for (index_t e = 0; e < n_far; ++e) {
        const index_t target = empty[static_cast<size_t>(e)];
        const index_t far = order[static_cast<size_t>(e)];
        const index_t source = labels[far];
        const double w = weight_of(sample_weight, far);
        double* from = sums + source * d;
        double* to = sums + target * d;
        std::fill(to, to + d, 0.0);
        for_each_entry(x, far, [&](index_t j, auto v) {
            from[j] -= w * static_cast<double>(v);
            to[j] = w * static_cast<double>(v);
        });
        weights[target] = w;
        weights[source] -= w;
    }
    return n_far > 0;
}

// centers = sums / weights; a cluster still without weight takes the center of
// the heaviest cluster (as scikit-learn does), rather than the origin.
template <class T>
void average_centers(const double* sums, const double* weights, index_t k, index_t d, T* centers,
                     int n_threads = 1) {
    const index_t heaviest = std::max_element(weights, weights + k) - weights;
    // On all threads where there are many values (a division each: text's k x d).
    parallel_for(k, k * d >= (index_t(1) << 16) ? n_threads : 1, [&](index_t c) {
        const index_t from = weights[c] > 0.0 ? c : heaviest;
        const double w = weights[from] > 0.0 ? weights[from] : 1.0;
        for (index_t j = 0; j < d; ++j) centers[c * d + j] = static_cast<T>(sums[from * d + j] / w);
    });
}

// How far each center moved between two steps (double), and for each center the largest
// move among the others: what a lower bound on a sample's distance to every center but its
// own loses over the step (Hamerly's bounds, Lloyd's closing relabelling).
struct CenterMoves {
    std::vector<double> shift;
    index_t largest = 0;
    double top = 0.0, runner_up = 0.0;  // the largest move, and the largest of the others

    template <class T>
    void measure(const T* old_centers, const T* new_centers, index_t k, index_t d) {
        shift.resize(static_cast<size_t>(k));
        largest = 0;
        for (index_t c = 0; c < k; ++c) {
            shift[static_cast<size_t>(c)] = std::sqrt(squared_distance(old_centers + c * d, new_centers + c * d, d));
            if (shift[static_cast<size_t>(c)] > shift[static_cast<size_t>(largest)]) largest = c;
        }
        runner_up = 0.0;
        for (index_t c = 0; c < k; ++c)
            if (c != largest) runner_up = std::max(runner_up, shift[static_cast<size_t>(c)]);
        top = shift[static_cast<size_t>(largest)];
    }
    double of(index_t c) const { return shift[static_cast<size_t>(c)]; }
    double of_others(index_t c) const { return c == largest ? runner_up : top; }
};

// Sum over clusters of the squared shift of each center, in double.
template <class T>
double squared_center_shift(const T* old_centers, const T* new_centers, index_t k, index_t d,
                            double* per_center = nullptr) {
    double total = 0.0;
    for (index_t c = 0; c < k; ++c) {
        const double s = squared_distance(old_centers + c * d, new_centers + c * d, d);
        if (per_center) per_center[c] = s;
        total += s;
    }
    return total;
}

}  // namespace quickmeans
