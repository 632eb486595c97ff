// The table of SIMD kernels, one implementation per instruction set, chosen once
// at run time (cpuid, overridable by QUICKMEANS_SIMD=generic|avx2|avx512).
#pragma once

#include "quickmeans/common.hpp"

namespace quickmeans {

template <class T>
struct Kernels {
    // scores[i * ks + c] = norms[c] - 2 * dot(x_i, center_c) for m rows of x and
    // k centers given transposed (centers_t[j * ks + c]); ks >= k is the stride.
    void (*center_scores)(const T* x, index_t m, index_t d, const T* centers_t, const T* norms,
                          index_t k, index_t ks, T* scores);
};

struct KernelSet {
    const char* name;
    Kernels<float> f32;
    Kernels<double> f64;
    template <class T>
    const Kernels<T>& get() const;
};

template <>
inline const Kernels<float>& KernelSet::get<float>() const { return f32; }
template <>
inline const Kernels<double>& KernelSet::get<double>() const { return f64; }

// Defined in cpp/src/dispatch.cpp.
const KernelSet& active_kernels();
// Names of the levels this CPU and build can run, best first.
const char* const* available_simd_levels(int* count);
// Forces a level by name; returns false if unknown or unsupported here.
bool select_simd_level(const char* name);

}  // namespace quickmeans
