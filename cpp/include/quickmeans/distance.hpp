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
    double s[4] = {0.0, 0.0, 0.0, 0.0};
    index_t j = 0;
    for (; j + 4 <= d; j += 4)
        for (int l = 0; l < 4; ++l) {
            const double t = static_cast<double>(a[j + l]) - static_cast<double>(b[j + l]);
            s[l] += t * t;
        }
    for (; j < d; ++j) {
        const double t = static_cast<double>(a[j]) - static_cast<double>(b[j]);
        s[0] += t * t;
    }
    return (s[0] + s[1]) + (s[2] + s[3]);
}

template <class T>
inline double squared_norm(const T* a, index_t d) {
    double s = 0.0;
    for (index_t j = 0; j < d; ++j) s += static_cast<double>(a[j]) * static_cast<double>(a[j]);
    return s;
}

}  // namespace quickmeans
