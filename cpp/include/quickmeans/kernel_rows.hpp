// Where the bound-based algorithms with one pair of bounds per sample (Hamerly, two
// centers) send the samples their bounds no longer settle: Lloyd's SIMD kernel, which also
// returns their new bounds. Listed samples are read where they lie (no gather); a step most
// of whose samples failed is scanned in place instead of listed: copying most of a step
// costs more than scoring the few rows that did not need it (BisectingKMeans on 500k x 16
// f32, k=100, whose two-center splits fail on most rows in their first iterations, fit 6-8%
// faster; 1M x 8 f64, k=16 was unchanged).
#pragma once

#include <algorithm>
#include <vector>

#include "quickmeans/assign.hpp"
#include "quickmeans/common.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

// One thread's samples for the kernel, its outcome for them, and the test's scratch.
struct KernelRows {
    static constexpr index_t kStep = 1024;  // samples per bounds test
    std::vector<index_t> index;             // listed samples, at most a block
    index_t count = 0;
    std::vector<label_t> labels;            // the kernel's outcome, a block's rows
    std::vector<double> upper, lower;
    std::vector<unsigned char> failed = std::vector<unsigned char>(kStep);  // the test's marks
    std::vector<index_t> failed_rows = std::vector<index_t>(kStep);         // and their list
    explicit KernelRows(index_t block)
        : index(static_cast<size_t>(block)), labels(static_cast<size_t>(block)), upper(static_cast<size_t>(block)),
          lower(static_cast<size_t>(block)) {}
};

// Rows [b, b + m) of x through the kernel where they lie, a block at a time; after each
// block, take(rows, sample) reads its outcome in g (row r is sample(r) of x).
template <class T, class Take>
void score_in_place(NearestCenter<T>& nearest, const DenseView<T>& x, KernelRows& g, index_t b, index_t m,
                    Take&& take) {
    const index_t block = nearest.block_rows();
    for (index_t q = 0; q < m; q += block) {
        const index_t rows = std::min(block, m - q);
        nearest.assign_with_bounds(x.row(b + q), nullptr, rows, g.labels.data(), g.upper.data(), g.lower.data(),
                                   thread_id());
        take(rows, [&](index_t r) { return b + q + r; });
    }
}

// The g.count samples listed in g.index through the kernel, then take as above; empties
// the list.
template <class T, class Take>
void score_listed(NearestCenter<T>& nearest, const DenseView<T>& x, KernelRows& g, Take&& take) {
    if (g.count == 0) return;
    nearest.assign_with_bounds(x.row(0), g.index.data(), g.count, g.labels.data(), g.upper.data(), g.lower.data(),
                               thread_id());
    const index_t* index = g.index.data();
    take(g.count, [index](index_t r) { return index[r]; });
    g.count = 0;
}

// One thread's samples [begin, end) of x in steps of KernelRows::kStep: test(b, m) lists
// the step's failed samples in g.failed_rows and returns how many. A step more than half of
// which failed is scored whole where it lies; else each failed sample i that needs(i) is
// queued, and scored with the queue when it holds a block, or at the end. take(rows, sample)
// reads each block's outcome (as for score_in_place).
template <class T, class Test, class Needs, class Take>
void score_failed_rows(NearestCenter<T>& nearest, const DenseView<T>& x, KernelRows& g, index_t begin, index_t end,
                       Test&& test, Needs&& needs, Take&& take) {
    const index_t block = nearest.block_rows();
    g.count = 0;
    for (index_t b = begin; b < end; b += KernelRows::kStep) {
        const index_t m = std::min(KernelRows::kStep, end - b);
        const index_t failed = test(b, m);
        if (2 * failed > m) {
            score_in_place(nearest, x, g, b, m, take);
            continue;
        }
        // The count stays in a register (kept in g, each store to g.index could alias it).
        index_t count = g.count;
        index_t* index = g.index.data();
        for (index_t q = 0; q < failed; ++q) {
            const index_t i = g.failed_rows[static_cast<size_t>(q)];
            if (!needs(i)) continue;
            index[count++] = i;
            if (count == block) {
                g.count = count;
                score_listed(nearest, x, g, take);
                count = 0;
            }
        }
        g.count = count;
    }
    score_listed(nearest, x, g, take);
}

}  // namespace quickmeans
