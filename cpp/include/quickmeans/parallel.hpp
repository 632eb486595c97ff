// Thin OpenMP helpers. Work is split into a fixed number of pieces that does not
// depend on the thread count, so every reduction happens in the same order and
// results are identical with 1 or N threads.
#pragma once

#include <algorithm>
#include <vector>

#include "quickmeans/common.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace quickmeans {

inline bool has_openmp() {
#ifdef _OPENMP
    return true;
#else
    return false;
#endif
}

// The thread count OpenMP would use by default (honours omp_set_num_threads,
// which is what threadpoolctl calls).
inline int max_threads() {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

inline int thread_id() {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

// Runs body(task) for task in [0, n_tasks) on up to n_threads threads.
// body must not throw.
template <class Body>
void parallel_for(index_t n_tasks, int n_threads, Body&& body) {
    if (n_tasks <= 0) return;
    const int threads = static_cast<int>(std::max<index_t>(1, std::min<index_t>(n_threads, n_tasks)));
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (index_t t = 0; t < n_tasks; ++t) body(t);
#else
    (void)threads;
    for (index_t t = 0; t < n_tasks; ++t) body(t);
#endif
}

// Contiguous split of [0, n) into `parts` ranges; part p is [begin(p), begin(p+1)).
struct RangeSplit {
    index_t n;
    index_t parts;
    index_t begin(index_t p) const { return parts == 0 ? 0 : (n / parts) * p + std::min(p, n % parts); }
    index_t end(index_t p) const { return begin(p + 1); }
};

// Sums per-part partial values in part order: deterministic whatever the threads.
inline double ordered_sum(const std::vector<double>& partials) {
    double s = 0.0;
    for (double v : partials) s += v;
    return s;
}

}  // namespace quickmeans
