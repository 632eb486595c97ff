// Row-level operations on a dense view of X, by the same names as their sparse
// overloads in csr.hpp, so the drivers serve both kinds of input.
#pragma once

#include <algorithm>

#include "quickmeans/common.hpp"
#include "quickmeans/distance.hpp"
#include "quickmeans/kernels.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

// The engine's exact squared distance of row i to a point.
template <class T, class U>
inline double row_distance(const DenseView<T>& x, index_t i, const U* c) {
    return squared_distance(x.row(i), c, x.d);
}

// f(j, value) for every feature of row i.
template <class T, class F>
inline void for_each_entry(const DenseView<T>& x, index_t i, F&& f) {
    const T* xi = x.row(i);
    for (index_t j = 0; j < x.d; ++j) f(j, xi[j]);
}

template <class T, class U>
inline void copy_row(const DenseView<T>& x, index_t i, U* out) {
    std::copy(x.row(i), x.row(i) + x.d, out);
}

// Exact squared distances of rows [b, b + m) to t dense points: out[p * stride + r].
// point_norms2 is unused here (the sparse overload needs it); scratch holds
// d * distance_rows doubles.
template <class T>
void distances_to_points(const DenseView<T>& x, index_t b, index_t m, const T* points, const double* point_norms2,
                         index_t t, double* out, index_t stride, double* scratch) {
    (void)point_norms2;
    active_kernels().template get<T>().point_distances(x.row(b), m, x.d, points, t, out, stride, scratch);
}

// Rows index[0..count) of x, in that order, copied to out (count x d): a cluster's rows
// gathered for the kernels, which read contiguous rows. Each index must be in [0, x.n).
template <class T>
void take_rows(const DenseView<T>& x, const index_t* index, index_t count, T* out, int n_threads) {
    const RangeSplit chunks{count, std::max<index_t>(1, std::min<index_t>(64, count / 4096))};
    const auto gather = active_kernels().template get<T>().gather_rows;
    parallel_for(chunks.parts, n_threads, [&](index_t p) {
        const index_t b = chunks.begin(p);
        gather(x.data, x.d, index + b, chunks.end(p) - b, out + b * x.d);
    });
}

// The rows with label 0, then the others, each in increasing order (a stable partition of
// 0..m-1 by label): order[0..m); returns how many have label 0.
inline index_t partition_order(const label_t* labels, index_t m, index_t* order) {
    index_t left = 0;
    for (index_t i = 0; i < m; ++i) left += labels[i] == 0;
    index_t at_left = 0, at_right = left;
    for (index_t i = 0; i < m; ++i) {
        // The row's place picked by a select, not a branch: labels are close to random.
        const bool right = labels[i] != 0;
        order[right ? at_right : at_left] = i;
        at_right += right;
        at_left += !right;
    }
    return left;
}

}  // namespace quickmeans
