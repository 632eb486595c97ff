// Whole-array checks and statistics done in one parallel pass without a copy of X
// (numpy's isfinite/var would allocate arrays as large as X).
#pragma once

#include <cmath>
#include <limits>
#include <vector>

#include "quickmeans/common.hpp"
#include "quickmeans/inertia.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

// True when every |value| is at most `limit` (capped at the dtype's largest finite value):
// false on NaN, infinity, or a value too large for the caller's arithmetic.
template <class T>
bool all_finite(const T* data, index_t size, int n_threads,
                double limit = std::numeric_limits<double>::infinity()) {
    const RangeSplit chunks = fixed_chunks(size, 1 << 16);
    std::vector<char> ok(static_cast<size_t>(chunks.parts), 1);
    const T largest = limit < static_cast<double>(std::numeric_limits<T>::max())
                          ? static_cast<T>(limit)
                          : std::numeric_limits<T>::max();
    parallel_for(chunks.parts, n_threads, [&](index_t p) {
        // An OR of comparisons (false for NaN) vectorises; a float sum would not.
        unsigned bad = 0;
        for (index_t i = chunks.begin(p); i < chunks.end(p); ++i) bad |= !(std::fabs(data[i]) <= largest);
        ok[static_cast<size_t>(p)] = bad == 0;
    });
    for (char v : ok)
        if (!v) return false;
    return true;
}

// Mean over features of the (unweighted, population) variance of each feature:
// scikit-learn's scale for `tol`. Two passes, chunk partials summed in order.
template <class T>
double mean_feature_variance(const DenseView<T>& x, int n_threads) {
    const index_t n = x.n, d = x.d;
    if (n == 0 || d == 0) return 0.0;
    const RangeSplit chunks = fixed_chunks(n);
    std::vector<double> partial(static_cast<size_t>(chunks.parts * d), 0.0);
    auto column_pass = [&](const std::vector<double>* mean) {
        std::fill(partial.begin(), partial.end(), 0.0);
        parallel_for(chunks.parts, n_threads, [&](index_t p) {
            double* acc = partial.data() + p * d;
            for (index_t i = chunks.begin(p); i < chunks.end(p); ++i) {
                const T* xi = x.row(i);
                if (mean) {
                    for (index_t j = 0; j < d; ++j) {
                        const double t = static_cast<double>(xi[j]) - (*mean)[static_cast<size_t>(j)];
                        acc[j] += t * t;
                    }
                } else {
                    for (index_t j = 0; j < d; ++j) acc[j] += static_cast<double>(xi[j]);
                }
            }
        });
        std::vector<double> total(static_cast<size_t>(d), 0.0);
        for (index_t p = 0; p < chunks.parts; ++p)
            for (index_t j = 0; j < d; ++j) total[static_cast<size_t>(j)] += partial[static_cast<size_t>(p * d + j)];
        for (double& v : total) v /= static_cast<double>(n);
        return total;
    };
    const std::vector<double> mean = column_pass(nullptr);
    const std::vector<double> var = column_pass(&mean);
    double s = 0.0;
    for (double v : var) s += v;
    return s / static_cast<double>(d);
}

}  // namespace quickmeans
