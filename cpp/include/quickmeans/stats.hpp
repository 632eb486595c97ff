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

// `limit` as a T, capped at the dtype's largest finite value: |value| <= it is false for
// NaN, infinity and values beyond the limit.
template <class T>
T magnitude_cap(double limit) {
    return limit < static_cast<double>(std::numeric_limits<T>::max()) ? static_cast<T>(limit)
                                                                      : std::numeric_limits<T>::max();
}

// True when every |value| is at most `limit` (capped at the dtype's largest finite value):
// false on NaN, infinity, or a value too large for the caller's arithmetic.
template <class T>
bool all_finite(const T* data, index_t size, int n_threads,
                double limit = std::numeric_limits<double>::infinity()) {
    const RangeSplit chunks = fixed_chunks(size, 1 << 16);
    std::vector<char> ok(static_cast<size_t>(chunks.parts), 1);
    const T largest = magnitude_cap<T>(limit);
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

// Per-feature count, mean and sum of squared deviations of a set of rows, mergeable
// (Chan et al.'s update): merging in a fixed order gives the same result for any threads.
struct ColumnMoments {
    double count = 0.0;
    std::vector<double> mean, squares;
    explicit ColumnMoments(index_t d) : mean(static_cast<size_t>(d), 0.0), squares(static_cast<size_t>(d), 0.0) {}
    void merge(const ColumnMoments& other) {
        if (other.count == 0.0) return;
        const double merged = count + other.count;
        for (size_t j = 0; j < mean.size(); ++j) {
            const double delta = other.mean[j] - mean[j];
            mean[j] += delta * (other.count / merged);
            squares[j] += other.squares[j] + delta * delta * (count * other.count / merged);
        }
        count = merged;
    }
};

// Features summed together per pass over a chunk's rows: their sums stay in registers (summed
// through memory, feature by feature, each row's addition waited on the last one's store).
constexpr index_t kFeatureBlock = 8;

// A chunk's mean and squared deviations of features [j0, j0 + w), w <= kFeatureBlock, each
// feature's rows added in order; returns nonzero when a |value| there is not <= largest.
template <int W, class T>
unsigned block_moments(const DenseView<T>& x, index_t begin, index_t end, index_t j0, T largest,
                       ColumnMoments& chunk) {
    double sum[W] = {}, squares[W] = {}, mean[W];
    unsigned bad = 0;
    for (index_t i = begin; i < end; ++i) {
        const T* xi = x.row(i) + j0;
        for (int j = 0; j < W; ++j) {
            sum[j] += static_cast<double>(xi[j]);
            bad |= !(std::fabs(xi[j]) <= largest);
        }
    }
    for (int j = 0; j < W; ++j) mean[j] = sum[j] / chunk.count;
    for (index_t i = begin; i < end; ++i) {
        const T* xi = x.row(i) + j0;
        for (int j = 0; j < W; ++j) {
            const double t = static_cast<double>(xi[j]) - mean[j];
            squares[j] += t * t;
        }
    }
    for (int j = 0; j < W; ++j) {
        chunk.mean[static_cast<size_t>(j0 + j)] = mean[j];
        chunk.squares[static_cast<size_t>(j0 + j)] = squares[j];
    }
    return bad;
}

template <class T>
unsigned chunk_moments(const DenseView<T>& x, index_t begin, index_t end, index_t j0, index_t w, T largest,
                       ColumnMoments& chunk) {
    static_assert(kFeatureBlock == 8, "one instance per block width below");
    switch (w) {
        case 8: return block_moments<8>(x, begin, end, j0, largest, chunk);
        case 7: return block_moments<7>(x, begin, end, j0, largest, chunk);
        case 6: return block_moments<6>(x, begin, end, j0, largest, chunk);
        case 5: return block_moments<5>(x, begin, end, j0, largest, chunk);
        case 4: return block_moments<4>(x, begin, end, j0, largest, chunk);
        case 3: return block_moments<3>(x, begin, end, j0, largest, chunk);
        case 2: return block_moments<2>(x, begin, end, j0, largest, chunk);
        default: return block_moments<1>(x, begin, end, j0, largest, chunk);
    }
}

// Mean over features of the (unweighted, population) variance of each feature:
// scikit-learn's scale for `tol`. One pass over X: each chunk's mean and squared
// deviations from it are two passes over rows still in cache, merged into one of a fixed
// number of groups of chunks, in order, and the groups merged in order: the same result for
// any thread count, as accurate as two passes over all of X (no cancellation for data far
// from the origin), and memory for the groups' moments only, whatever the size of X.
// NaN when a value is NaN, infinite or above `limit` in magnitude: the same pass is then
// all_finite's check (KMeans.fit's validation of X and its tol scale in one read of X).
template <class T>
double mean_feature_variance(const DenseView<T>& x, int n_threads,
                             double limit = std::numeric_limits<double>::infinity()) {
    const index_t n = x.n, d = x.d;
    if (n == 0 || d == 0) return 0.0;
    const T largest = magnitude_cap<T>(limit);
    const RangeSplit chunks = fixed_chunks(n, std::max<index_t>(64, (index_t{1} << 15) / d));  // ~256 KB
    const RangeSplit groups{chunks.parts, std::min<index_t>(chunks.parts, 64)};
    std::vector<char> in_range(static_cast<size_t>(groups.parts), 1);
    std::vector<ColumnMoments> moments(static_cast<size_t>(groups.parts), ColumnMoments(d));
    parallel_for(groups.parts, n_threads, [&](index_t g) {
        ColumnMoments chunk(d);
        for (index_t p = groups.begin(g); p < groups.end(g); ++p) {
            const index_t begin = chunks.begin(p), end = chunks.end(p);
            chunk.count = static_cast<double>(end - begin);
            unsigned bad = 0;  // an OR of comparisons (false for NaN) vectorises
            for (index_t j = 0; j < d; j += kFeatureBlock)
                bad |= chunk_moments(x, begin, end, j, std::min(kFeatureBlock, d - j), largest, chunk);
            if (bad) in_range[static_cast<size_t>(g)] = 0;
            moments[static_cast<size_t>(g)].merge(chunk);
        }
    });
    for (char ok : in_range)
        if (!ok) return std::numeric_limits<double>::quiet_NaN();
    for (index_t g = 1; g < groups.parts; ++g) moments[0].merge(moments[static_cast<size_t>(g)]);
    double s = 0.0;
    for (double v : moments[0].squares) s += v / static_cast<double>(n);
    return s / static_cast<double>(d);
}

}  // namespace quickmeans
