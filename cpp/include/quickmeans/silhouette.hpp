// Mean silhouette coefficient (Rousseeuw 1987): for each sample, a = mean distance to
// the other members of its cluster, b = the smallest mean distance to another cluster,
// s = (b - a) / max(a, b) (0 for a cluster of one). O(n^2 d) exact distances, never an
// n x n matrix: samples are first ordered by cluster, so a sample's distance sums per
// cluster are sums over contiguous blocks of points, taken by the SIMD point_distances
// kernel; per-chunk results are summed in order (the same value for any thread count).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "quickmeans/common.hpp"
#include "quickmeans/inertia.hpp"
#include "quickmeans/kernels.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

// labels in [0, k); returns the mean of s over all samples.
template <class T>
double silhouette(const DenseView<T>& x, const label_t* labels, index_t k, int n_threads) {
    const index_t n = x.n, d = x.d;
    std::vector<index_t> start(static_cast<size_t>(k + 1), 0);
    for (index_t i = 0; i < n; ++i) ++start[static_cast<size_t>(labels[i]) + 1];
    for (index_t c = 0; c < k; ++c) start[static_cast<size_t>(c + 1)] += start[static_cast<size_t>(c)];
    std::vector<T> sorted(static_cast<size_t>(n * d));  // rows grouped by cluster, stable
    std::vector<label_t> sorted_labels(static_cast<size_t>(n));
    {
        std::vector<index_t> next(start.begin(), start.end() - 1);
        for (index_t i = 0; i < n; ++i) {
            const index_t to = next[static_cast<size_t>(labels[i])]++;
            std::copy(x.row(i), x.row(i) + d, sorted.begin() + to * d);
            sorted_labels[static_cast<size_t>(to)] = labels[i];
        }
    }
    auto size_of = [&](index_t c) { return start[static_cast<size_t>(c + 1)] - start[static_cast<size_t>(c)]; };

    const Kernels<T>& kern = active_kernels().template get<T>();
    constexpr index_t kRows = 128, kPoints = 512;
    const RangeSplit chunks = fixed_chunks(n, kRows);
    const int threads = std::max(1, n_threads);
    struct Buffers {
        std::vector<double> dist, scratch, sums;
    };
    std::vector<Buffers> buffers(static_cast<size_t>(threads));
    for (auto& b : buffers) {
        b.dist.resize(static_cast<size_t>(kRows * kPoints));
        b.scratch.resize(static_cast<size_t>(kern.distance_rows * d));
        b.sums.resize(static_cast<size_t>(kRows * k));
    }
    std::vector<double> partial(static_cast<size_t>(chunks.parts), 0.0);
    parallel_for(chunks.parts, threads, [&](index_t part) {
        Buffers& buf = buffers[static_cast<size_t>(thread_id())];
        const index_t b = chunks.begin(part), m = chunks.end(part) - b;
        const T* rows = sorted.data() + b * d;
        std::fill(buf.sums.begin(), buf.sums.end(), 0.0);
        for (index_t c = 0; c < k; ++c) {
            double* sums = buf.sums.data() + c * m;  // cluster-major: the loop over rows vectorises
            for (index_t p0 = start[static_cast<size_t>(c)]; p0 < start[static_cast<size_t>(c + 1)]; p0 += kPoints) {
                const index_t t = std::min(kPoints, start[static_cast<size_t>(c + 1)] - p0);
                kern.point_distances(rows, m, d, sorted.data() + p0 * d, t, buf.dist.data(), m, buf.scratch.data());
                for (index_t p = 0; p < t; ++p) {
                    const double* dp = buf.dist.data() + p * m;
                    for (index_t r = 0; r < m; ++r) sums[r] += std::sqrt(dp[r]);
                }
            }
        }
        double total = 0.0;
        for (index_t r = 0; r < m; ++r) {
            const index_t own = sorted_labels[static_cast<size_t>(b + r)];
            const index_t own_size = size_of(own);
            if (own_size < 2) continue;  // s = 0 for a cluster of one
            const double a = buf.sums[static_cast<size_t>(own * m + r)] / static_cast<double>(own_size - 1);
            double nearest = std::numeric_limits<double>::infinity();
            for (index_t c = 0; c < k; ++c)
                if (c != own && size_of(c) > 0)
                    nearest = std::min(nearest, buf.sums[static_cast<size_t>(c * m + r)] / static_cast<double>(size_of(c)));
            const double denom = std::max(a, nearest);
            if (denom > 0.0) total += (nearest - a) / denom;  // 0/0 counts as 0, as scikit-learn does
        }
        partial[static_cast<size_t>(part)] = total;
    });
    return ordered_sum(partial) / static_cast<double>(n);
}

}  // namespace quickmeans
