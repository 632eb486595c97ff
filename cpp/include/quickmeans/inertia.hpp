// inertia: the exact weighted sum of squared distances of samples to their
// centers, computed directly (not from the ||x||^2 - 2x.c + ||c||^2 expansion)
// and summed over fixed row chunks in order.
#pragma once

#include <vector>

#include "quickmeans/common.hpp"
#include "quickmeans/distance.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

inline RangeSplit fixed_chunks(index_t n, index_t rows_per_chunk = 4096) {
    return RangeSplit{n, std::max<index_t>(1, (n + rows_per_chunk - 1) / rows_per_chunk)};
}

template <class T>
double inertia(const DenseView<T>& x, const double* sample_weight, const T* centers, const label_t* labels,
               int n_threads) {
    const RangeSplit chunks = fixed_chunks(x.n);
    std::vector<double> partial(static_cast<size_t>(chunks.parts), 0.0);
    parallel_for(chunks.parts, n_threads, [&](index_t p) {
        const index_t d = x.d, begin = chunks.begin(p), end = chunks.end(p);
        double acc = 0.0;
        for (index_t i = begin; i < end; ++i)
            acc += weight_of(sample_weight, i) * squared_distance(x.row(i), centers + labels[i] * d, d);
        partial[static_cast<size_t>(p)] = acc;
    });
    return ordered_sum(partial);
}

}  // namespace quickmeans
