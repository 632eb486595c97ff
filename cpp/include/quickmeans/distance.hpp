// Exact squared Euclidean distance, the engine's single definition of "nearest":
// accumulated in double whatever the input dtype, in four interleaved partial sums
// (a fixed order, so the same value everywhere; four chains instead of one keep it
// from being latency-bound). Fast kernels only pre-select candidates; ties and
// near-ties are settled here.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include "quickmeans/common.hpp"

namespace quickmeans {

// The largest |value| for which every squared distance between d-dimensional points is
// finite in double: d (2 M)^2 <= DBL_MAX. Python's check_finite rejects data beyond it.
inline double magnitude_limit(index_t d) {
    return std::sqrt(std::numeric_limits<double>::max() / static_cast<double>(std::max<index_t>(d, 1))) / 2;
}

template <class T, class U>
inline double squared_distance(const T* a, const U* b, index_t d) {
    // Features j < 4 floor(d / 4) go to partial sum j mod 4, the rest to sum 0. Two sums per
    // vector of two doubles: left to the compiler, the loop stayed scalar and converted each
    // value on its own. (x86-64's baseline has no FMA: the same values as scalar code.)
    typedef double Pair __attribute__((vector_size(16)));
    Pair s01 = {0.0, 0.0}, s23 = {0.0, 0.0};
    index_t j = 0;
    for (; j + 4 <= d; j += 4) {
        const Pair t01 = Pair{static_cast<double>(a[j]), static_cast<double>(a[j + 1])} -
                         Pair{static_cast<double>(b[j]), static_cast<double>(b[j + 1])};
        const Pair t23 = Pair{static_cast<double>(a[j + 2]), static_cast<double>(a[j + 3])} -
                         Pair{static_cast<double>(b[j + 2]), static_cast<double>(b[j + 3])};
        s01 += t01 * t01;
        s23 += t23 * t23;
    }
    double s0 = s01[0];
    for (; j < d; ++j) {
        const double t = static_cast<double>(a[j]) - static_cast<double>(b[j]);
        s0 += t * t;
    }
    return (s0 + s01[1]) + (s23[0] + s23[1]);
}

template <class T>
inline double squared_norm(const T* a, index_t d) {
    double s = 0.0;
    for (index_t j = 0; j < d; ++j) s += static_cast<double>(a[j]) * static_cast<double>(a[j]);
    return s;
}

}  // namespace quickmeans
