// Whole-array checks and statistics done in one parallel pass without a copy of X
// (numpy's isfinite/var would allocate arrays as large as X).
#pragma once

#include <algorithm>
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
// scikit-learn's scale for `tol`. One pass over X: each chunk's mean and squared
// deviations from it are two passes over rows still in cache, and the chunks are merged
// in order (Chan et al.'s update), so the result is the same for any thread count and as
// accurate as two passes over all of X (no cancellation for data far from the origin).
template <class T>
double mean_feature_variance(const DenseView<T>& x, int n_threads) {
    const index_t n = x.n, d = x.d;
    if (n == 0 || d == 0) return 0.0;
    const RangeSplit chunks = fixed_chunks(n, std::max<index_t>(64, (index_t{1} << 15) / d));  // ~256 KB
    std::vector<double> means(static_cast<size_t>(chunks.parts * d), 0.0);
    std::vector<double> squares(static_cast<size_t>(chunks.parts * d), 0.0);
    parallel_for(chunks.parts, n_threads, [&](index_t p) {
        // Local sums: accumulating in `means` would share cache lines between threads.
        std::vector<double> mean(static_cast<size_t>(d), 0.0), sq(static_cast<size_t>(d), 0.0);
        const index_t begin = chunks.begin(p), end = chunks.end(p);
        for (index_t i = begin; i < end; ++i) {
            const T* xi = x.row(i);
            for (index_t j = 0; j < d; ++j) mean[static_cast<size_t>(j)] += static_cast<double>(xi[j]);
        }
        for (double& v : mean) v /= static_cast<double>(end - begin);
        for (index_t i = begin; i < end; ++i) {
            const T* xi = x.row(i);
            for (index_t j = 0; j < d; ++j) {
                const double t = static_cast<double>(xi[j]) - mean[static_cast<size_t>(j)];
                sq[static_cast<size_t>(j)] += t * t;
            }
        }
        std::copy(mean.begin(), mean.end(), means.begin() + p * d);
        std::copy(sq.begin(), sq.end(), squares.begin() + p * d);
    });
    double s = 0.0;
    for (index_t j = 0; j < d; ++j) {
        double mean = 0.0, sq = 0.0, count = 0.0;
        for (index_t p = 0; p < chunks.parts; ++p) {
            const double m = static_cast<double>(chunks.end(p) - chunks.begin(p));
            const double delta = means[static_cast<size_t>(p * d + j)] - mean;
            const double merged = count + m;
            mean += delta * (m / merged);
            sq += squares[static_cast<size_t>(p * d + j)] + delta * delta * (count * m / merged);
            count = merged;
        }
        s += sq / static_cast<double>(n);
    }
    return s / static_cast<double>(d);
}

}  // namespace quickmeans
