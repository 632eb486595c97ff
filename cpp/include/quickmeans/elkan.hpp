// Elkan's algorithm: the same iterations as Lloyd (same labels, centers and n_iter
// from the same init) while skipping most distance computations with triangle
// inequality bounds: one upper bound per sample, one lower bound per (sample,
// center), and half the distances between centers.
//
// Bounds only decide what may be skipped, with a small relative slack so that
// rounding can never skip the true nearest center; the choice between remaining
// candidates uses the engine's exact squared distance, as Lloyd does.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "quickmeans/bounded.hpp"
#include "quickmeans/centers.hpp"
#include "quickmeans/common.hpp"
#include "quickmeans/distance.hpp"
#include "quickmeans/hamerly.hpp"
#include "quickmeans/inertia.hpp"
#include "quickmeans/moving_sums.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

template <class T>
class ElkanBounds {
    // Bounds are stored as float whatever the data's dtype (rounded outwards): n x k of
    // them are read and written every iteration, so their size is Elkan's cost.
    using B = float;  // stored_upper / stored_lower (bounded.hpp) round into it

public:
    ElkanBounds(const DenseView<T>& x, index_t k)
        : x_(x), k_(k), upper_(static_cast<size_t>(x.n)), upper_sq_(static_cast<size_t>(x.n)),
          tight_(static_cast<size_t>(x.n)), lower_(static_cast<size_t>(x.n * k)),
          center_dist_(static_cast<size_t>(k * k)), half_min_(static_cast<size_t>(k)),
          shift_(static_cast<size_t>(k), 0.0), shift_up_(static_cast<size_t>(k), B(0)),
          half_dist_down_(static_cast<size_t>(k * k)) {}

    // Distances between centers; half of the nearest other center per center.
    void set_centers(const T* centers, int n_threads) {
        centers_ = centers;
        const index_t d = x_.d;
        parallel_for(k_, n_threads, [&](index_t a) {
            double nearest = std::numeric_limits<double>::infinity();
            for (index_t b = 0; b < k_; ++b) {
                const double dist = a == b ? 0.0 : std::sqrt(squared_distance(centers + a * d, centers + b * d, d));
                center_dist_[static_cast<size_t>(a * k_ + b)] = dist;
                half_dist_down_[static_cast<size_t>(a * k_ + b)] = stored_lower(0.5 * dist);
                if (a != b && dist < nearest) nearest = dist;
            }
            half_min_[static_cast<size_t>(a)] = 0.5 * nearest;
        });
    }

    // First assignment: exact nearest center, computing only what the
    // center-center distances cannot rule out.
    void init_rows(index_t begin, index_t end, label_t* labels) {
        for (index_t i = begin; i < end; ++i) {
            index_t best = 0;
            double best_sq = dist_sq(i, 0);
            double u = std::sqrt(best_sq);
            set_lower(i, 0, u);
            for (index_t c = 1; c < k_; ++c) {
                if (may_skip(u, 0.5 * cdist(best, c))) {
                    lower_[static_cast<size_t>(i * k_ + c)] = 0;
                    continue;
                }
                const double sq = dist_sq(i, c);
                const double dist = std::sqrt(sq);
                set_lower(i, c, dist);
                if (sq < best_sq) {
                    best_sq = sq;
                    best = c;
                    u = dist;
                }
            }
            labels[i] = static_cast<label_t>(best);
            upper_[static_cast<size_t>(i)] = u;
            upper_sq_[static_cast<size_t>(i)] = best_sq;
            tight_[static_cast<size_t>(i)] = 1;
        }
    }

    // Reassigns rows [begin, end) with the current centers, recording label changes.
    // The centers a sample's bounds cannot rule out are found 64 at a time by one
    // vectorized comparison of its lower bounds and half the center distances with its
    // upper bound; each candidate is then tested again exactly, as Elkan's loop does.
    void assign_rows(index_t begin, index_t end, label_t* labels, Moves& moves) {
        for (index_t i = begin; i < end; ++i) {
            index_t a = labels[i];
            double u = upper_[static_cast<size_t>(i)];
            bool tight = tight_[static_cast<size_t>(i)] != 0;
            // The last shifts loosen the bounds here rather than in a pass of their own: the
            // n x k lower bounds then cross the memory bus once per iteration, not twice.
            const double s = shift_[static_cast<size_t>(a)];
            if (s > 0) {
                u += s;
                tight = false;
            }
            B* row_lower = lower_.data() + i * k_;
            loosen(row_lower, shift_up_.data(), k_);
            if (may_skip(u, half_min_[static_cast<size_t>(a)])) {
                upper_[static_cast<size_t>(i)] = u;
                tight_[static_cast<size_t>(i)] = tight;
                continue;
            }
            double u_sq = upper_sq_[static_cast<size_t>(i)];
            const index_t start = a;
            const B limit = stored_upper(u * (1.0 + 1e-9));  // admits every center may_skip keeps
            const B* half_dist = half_dist_down_.data() + start * k_;
            for (index_t base = 0; base < k_; base += 64) {
                std::uint64_t left = candidates(row_lower + base, half_dist + base, std::min<index_t>(64, k_ - base),
                                                limit);
                for (; left != 0; left &= left - 1) {
                    const index_t c = base + __builtin_ctzll(left);
                    if (c == a) continue;
                    if (may_skip(u, lower(i, c)) || may_skip(u, 0.5 * cdist(a, c))) continue;
                    if (!tight) {
                        u_sq = dist_sq(i, a);
                        u = std::sqrt(u_sq);
                        set_lower(i, a, u);
                        tight = true;
                        if (may_skip(u, lower(i, c)) || may_skip(u, 0.5 * cdist(a, c))) continue;
                    }
                    const double sq = dist_sq(i, c);
                    const double dist = std::sqrt(sq);
                    set_lower(i, c, dist);
                    if (sq < u_sq || (sq == u_sq && c < a)) {
                        a = c;
                        u = dist;
                        u_sq = sq;
                    }
                }
            }
            labels[i] = static_cast<label_t>(a);
            upper_[static_cast<size_t>(i)] = u;
            upper_sq_[static_cast<size_t>(i)] = u_sq;
            tight_[static_cast<size_t>(i)] = tight;
            if (a != start) moves.add(i, static_cast<label_t>(start));
        }
    }

    // After centers moved from old to new: their shifts, by which the next assign_rows
    // loosens each sample's bounds.
    void move_centers(const T* old_centers, const T* new_centers, const label_t*, int) {
        const index_t d = x_.d;
        for (index_t c = 0; c < k_; ++c) {
            shift_[static_cast<size_t>(c)] = std::sqrt(squared_distance(old_centers + c * d, new_centers + c * d, d));
            shift_up_[static_cast<size_t>(c)] = stored_upper(shift_[static_cast<size_t>(c)]);
        }
    }

private:
    static bool may_skip(double upper, double bound) { return bound_excludes(upper, bound); }

    // Bit c set where neither bound exceeds limit: the centers that may be nearer.
    // A center skipped here stays skippable when the label or the upper bound changes
    // during the scan (its distance exceeds the old upper bound, which is at least the
    // distance to the nearest center).
    static std::uint64_t candidates(const B* lower, const B* half_dist, index_t count, B limit) {
        unsigned char keep[64] = {};
        for (index_t c = 0; c < count; ++c) keep[c] = std::max(lower[c], half_dist[c]) <= limit;  // vectorizes
        std::uint64_t mask = 0;
        for (int q = 0; q < 8; ++q) {  // 8 flags (bytes 0 or 1) into 8 bits by one multiply
            std::uint64_t bytes;
            std::memcpy(&bytes, keep + 8 * q, 8);
            mask |= ((bytes * 0x0102040810204080ULL) >> 56) << (8 * q);
        }
        return mask;
    }

    // lower[c] -= shift[c], floored at 0. fl(l - s) is within half an ulp of l - s (one
    // rounding), so scaling it down by four ulps keeps it a lower bound; vectorizes,
    // unlike nextafter. (An unmoved center's stored shift is exactly 0, see stored_upper:
    // a bound at 0 minus FLT_MIN, scaled, would be subnormal, which costs Intel cores a
    // microcode assist per bound.)
    static void loosen(B* lower, const B* shift_up, index_t k) {
        for (index_t c = 0; c < k; ++c) {
            const B v = (lower[c] - shift_up[c]) * kShrink;
            lower[c] = v > B(0) ? v : B(0);
        }
    }

    static constexpr B kShrink = B(1) - 4 * std::numeric_limits<B>::epsilon();

    double dist_sq(index_t i, index_t c) const { return squared_distance(x_.row(i), centers_ + c * x_.d, x_.d); }
    double cdist(index_t a, index_t b) const { return center_dist_[static_cast<size_t>(a * k_ + b)]; }
    double lower(index_t i, index_t c) const { return static_cast<double>(lower_[static_cast<size_t>(i * k_ + c)]); }
    void set_lower(index_t i, index_t c, double v) { lower_[static_cast<size_t>(i * k_ + c)] = stored_lower(v); }

    DenseView<T> x_;
    index_t k_;
    const T* centers_ = nullptr;
    std::vector<double> upper_, upper_sq_;
    std::vector<char> tight_;
    std::vector<B> lower_;  // rounded down: n x k is Elkan's memory cost
    std::vector<double> center_dist_, half_min_, shift_;
    std::vector<B> shift_up_;        // shifts rounded up to the bounds' dtype
    std::vector<B> half_dist_down_;  // half the center distances, rounded down (k x k)
};

template <class T>
FitSummary elkan(const DenseView<T>& x, const double* sample_weight, T* centers, index_t k, label_t* labels,
                 int max_iter, double tol, const RunControl& control) {
    // With two centers Elkan's bounds are Hamerly's: one lower bound, for the one other
    // center, and half the distance between the two. Hamerly keeps them in O(n) and scores
    // its failed rows with the two-center kernel: BisectingKMeans(algorithm='elkan') on
    // 500k x 16 f32, k=100 (99 two-center fits) took 1.05 s this way, 0.18 s that way.
    if (k == 2) return hamerly(x, sample_weight, centers, k, labels, max_iter, tol, control);
    ElkanBounds<T> bounds(x, k);
    return iterate_with_bounds(bounds, x, sample_weight, centers, k, labels, max_iter, tol, control);
}

}  // namespace quickmeans
