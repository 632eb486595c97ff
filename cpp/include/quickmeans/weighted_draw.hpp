// Weighted draws of row indices exactly as NumPy's RandomState.choice makes them with p:
// the cumulative sums of p, added in row order, divided by the last one, and for each
// uniform u the first index whose quotient exceeds u (searchsorted with side='right').
// With p = w / total (or 1 / n for unit weights), computed here as NumPy computes them, the
// same uniforms give the same indices as choice, in one pass over n values instead of
// NumPy's several (validation, copy, cumsum, division, search).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "quickmeans/common.hpp"

namespace quickmeans {

// out[q] for uniforms[q] (q < count), u in [0, 1). weights null: unit weights, p = 1 / n;
// otherwise p[i] = weights[i] / total (total > 0: NumPy's sum of the weights).
inline void inverse_cdf_draws(const double* weights, double total, index_t n, const double* uniforms,
                              index_t count, std::int64_t* out) {
    std::vector<double> cdf(static_cast<size_t>(n));
    const double unit = 1.0 / static_cast<double>(n);
    double running = 0.0;
    for (index_t i = 0; i < n; ++i) {
        running += weights ? weights[i] / total : unit;
        cdf[static_cast<size_t>(i)] = running;
    }
    const double last = running;
    for (index_t q = 0; q < count; ++q) {
        // Division by the positive `last` is monotone, so the quotients can be searched
        // without being stored.
        const double u = uniforms[q];
        const auto first_above = std::partition_point(cdf.begin(), cdf.end(), [&](double c) { return !(c / last > u); });
        out[q] = static_cast<std::int64_t>(first_above - cdf.begin());
    }
}

}  // namespace quickmeans
