// Exact distances of sparse rows to centers that are sparse too. With init = rows of X
// (TF-IDF: unit rows that share few columns) most rows tie among the initial centers
// and every tie is settled exactly; csr.hpp's row_distance visits all d features, but
// where both the row and the center are zero a term is (0 - 0)^2 = +0, which leaves a
// partial sum unchanged. So the sum over the union of the two supports, each term added
// to the partial sum row_distance adds it to (j % 4 below the last full group of four,
// else the first) in feature order, is the same value bit for bit, in O(nnz + support).
#pragma once

#include <algorithm>
#include <vector>

#include "quickmeans/common.hpp"
#include "quickmeans/csr.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

class CenterSupports {
public:
    // Centers with more nonzeros than d / kDenseShare use the dense exact distance.
    static constexpr index_t kDenseShare = 8;

    // Each center's nonzero columns (up to d / kDenseShare), the centers scanned in parallel.
    template <class T>
    void set(const T* centers, index_t k, index_t d, int n_threads) {
        begin_.assign(static_cast<size_t>(k + 1), 0);
        sparse_.assign(static_cast<size_t>(k), 0);
        per_center_.resize(static_cast<size_t>(k));
        const index_t limit = d / kDenseShare;
        parallel_for(k, n_threads, [&](index_t c) {
            std::vector<index_t>& columns = per_center_[static_cast<size_t>(c)];
            columns.clear();
            const T* center = centers + c * d;
            bool sparse = true;
            for (index_t j = 0; j < d; ++j) {
                if (center[j] == T(0)) continue;
                if (static_cast<index_t>(columns.size()) == limit) {
                    sparse = false;
                    break;
                }
                columns.push_back(j);
            }
            if (!sparse) columns.clear();
            sparse_[static_cast<size_t>(c)] = sparse;
        });
        columns_.clear();
        for (index_t c = 0; c < k; ++c) {
            const std::vector<index_t>& columns = per_center_[static_cast<size_t>(c)];
            columns_.insert(columns_.end(), columns.begin(), columns.end());
            begin_[static_cast<size_t>(c + 1)] = static_cast<index_t>(columns_.size());
        }
    }

    // The exact squared distance of row i to center c (its d values at `center`).
    template <class T, class I, class U>
    double distance(const CsrView<T, I>& x, index_t i, index_t c, const U* center) const {
        if (!sparse_[static_cast<size_t>(c)]) return row_distance(x, i, center);
        const index_t full = x.d - x.d % 4;
        const index_t* col = columns_.data() + begin_[static_cast<size_t>(c)];
        const index_t* col_end = columns_.data() + begin_[static_cast<size_t>(c + 1)];
        index_t q = x.begin(i);
        const index_t stop = x.end(i);
        double s[4] = {0.0, 0.0, 0.0, 0.0};
        while (q < stop || col < col_end) {
            const index_t jx = q < stop ? static_cast<index_t>(x.indices[q]) : x.d;
            const index_t jc = col < col_end ? *col : x.d;
            const index_t j = std::min(jx, jc);
            const double value = jx == j ? static_cast<double>(x.data[q++]) : 0.0;
            if (jc == j) ++col;
            const double t = value - static_cast<double>(center[j]);
            s[j < full ? j % 4 : 0] += t * t;
        }
        return (s[0] + s[1]) + (s[2] + s[3]);
    }

private:
    std::vector<index_t> columns_;  // each sparse center's nonzero columns, in order
    std::vector<index_t> begin_;    // center c's columns: [begin_[c], begin_[c + 1])
    std::vector<unsigned char> sparse_;
    std::vector<std::vector<index_t>> per_center_;  // set()'s scans, one per center
};

}  // namespace quickmeans
