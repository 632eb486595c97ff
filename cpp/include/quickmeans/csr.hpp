// Sparse input: a read-only view of a CSR matrix (sorted, unique column indices)
// and the row-level operations the algorithms need from any view of X. The dense
// counterparts are in rows.hpp; the drivers (lloyd.hpp, centers.hpp) call these
// by overload, so one driver serves both.
#pragma once

#include <algorithm>
#include <vector>

#include "quickmeans/common.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

// Row i holds data[indptr[i] .. indptr[i+1]) at columns indices[...] (I: int32 or
// int64). norms2 holds the squared norm of every row, in double (see row_norms2).
template <class T, class I>
struct CsrView {
    const T* data;
    const I* indices;
    const I* indptr;
    index_t n;
    index_t d;
    const double* norms2 = nullptr;
    index_t begin(index_t i) const { return static_cast<index_t>(indptr[i]); }
    index_t end(index_t i) const { return static_cast<index_t>(indptr[i + 1]); }
};

enum CsrStatus : int { kCsrCanonical = 0, kCsrUnsorted = 1, kCsrInvalid = 2 };

// Whether CSR arrays describe an n x d matrix (indptr starts at 0, never
// decreases, ends at most at nnz; indices in [0, d)) and, if so, whether each
// row's indices strictly increase (sorted, no duplicates), as the kernels need.
template <class I>
CsrStatus csr_status(const I* indices, const I* indptr, index_t n, index_t d, index_t nnz) {
    if (indptr[0] != 0 || static_cast<index_t>(indptr[n]) > nnz) return kCsrInvalid;
    CsrStatus status = kCsrCanonical;
    for (index_t i = 0; i < n; ++i) {
        const index_t b = static_cast<index_t>(indptr[i]), e = static_cast<index_t>(indptr[i + 1]);
        if (e < b) return kCsrInvalid;
        for (index_t q = b; q < e; ++q) {
            const index_t j = static_cast<index_t>(indices[q]);
            if (j < 0 || j >= d) return kCsrInvalid;
            if (q > b && j <= static_cast<index_t>(indices[q - 1])) status = kCsrUnsorted;
        }
    }
    return status;
}

// Squared norms of the rows, computed once per call into the engine.
template <class T, class I>
std::vector<double> row_norms2(const CsrView<T, I>& x, int n_threads) {
    std::vector<double> out(static_cast<size_t>(x.n));
    const RangeSplit chunks{x.n, std::max<index_t>(1, std::min<index_t>(x.n, 256))};
    parallel_for(chunks.parts, n_threads, [&](index_t p) {
        for (index_t i = chunks.begin(p); i < chunks.end(p); ++i) {
            double s = 0.0;
            for (index_t q = x.begin(i); q < x.end(i); ++q) s += static_cast<double>(x.data[q]) * x.data[q];
            out[static_cast<size_t>(i)] = s;
        }
    });
    return out;
}

// Mean over features of the population variance of each feature (the scale of
// tol), in two passes over the stored entries: sum of (x - mean)^2 over them plus
// mean^2 for each implicit zero. One thread: the passes are O(nnz).
template <class T, class I>
double mean_feature_variance(const CsrView<T, I>& x) {
    const index_t n = x.n, d = x.d;
    std::vector<double> mean(static_cast<size_t>(d), 0.0), sq(static_cast<size_t>(d), 0.0);
    std::vector<index_t> stored(static_cast<size_t>(d), 0);
    const index_t nnz = x.end(n - 1);
    for (index_t q = 0; q < nnz; ++q) mean[static_cast<size_t>(x.indices[q])] += static_cast<double>(x.data[q]);
    for (double& m : mean) m /= static_cast<double>(n);
    for (index_t q = 0; q < nnz; ++q) {
        const size_t j = static_cast<size_t>(x.indices[q]);
        const double t = static_cast<double>(x.data[q]) - mean[j];
        sq[j] += t * t;
        ++stored[j];
    }
    double total = 0.0;
    for (index_t j = 0; j < d; ++j) {
        const size_t u = static_cast<size_t>(j);
        total += (sq[u] + static_cast<double>(n - stored[u]) * mean[u] * mean[u]) / static_cast<double>(n);
    }
    return total / static_cast<double>(d);
}

// Dot product of row i with a dense vector, in double.
template <class T, class I, class U>
inline double row_dot(const CsrView<T, I>& x, index_t i, const U* v) {
    double s = 0.0;
    for (index_t q = x.begin(i); q < x.end(i); ++q) s += static_cast<double>(x.data[q]) * static_cast<double>(v[x.indices[q]]);
    return s;
}

// The engine's exact squared distance (distance.hpp) of row i to a dense point,
// bit for bit: the zeros are visited too, in the same order and the same four
// partial sums, so sparse and densified input settle near ties identically. O(d):
// used only where the fast expansion cannot decide.
template <class T, class I, class U>
double row_distance(const CsrView<T, I>& x, index_t i, const U* c) {
    const index_t d = x.d, full = d - d % 4, stop = x.end(i);
    index_t q = x.begin(i), j = 0;
    auto value = [&](index_t col) -> double {
        if (q < stop && static_cast<index_t>(x.indices[q]) == col) return static_cast<double>(x.data[q++]);
        return 0.0;
    };
    double s[4] = {0.0, 0.0, 0.0, 0.0};
    while (j < full) {
        // Groups of four before the next stored entry's group hold only zeros: a tight
        // loop (the same additions, so the same bits).
        const index_t next = q < stop ? static_cast<index_t>(x.indices[q]) : d;
        const index_t zeros_end = std::min(full, next - next % 4);
        for (; j < zeros_end; j += 4)
            for (int l = 0; l < 4; ++l) {
                const double t = 0.0 - static_cast<double>(c[j + l]);
                s[l] += t * t;
            }
        if (j >= full) break;
        for (int l = 0; l < 4; ++l) {
            const double t = value(j + l) - static_cast<double>(c[j + l]);
            s[l] += t * t;
        }
        j += 4;
    }
    for (; j < d; ++j) {
        const double t = value(j) - static_cast<double>(c[j]);
        s[0] += t * t;
    }
    return (s[0] + s[1]) + (s[2] + s[3]);
}

// f(j, value) for the stored entries of row i (zeros of a dense row contribute
// nothing to sums, so the sparse and dense paths accumulate the same values).
template <class T, class I, class F>
inline void for_each_entry(const CsrView<T, I>& x, index_t i, F&& f) {
    for (index_t q = x.begin(i); q < x.end(i); ++q) f(static_cast<index_t>(x.indices[q]), x.data[q]);
}

// Row i written densely into out (d values).
template <class T, class I, class U>
inline void copy_row(const CsrView<T, I>& x, index_t i, U* out) {
    for (index_t j = 0; j < x.d; ++j) out[j] = U(0);
    for_each_entry(x, i, [&](index_t j, T v) { out[j] = static_cast<U>(v); });
}

// Squared distance by the expansion ||x||^2 - 2 x.c + ||c||^2 (c_norm2 = ||c||^2),
// clipped at 0: O(nnz of the row), for inertia, transform and seeding.
template <class T, class I, class U>
inline double expanded_distance(const CsrView<T, I>& x, index_t i, const U* c, double c_norm2) {
    const double dist = x.norms2[i] - 2.0 * row_dot(x, i, c) + c_norm2;
    return dist > 0.0 ? dist : 0.0;
}

// Squared distances of rows [b, b + m) to t dense points (point_norms2: their
// squared norms), by the expansion: out[p * stride + r]. scratch is unused.
template <class T, class I>
void distances_to_points(const CsrView<T, I>& x, index_t b, index_t m, const T* points, const double* point_norms2,
                         index_t t, double* out, index_t stride, double* scratch) {
    (void)scratch;
    for (index_t p = 0; p < t; ++p)
        for (index_t r = 0; r < m; ++r)
            out[p * stride + r] = expanded_distance(x, b + r, points + p * x.d, point_norms2[p]);
}

}  // namespace quickmeans
