// The bound-based algorithms' per-sample passes, compiled per instruction set like the
// nearest-center kernel (see nearest_impl.hpp for the namespace rules; this file is
// included after it and uses its Lanes, splat, load and store).
#ifndef QM_KERNEL_NS
#error "define QM_KERNEL_NS before including this file"
#endif

#include <cstdint>

#include "quickmeans/common.hpp"
#include "quickmeans/marked.hpp"

namespace quickmeans {
namespace QM_KERNEL_NS {

// Relative slack of the float test, far above its rounding (one addition, 2^-24 of the
// result): bounds are only skipped when they clearly decide, and equality never is.
constexpr float kTestSlack = 0x1p-20f;

// One sample's test, the tail of a pass: fails unless its upper bound (upper + upper_total,
// at most s + slack |s| for s the float sum) is clearly below max(half_min, its lower bound).
inline bool fails_one(float upper, float lower, float upper_total, float lower_total, float half_min) {
    const float u = upper + upper_total, l = lower - lower_total;
    const float low = l - kTestSlack * __builtin_fabsf(l);
    return !(u + kTestSlack * __builtin_fabsf(u) < (half_min > low ? half_min : low));
}

// |v| lane by lane (the sign bit cleared).
inline typename Lanes<float>::V abs_lanes(typename Lanes<float>::V v) {
    typedef typename Lanes<float>::I I;
    I bits;
    __builtin_memcpy(&bits, &v, sizeof(v));
    bits &= 0x7fffffff;
    __builtin_memcpy(&v, &bits, sizeof(v));
    return v;
}

// The per-center values of L samples: one in-register permute when the k values fit in one or
// two vectors (a gather cost more than the rest of the test), lane by lane beyond.
template <int kTables>
inline __attribute__((always_inline)) typename Lanes<float>::V look_up(const typename Lanes<float>::V (&table)[2],
                                                                       const float* values,
                                                                       typename Lanes<float>::I labels) {
    typedef typename Lanes<float>::V V;
    if constexpr (kTables == 1) {
        return __builtin_shuffle(table[0], labels);
    } else if constexpr (kTables == 2) {
        return __builtin_shuffle(table[0], table[1], labels);
    } else {
        V out;
        for (int q = 0; q < Lanes<float>::count; ++q) out[q] = values[labels[q]];
        return out;
    }
}

// The pass of test_bounds below, kTables as for look_up: failed[r] = 1 or 0.
template <int kTables>
inline void test_bounds_pass(const label_t* labels, index_t m, index_t k, const float* upper_total,
                             const float* lower_total, const float* half_min, const float* upper,
                             const float* lower, unsigned char* failed) {
    typedef typename Lanes<float>::V V;
    typedef typename Lanes<float>::I I;
    constexpr int L = Lanes<float>::count;
    V up[2] = {}, lo[2] = {}, half[2] = {};
    if constexpr (kTables <= 2) {
        for (index_t c = 0; c < k; ++c) {
            up[c / L][c % L] = upper_total[c];
            lo[c / L][c % L] = lower_total[c];
            half[c / L][c % L] = half_min[c];
        }
    }
    const V slack = splat<V>(kTestSlack);
    index_t r = 0;
    for (; r + L <= m; r += L) {
        const I a = load<I>(labels + r);
        const V u = load<V>(upper + r) + look_up<kTables>(up, upper_total, a);
        const V l = load<V>(lower + r) - look_up<kTables>(lo, lower_total, a);
        const V h = look_up<kTables>(half, half_min, a);
        const V low = l - slack * abs_lanes(l);
        const V high = u + slack * abs_lanes(u);
        const I excluded = high < (h > low ? h : low);  // false for NaN
        store_low_bytes<float>(failed + r, excluded + 1);
    }
    for (; r < m; ++r) {
        const label_t a = labels[r];
        failed[r] = fails_one(upper[r], lower[r], upper_total[a], lower_total[a], half_min[a]);
    }
}

// Hamerly's test for m samples, reading the bounds without writing them: a sample of
// center a keeps its bounds as offsets from a's running totals (hamerly.hpp), its upper
// bound upper[r] + upper_total[a] and its lower bound lower[r] - lower_total[a], tested in
// float: the totals rounded up and half_min rounded down by the caller, the sums' rounding
// within kTestSlack. Lists the samples whose bounds no longer prove their label (first + r,
// in order) in failed_rows (m room); returns how many. failed holds m bytes of scratch.
inline index_t test_bounds(const label_t* labels, index_t m, index_t k, const float* upper_total,
                           const float* lower_total, const float* half_min, const float* upper, const float* lower,
                           unsigned char* __restrict failed, index_t first, index_t* __restrict failed_rows) {
    constexpr index_t L = Lanes<float>::count;
    if (k <= L) test_bounds_pass<1>(labels, m, k, upper_total, lower_total, half_min, upper, lower, failed);
    else if (k <= 2 * L) test_bounds_pass<2>(labels, m, k, upper_total, lower_total, half_min, upper, lower, failed);
    else test_bounds_pass<3>(labels, m, k, upper_total, lower_total, half_min, upper, lower, failed);
    return list_marked(failed, m, first, failed_rows);
}

}  // namespace QM_KERNEL_NS
}  // namespace quickmeans
