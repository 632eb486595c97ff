// The table of SIMD kernels, one implementation per instruction set, chosen once
// at run time (cpuid, overridable by QUICKMEANS_SIMD=generic|avx2|avx512).
#pragma once

#include <cstdint>

#include "quickmeans/common.hpp"

namespace quickmeans {

template <class T>
struct Kernels {
    // Nearest of k_pad packed centers for m rows of x, scored in coordinates shifted
    // by `origin`: labels[r] and runner_up[r], and status[r] saying whether the best
    // is certain, one of the two, or undecided, judged against the scores' rounding
    // bound margin_coef * (3 * max_norm2 + ||x - origin||^2). centers_m2 holds
    // -2 * (center - origin) (k_pad x d) in tiles of center_block(d, k) centers, each
    // tile feature-major (tile[j * block + b]); norms their squared norms (+inf for
    // padding); scratch holds d * group_rows values. Unless null, bounds_sq[2r] and
    // bounds_sq[2r + 1] receive an upper bound of row r's squared distance to labels[r]
    // and a lower bound of its squared distance to every other center (valid for
    // certain rows; for the bound-based algorithms). Rows are contiguous (listed null) or
    // listed by index, row r at x + listed[r] * d, read where they lie.
    void (*nearest)(const T* x, const index_t* listed, index_t m, index_t d, const T* origin, const T* centers_m2,
                    const T* norms, index_t k_pad, T margin_coef, T max_norm2, label_t* labels,
                    label_t* runner_up, unsigned char* status, T* scratch, T* bounds_sq);
    index_t group_rows;    // rows the kernel handles together
    index_t (*center_block)(index_t d, index_t k);  // centers per packed tile; k_pad a multiple of it

    // Exact squared distances (double, differences summed in feature order) of m rows
    // to t points: out[p * out_stride + r]. scratch holds d * distance_rows doubles.
    void (*point_distances)(const T* x, index_t m, index_t d, const T* points, index_t t,
                            double* out, index_t out_stride, double* scratch);
    index_t distance_rows;

    // sums[label * d + j] += x[j] (double) and counts[label] += 1 for m rows of unit
    // weight (weighted rows are added by the caller, where no FMA can change rounding).
    void (*add_rows)(const T* x, index_t m, index_t d, const label_t* labels, double* sums,
                     double* counts);

    // Dot products of one sparse row (nnz stored values at column `indices`) with k_pad
    // centers stored feature-major (by_feature[j * k_pad + c], double; k_pad a multiple of
    // sparse_center_block): scores[c] = sum of value * by_feature[j][c]. One per index type.
    void (*sparse_dots_i32)(const T* values, const std::int32_t* indices, index_t nnz,
                            const double* by_feature, index_t k_pad, double* scores);
    void (*sparse_dots_i64)(const T* values, const std::int64_t* indices, index_t nnz,
                            const double* by_feature, index_t k_pad, double* scores);
    index_t sparse_center_block;

    // Copies rows[q] of x (d values each) to out + q * d (q < count).
    void (*gather_rows)(const T* x, index_t d, const index_t* rows, index_t count, T* out);

    // The bounds nearest() squared, as distances: upper[r] and lower[r] are the square
    // roots (double) of bounds_sq[2r] and bounds_sq[2r + 1], negatives taken as 0.
    void (*root_bounds)(const T* bounds_sq, index_t m, double* upper, double* lower);

    // For exactly two centers (kernels/two_centers_impl.hpp): nearest's outcome (status
    // kCertain or kTwoWay) for m rows of x, contiguous (listed null) or rows listed[r] read
    // where they lie, scored against the two centers as they are (2 x d, row-major) within
    // the rounding bound margin_coef * (best + second) (margin_coef >= 4 (d + 2) eps); and
    // add_rows for labels in {0, 1} (the same sums to rounding).
    void (*nearest_two)(const T* x, const index_t* listed, index_t m, index_t d, const T* centers,
                        T margin_coef, label_t* labels, label_t* runner_up, unsigned char* status,
                        T* bounds_sq);
    void (*add_rows_two)(const T* x, index_t m, index_t d, const label_t* labels, double* sums,
                         double* counts);

    // The center of least squared_distance (distance.hpp) to row x, bit for bit, the lowest
    // index on ties (kernels/exact_nearest_impl.hpp): the k centers in tiles of exact_block,
    // each feature-major (tiles[(c / B) * B * d + j * B + c % B], B = exact_block), the last
    // zero-padded.
    label_t (*nearest_exactly)(const T* x, index_t d, const T* tiles, index_t k);
    index_t exact_block;
};

struct KernelSet {
    const char* name;
    Kernels<float> f32;
    Kernels<double> f64;
    // f64.nearest's contract for double rows scored in float (x - origin rounded to float
    // once; centers_m2, norms, margin_coef, max_norm2 and scratch as f32.nearest takes
    // them, with f32.group_rows and f32.center_block): twice the lanes per instruction.
    void (*nearest_narrowed)(const double* x, const index_t* listed, index_t m, index_t d, const double* origin,
                             const float* centers_m2, const float* norms, index_t k_pad, float margin_coef,
                             float max_norm2, label_t* labels, label_t* runner_up, unsigned char* status,
                             float* scratch, float* bounds_sq);
    // k-means++ screen of float32 rows listed by index (row r at x + r * d) against t
    // points, in groups of screen_rows (<= 32) rows: bit r of near[p * groups + g]
    // (groups = ceil(count / screen_rows)) is set unless the float32 squared distance
    // (differences squared and summed over features) of row rows[g * screen_rows + r] to
    // point p is finite and above its threshold; that distance itself is in
    // sums[(p * groups + g) * screen_rows + r]. scratch holds d * screen_rows floats.
    void (*screen_f32)(const float* x, const index_t* rows, index_t count, index_t d, const float* points,
                       index_t t, const float* thresholds, std::uint32_t* near, float* sums, float* scratch);
    index_t screen_rows;
    // Hamerly's bounds test over m samples of k centers, which reads and never writes the
    // bounds (kept as offsets from per-center totals, see hamerly.hpp), in float: sample r
    // of center a fails unless upper[r] + upper_total[a] is clearly below
    // max(lower[r] - lower_total[a], half_min[a]), where the totals are at least and
    // half_min at most the exact values. Returns how many failed and lists them
    // (first + r, in order) in failed_rows (m room); failed is m bytes of scratch.
    index_t (*test_bounds)(const label_t* labels, index_t m, index_t k, const float* upper_total,
                           const float* lower_total, const float* half_min, const float* upper,
                           const float* lower, unsigned char* failed, index_t first, index_t* failed_rows);
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
