// Hamerly's algorithm: Lloyd's iterations (same labels, centers and n_iter from
// the same init) with one upper bound per sample (distance to its center) and one
// lower bound (distance to the second-nearest center), so memory stays O(n) and a
// sample is skipped when its upper bound is below both its lower bound and half
// the distance from its center to the nearest other center. Suits low dimensions,
// where Elkan's n x k bounds cost more than the distances they save.
#pragma once

#include <cmath>
#include <limits>
#include <vector>

#include "quickmeans/bounded.hpp"
#include "quickmeans/common.hpp"
#include "quickmeans/distance.hpp"
#include "quickmeans/inertia.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

template <class T>
class HamerlyBounds {
public:
    HamerlyBounds(const DenseView<T>& x, index_t k)
        : x_(x), k_(k), upper_(static_cast<size_t>(x.n)), lower_(static_cast<size_t>(x.n)),
          tight_(static_cast<size_t>(x.n)), half_min_(static_cast<size_t>(k)), shift_(static_cast<size_t>(k)) {}

    void set_centers(const T* centers, int n_threads) {
        centers_ = centers;
        const index_t d = x_.d;
        parallel_for(k_, n_threads, [&](index_t a) {
            double nearest = std::numeric_limits<double>::infinity();
            for (index_t b = 0; b < k_; ++b)
                if (a != b) nearest = std::min(nearest, squared_distance(centers + a * d, centers + b * d, d));
            half_min_[static_cast<size_t>(a)] = 0.5 * std::sqrt(nearest);
        });
    }

    void init_rows(index_t begin, index_t end, label_t* labels) {
        for (index_t i = begin; i < end; ++i) scan(i, labels);
    }

    index_t assign_rows(index_t begin, index_t end, label_t* labels) {
        index_t changed = 0;
        for (index_t i = begin; i < end; ++i) {
            const label_t a = labels[i];
            const double bound = std::max(half_min_[static_cast<size_t>(a)], lower_[static_cast<size_t>(i)]);
            if (bound_excludes(upper_[static_cast<size_t>(i)], bound)) continue;
            if (!tight_[static_cast<size_t>(i)]) {
                upper_[static_cast<size_t>(i)] = std::sqrt(squared_distance(x_.row(i), centers_ + a * x_.d, x_.d));
                tight_[static_cast<size_t>(i)] = 1;
                if (bound_excludes(upper_[static_cast<size_t>(i)], bound)) continue;
            }
            scan(i, labels);
            changed += labels[i] != a;
        }
        return changed;
    }

    void move_centers(const T* old_centers, const T* new_centers, const label_t* labels, int n_threads) {
        const index_t d = x_.d;
        index_t largest = 0;
        for (index_t c = 0; c < k_; ++c) {
            shift_[static_cast<size_t>(c)] = std::sqrt(squared_distance(old_centers + c * d, new_centers + c * d, d));
            if (shift_[static_cast<size_t>(c)] > shift_[static_cast<size_t>(largest)]) largest = c;
        }
        double runner_up = 0.0;  // largest shift among the other centers than `largest`
        for (index_t c = 0; c < k_; ++c)
            if (c != largest) runner_up = std::max(runner_up, shift_[static_cast<size_t>(c)]);
        const double top = shift_[static_cast<size_t>(largest)];
        const RangeSplit chunks = fixed_chunks(x_.n);
        parallel_for(chunks.parts, n_threads, [&](index_t p) {
            for (index_t i = chunks.begin(p); i < chunks.end(p); ++i) {
                const label_t a = labels[i];
                const double s = shift_[static_cast<size_t>(a)];
                if (s > 0) {
                    upper_[static_cast<size_t>(i)] += s;
                    tight_[static_cast<size_t>(i)] = 0;
                }
                const double others = a == largest ? runner_up : top;
                lower_[static_cast<size_t>(i)] = std::max(0.0, lower_[static_cast<size_t>(i)] - others);
            }
        });
    }

private:
    // Exact nearest and second-nearest centers of sample i.
    void scan(index_t i, label_t* labels) {
        double best = std::numeric_limits<double>::infinity(), second = best;
        index_t best_c = 0;
        const T* xi = x_.row(i);
        for (index_t c = 0; c < k_; ++c) {
            const double dist = squared_distance(xi, centers_ + c * x_.d, x_.d);
            if (dist < best) {
                second = best;
                best = dist;
                best_c = c;
            } else if (dist < second) {
                second = dist;
            }
        }
        labels[i] = static_cast<label_t>(best_c);
        upper_[static_cast<size_t>(i)] = std::sqrt(best);
        lower_[static_cast<size_t>(i)] = std::sqrt(second);
        tight_[static_cast<size_t>(i)] = 1;
    }

    DenseView<T> x_;
    index_t k_;
    const T* centers_ = nullptr;
    std::vector<double> upper_, lower_;
    std::vector<char> tight_;
    std::vector<double> half_min_, shift_;
};

template <class T>
FitSummary hamerly(const DenseView<T>& x, const double* sample_weight, T* centers, index_t k, label_t* labels,
                   int max_iter, double tol, const RunControl& control) {
    HamerlyBounds<T> bounds(x, k);
    return iterate_with_bounds(bounds, x, sample_weight, centers, k, labels, max_iter, tol, control);
}

}  // namespace quickmeans
