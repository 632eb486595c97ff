// Exact squared Euclidean distance, the engine's single definition of "nearest":
// accumulated in double in feature order, whatever the input dtype. Fast kernels
// only pre-select candidates; ties and near-ties are settled here.
#pragma once

#include "quickmeans/common.hpp"

namespace quickmeans {

template <class T, class U>
inline double squared_distance(const T* a, const U* b, index_t d) {
    double s = 0.0;
    for (index_t j = 0; j < d; ++j) {
        const double t = static_cast<double>(a[j]) - static_cast<double>(b[j]);
        s += t * t;
    }
    return s;
}

template <class T>
inline double squared_norm(const T* a, index_t d) {
    double s = 0.0;
    for (index_t j = 0; j < d; ++j) s += static_cast<double>(a[j]) * static_cast<double>(a[j]);
    return s;
}

}  // namespace quickmeans
