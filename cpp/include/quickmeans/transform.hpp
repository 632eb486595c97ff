// center_distances: Euclidean distance of every sample to every center (the
// estimator's transform), from the exact squared distance.
#pragma once

#include <cmath>

#include "quickmeans/common.hpp"
#include "quickmeans/distance.hpp"
#include "quickmeans/inertia.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

template <class T>
void center_distances(const DenseView<T>& x, const T* centers, index_t k, T* out, int n_threads) {
    const RangeSplit chunks = fixed_chunks(x.n, 256);
    parallel_for(chunks.parts, n_threads, [&](index_t p) {
        for (index_t i = chunks.begin(p); i < chunks.end(p); ++i)
            for (index_t c = 0; c < k; ++c)
                out[i * k + c] = static_cast<T>(std::sqrt(squared_distance(x.row(i), centers + c * x.d, x.d)));
    });
}

}  // namespace quickmeans
