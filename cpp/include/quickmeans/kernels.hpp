// The table of SIMD kernels, one implementation per instruction set, chosen once
// at run time (cpuid, overridable by QUICKMEANS_SIMD=generic|avx2|avx512).
#pragma once

#include "quickmeans/common.hpp"

namespace quickmeans {

template <class T>
struct Kernels {
    // Nearest of k_pad packed centers for m rows of x: labels[r], and uncertain[r] = 1
    // when the best and second-best scores are within the kernel's rounding bound
    // (margin_coef * (3 * max_norm2 + ||x||^2)), so the caller must decide exactly.
    // centers_m2 holds -2 * center (k_pad x d); norms holds ||c||^2 (+inf for padding);
    // scratch holds d * group_rows values.
    void (*nearest)(const T* x, index_t m, index_t d, const T* centers_m2, const T* norms,
                    index_t k_pad, T margin_coef, T max_norm2, label_t* labels,
                    unsigned char* uncertain, T* scratch);
    index_t group_rows;    // rows the kernel handles together
    index_t center_block;  // k_pad must be a multiple of this

    // Exact squared distances (double, differences summed in feature order) of m rows
    // to t points: out[p * out_stride + r]. scratch holds d * distance_rows doubles.
    void (*point_distances)(const T* x, index_t m, index_t d, const T* points, index_t t,
                            double* out, index_t out_stride, double* scratch);
    index_t distance_rows;
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
