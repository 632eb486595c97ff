// Row-level operations on a dense view of X, by the same names as their sparse
// overloads in csr.hpp, so the drivers serve both kinds of input.
#pragma once

#include <algorithm>
#include <vector>

#include "quickmeans/common.hpp"
#include "quickmeans/distance.hpp"
#include "quickmeans/inertia.hpp"
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

// A split's two children in one streaming pass over x (labels 0 or 1): the rows of label 0
// copied to out first, then the others, each side in x's order, their indices in order
// (partition_order's result), and each side's weighted squared distances to its center
// (centers: 2 x d) summed while the row is at hand. Rows are read in order and written to
// two sequential runs per chunk (a gather by index read them scattered), in fixed chunks
// whose counts place them: the same output and sums for any thread count. order lists each
// placed row's number, or its entry of `index` (the cluster's rows in X) unless null.
// Returns how many rows have label 0.
template <class T>
index_t split_rows(const DenseView<T>& x, const double* sample_weight, const T* centers, const label_t* labels,
                   const index_t* index, index_t* order, T* out, double* side_inertia, int n_threads) {
    const RangeSplit chunks = fixed_chunks(x.n);
    std::vector<index_t> left_before(static_cast<size_t>(chunks.parts) + 1, 0);
    parallel_for(chunks.parts, n_threads, [&](index_t p) {
        index_t zeros = 0;
        for (index_t i = chunks.begin(p); i < chunks.end(p); ++i) zeros += labels[i] == 0;
        left_before[static_cast<size_t>(p) + 1] = zeros;
    });
    for (index_t p = 0; p < chunks.parts; ++p) left_before[static_cast<size_t>(p) + 1] += left_before[static_cast<size_t>(p)];
    const index_t left = left_before[static_cast<size_t>(chunks.parts)];
    std::vector<double> partial(static_cast<size_t>(2 * chunks.parts), 0.0);
    // The centers widened once (squared_distance then loads them as they are); rows copied
    // four values at a time (std::copy called memmove once per row). Everything the loop
    // reads is a local: through the lambda's references, each copy (which may alias
    // anything) made the compiler load d, the chunk's end (a division) and every pointer again.
    const std::vector<double> wide(centers, centers + 2 * x.d);
    parallel_for(chunks.parts, n_threads, [&](index_t p) {
        const index_t d = x.d, begin = chunks.begin(p), end = chunks.end(p);
        const T* const data = x.data;
        const label_t* const side_of = labels;
        const double* const weight = sample_weight;
        const double* const center[2] = {wide.data(), wide.data() + d};
        index_t* const placed = order;
        const index_t* const from = index;
        T* const rows_out = out;
        index_t at[2] = {left_before[static_cast<size_t>(p)], left + begin - left_before[static_cast<size_t>(p)]};
        double sums[2] = {0.0, 0.0};
        for (index_t i = begin; i < end; ++i) {
            const int side = side_of[i] != 0;
            const index_t q = at[side]++;
            placed[q] = from ? from[i] : i;
            const T* row = data + i * d;
            T* to = rows_out + q * d;
            index_t j = 0;
            for (; j + 4 <= d; j += 4) __builtin_memcpy(to + j, row + j, 4 * sizeof(T));  // one move each
            for (; j < d; ++j) to[j] = row[j];
            sums[side] += weight_of(weight, i) * squared_distance(row, center[side], d);
        }
        partial[static_cast<size_t>(2 * p)] = sums[0];
        partial[static_cast<size_t>(2 * p + 1)] = sums[1];
    });
    side_inertia[0] = side_inertia[1] = 0.0;
    for (index_t p = 0; p < chunks.parts; ++p)
        for (int side = 0; side < 2; ++side) side_inertia[side] += partial[static_cast<size_t>(2 * p + side)];
    return left;
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
