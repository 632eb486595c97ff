// center_distances: Euclidean distance of every sample to every center (the
// estimator's transform), from the exact squared distances of the SIMD
// point_distances kernel (samples in lanes, double accumulation).
#pragma once

#include <cmath>
#include <vector>

#include "quickmeans/common.hpp"
#include "quickmeans/inertia.hpp"
#include "quickmeans/kernels.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

template <class T>
void center_distances(const DenseView<T>& x, const T* centers, index_t k, T* out, int n_threads) {
    const Kernels<T>& kern = active_kernels().template get<T>();
    const index_t rows = 256;
    const RangeSplit chunks = fixed_chunks(x.n, rows);
    const int threads = std::max(1, n_threads);
    std::vector<std::vector<double>> dist(static_cast<size_t>(threads)), scratch(static_cast<size_t>(threads));
    for (int t = 0; t < threads; ++t) {
        dist[static_cast<size_t>(t)].resize(static_cast<size_t>(rows * k));
        scratch[static_cast<size_t>(t)].resize(static_cast<size_t>(kern.distance_rows * x.d));
    }
    parallel_for(chunks.parts, threads, [&](index_t p) {
        const index_t b = chunks.begin(p), m = chunks.end(p) - b;
        double* dd = dist[static_cast<size_t>(thread_id())].data();
        kern.point_distances(x.row(b), m, x.d, centers, k, dd, m, scratch[static_cast<size_t>(thread_id())].data());
        for (index_t r = 0; r < m; ++r)
            for (index_t c = 0; c < k; ++c) out[(b + r) * k + c] = static_cast<T>(std::sqrt(dd[c * m + r]));
    });
}

}  // namespace quickmeans
