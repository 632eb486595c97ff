// Weighted draws of row indices exactly as NumPy's RandomState.choice makes them with p:
// the cumulative sums of p, added in row order, divided by the last one, and for each
// uniform u the first index whose quotient exceeds u (searchsorted with side='right').
// With p = w / total (or 1 / n for unit weights), computed here as NumPy computes them, the
// same uniforms give the same indices as choice, in one pass over n values instead of
// NumPy's several (validation, copy, cumsum, division, search); for unit weights in
// O(log n) steps and no memory (UnitCumsum), because BisectingKMeans draws two rows of
// every cluster it splits.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "quickmeans/common.hpp"

namespace quickmeans {

// NumPy's cumsum of n copies of c = 1/n, cdf[i] = fl(cdf[i-1] + c), as runs of equal steps.
// Within a binade [hi/2, hi) every sum is a multiple of its ulp u, so fl(s + c) - s is c
// rounded to a multiple of u: the same step for every s, except when c/u ends in exactly
// one half, where ties go to even and the step depends on s's last bit until one step has
// made it even (after which it stays even). So once two consecutive steps agree, the steps
// stay equal for as long as s + c stays at or below hi; the steps that cross into the next
// binade are taken one at a time. In integers of u: s = M u, step K u, and a step from
// M + t K is on the grid of u while M + t K + K + 1 <= 2^53 (c <= (K + 1/2) u).
class UnitCumsum {
public:
    explicit UnitCumsum(index_t n) {
        const double c = 1.0 / static_cast<double>(n);
        constexpr std::uint64_t H = std::uint64_t(1) << 53;
        index_t i = 0;
        double s = c;  // cdf[i]
        while (i < n - 1) {
            const double step = (s + c) - s;  // exact: fl(s + c) is within a factor 2 of s
            const double next = s + step;
            index_t count = 1;
            if ((next + c) - next == step) {
                int e = 0;
                std::frexp(s, &e);  // s in [2^(e-1), 2^e)
                const double u = std::ldexp(1.0, e - 53);
                const auto M = static_cast<std::uint64_t>(s / u), K = static_cast<std::uint64_t>(step / u);
                if (M + K + 1 <= H) count = static_cast<index_t>((H - 1 - M) / K);
            }
            count = std::min(count, n - 1 - i);
            runs_.push_back({i, s, step});
            // Exact: count * step = count K u with count K < 2^53, and the sum is on the grid.
            s += static_cast<double>(count) * step;
            i += count;
        }
        runs_.push_back({i, s, 0.0});  // cdf[n - 1] alone
    }

    // cdf[i], 0 <= i < n.
    double at(index_t i) const {
        const auto run = std::upper_bound(runs_.begin(), runs_.end(), i,
                                          [](index_t v, const Run& r) { return v < r.first; }) - 1;
        return run->start + static_cast<double>(i - run->first) * run->step;
    }
    double last() const { return runs_.back().start; }

private:
    struct Run {
        index_t first;  // cdf[first + t] = start + t * step, up to the next run's first
        double start, step;
    };
    std::vector<Run> runs_;
};

// out[q] for uniforms[q] (q < count), u in [0, 1). weights null: unit weights, p = 1 / n;
// otherwise p[i] = weights[i] / total (total > 0: NumPy's sum of the weights).
inline void inverse_cdf_draws(const double* weights, double total, index_t n, const double* uniforms,
                              index_t count, std::int64_t* out) {
    // Division by the positive last sum is monotone, so the quotients can be searched
    // without being stored: the first index whose quotient exceeds u.
    auto search = [&](auto cdf_at, double last) {
        for (index_t q = 0; q < count; ++q) {
            const double u = uniforms[q];
            index_t lo = 0, hi = n;
            while (lo < hi) {
                const index_t mid = lo + (hi - lo) / 2;
                if (cdf_at(mid) / last > u) hi = mid; else lo = mid + 1;
            }
            out[q] = static_cast<std::int64_t>(lo);
        }
    };
    if (!weights) {
        const UnitCumsum cdf(n);
        search([&](index_t i) { return cdf.at(i); }, cdf.last());
        return;
    }
    std::vector<double> cdf(static_cast<size_t>(n));
    double running = 0.0;
    for (index_t i = 0; i < n; ++i) {
        running += weights[i] / total;
        cdf[static_cast<size_t>(i)] = running;
    }
    search([&](index_t i) { return cdf[static_cast<size_t>(i)]; }, running);
}

}  // namespace quickmeans
