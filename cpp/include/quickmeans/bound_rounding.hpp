// How the bound-based algorithms store and test their float bounds. Static (one private
// copy per translation unit) and free of std:: templates, so the per-ISA kernel files
// (kernels/bounds_impl.hpp) can use them without the linker ever handing an AVX-512
// instance to generic code.
#pragma once

#include <cfloat>

namespace quickmeans {

// Bounds kept as float: at least v (upper) or at most v (lower), whatever the rounding.
// Two ulps of slack per store cost nothing in pruning and need no rounding-mode games.
// FLT_MIN covers a positive v that rounds to zero; 0 stays 0 (an unmoved center's shift),
// so that bounds loosened by it are never subnormal: on Intel cores each subnormal result
// costs a microcode assist (Elkan on 200k x 32 f32, k=64: 5.0 s with FLT_MIN, 1.4 s without).
static inline float stored_upper(double v) {
    return static_cast<float>(v) * (1.0f + 0x1p-22f) + (v > 0 ? FLT_MIN : 0.0f);
}
static inline float stored_lower(double v) {  // selects, not branches: vectorizes
    const float f = static_cast<float>(v < static_cast<double>(FLT_MAX) ? v : static_cast<double>(FLT_MAX)) *
                    (1.0f - 0x1p-22f);
    return v >= static_cast<double>(FLT_MIN) ? f : 0.0f;  // NaN: 0
}

// Hamerly's bounds are kept as offsets from per-center running totals (hamerly.hpp), which
// may be negative: at least v (upper) or at most v (lower), for any sign. The slack is
// added in double, so no float intermediate is subnormal; beyond float's range an upper
// offset is at least -FLT_MAX (or +inf) and a lower one at most FLT_MAX (or -inf); NaN
// stays NaN, which no test excludes. (Branch-free: the offsets' signs are close to random.)
static inline float stored_offset_upper(double v) {
    const double widened = v + __builtin_fabs(v) * 0x1p-21 + static_cast<double>(FLT_MIN);
    return static_cast<float>(widened < -static_cast<double>(FLT_MAX) ? -static_cast<double>(FLT_MAX) : widened);
}
static inline float stored_offset_lower(double v) {
    const double narrowed = v - __builtin_fabs(v) * 0x1p-21 - static_cast<double>(FLT_MIN);
    return static_cast<float>(narrowed > static_cast<double>(FLT_MAX) ? static_cast<double>(FLT_MAX) : narrowed);
}

// Floats at least and at most v (for the float bounds test of kernels/bounds_impl.hpp);
// beyond float's range +inf and -inf, NaN stays NaN.
static inline float float_at_least(double v) {
    const float f = static_cast<float>(v);
    return static_cast<double>(f) < v ? __builtin_nextafterf(f, __builtin_inff()) : f;
}
static inline float float_at_most(double v) {
    const float f = static_cast<float>(v);
    return static_cast<double>(f) > v ? __builtin_nextafterf(f, -__builtin_inff()) : f;
}

// Skip a distance only when the bound is clearly larger: the relative slack absorbs
// the rounding of bounds kept over many iterations, and equality is never skipped,
// so the lower index still wins exact ties.
static inline bool bound_excludes(double upper, double bound) { return upper * (1.0 + 1e-10) < bound; }

}  // namespace quickmeans
