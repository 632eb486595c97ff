// k-means++ seeding's float32 screen, compiled per instruction set after
// nearest_impl.hpp (which defines Lanes, load and store in QM_KERNEL_NS).
#ifndef QM_KERNEL_NS
#error "define QM_KERNEL_NS before including this file"
#endif

#include <cstdint>

#if defined(__SSE2__) || defined(__AVX__)
#include <immintrin.h>
#endif

#include "quickmeans/common.hpp"

namespace quickmeans {
namespace QM_KERNEL_NS {

// k-means++ screen: the float32 squared distances of listed rows to candidate points,
// compared with a threshold per row, a group of screen_rows() rows at a time. Short rows sit
// in lanes as in point_distances (the group gathered by index and transposed into scratch,
// d x G floats); long rows are read where they lie (screen_rows_rowwise).
constexpr index_t screen_rows() { return static_cast<index_t>(Lanes<float>::count) * QM_ROW_VECS; }

// scratch[j * G + r] = x[rows[r] * d + j] for the `count` listed rows, zero past them.
inline void gather_transposed(const float* x, const index_t* rows, index_t count, index_t d, float* scratch) {
    typedef Lanes<float>::V V;
    constexpr int L = Lanes<float>::count;
    constexpr int R = QM_ROW_VECS;
    constexpr index_t G = screen_rows();
    index_t j0 = 0;
    if (count == G) {
        for (; j0 + L <= d; j0 += L)
            for (int v = 0; v < R; ++v) {
                V block[L];
                for (int r = 0; r < L; ++r) block[r] = load<V>(x + rows[v * L + r] * d + j0);
                transpose_block<float>(block);
                for (int c = 0; c < L; ++c) store(scratch + (j0 + c) * G + v * L, block[c]);
            }
    }
    for (index_t j = j0; j < d; ++j) {
        for (index_t r = 0; r < count; ++r) scratch[j * G + r] = x[rows[r] * d + j];
        for (index_t r = count; r < G; ++r) scratch[j * G + r] = 0.0f;
    }
}

// Bit i set where lane i of a is above lane i of b and below +inf (false for NaN).
inline std::uint32_t lanes_far(const Lanes<float>::V& a, const Lanes<float>::V& b) {
    const Lanes<float>::V inf = splat<Lanes<float>::V>(__builtin_huge_valf());
#if QM_VEC_BYTES == 64 && defined(__AVX512F__)
    const __m512 va = reinterpret_cast<const __m512&>(a);
    return static_cast<std::uint32_t>(_mm512_cmp_ps_mask(va, reinterpret_cast<const __m512&>(b), _CMP_GT_OQ) &
                                      _mm512_cmp_ps_mask(va, reinterpret_cast<const __m512&>(inf), _CMP_LT_OQ));
#elif QM_VEC_BYTES == 32 && defined(__AVX__)
    const __m256 va = reinterpret_cast<const __m256&>(a);
    return static_cast<std::uint32_t>(_mm256_movemask_ps(
        _mm256_and_ps(_mm256_cmp_ps(va, reinterpret_cast<const __m256&>(b), _CMP_GT_OQ),
                      _mm256_cmp_ps(va, reinterpret_cast<const __m256&>(inf), _CMP_LT_OQ))));
#elif QM_VEC_BYTES == 16 && defined(__SSE2__)
    const __m128 va = reinterpret_cast<const __m128&>(a);
    return static_cast<std::uint32_t>(_mm_movemask_ps(_mm_and_ps(
        _mm_cmpgt_ps(va, reinterpret_cast<const __m128&>(b)), _mm_cmplt_ps(va, reinterpret_cast<const __m128&>(inf)))));
#else
    std::uint32_t bits = 0;
    for (int i = 0; i < Lanes<float>::count; ++i) bits |= static_cast<std::uint32_t>(a[i] > b[i] && a[i] < inf[i]) << i;
    return bits;
#endif
}

// A group's screen bits from its G = L * R float sums (vector v holds rows v * L ...):
// bit r set unless sum r is finite and above threshold r; no bit at or past `rows`.
inline std::uint32_t near_bits(const Lanes<float>::V (&sums)[QM_ROW_VECS],
                               const Lanes<float>::V (&thr)[QM_ROW_VECS], index_t rows) {
    std::uint32_t far = 0;
    for (int v = 0; v < QM_ROW_VECS; ++v) far |= lanes_far(sums[v], thr[v]) << (v * Lanes<float>::count);
    const std::uint32_t valid = rows >= 32 ? ~std::uint32_t(0) : (std::uint32_t(1) << rows) - 1;
    return ~far & valid;
}

// P points against one transposed group: bit r of near[q * stride] set unless the float
// sum s of (x - p)^2 over features (row r, point q) has threshold[r] < s < inf; s itself in
// sums[q * stride * G + r].
template <int P>
inline __attribute__((always_inline)) void screen_group(const float* scratch, index_t rows, index_t d,
                                                        const float* points, const Lanes<float>::V (&thr)[QM_ROW_VECS],
                                                        std::uint32_t* near, float* sums, index_t stride) {
    typedef Lanes<float>::V V;
    constexpr int L = Lanes<float>::count;
    constexpr int R = QM_ROW_VECS;
    constexpr index_t G = screen_rows();
    V acc[P][R];
    for (int q = 0; q < P; ++q)
        for (int v = 0; v < R; ++v) acc[q][v] = splat<V>(0.0f);
    for (index_t j = 0; j < d; ++j) {
        V xv[R];
        for (int v = 0; v < R; ++v) xv[v] = load<V>(scratch + j * G + v * L);
        for (int q = 0; q < P; ++q) {
            const float pj = points[q * d + j];
            for (int v = 0; v < R; ++v) {
                const V diff = xv[v] - pj;
                acc[q][v] += diff * diff;
            }
        }
    }
    for (int q = 0; q < P; ++q) {
        for (int v = 0; v < R; ++v) store(sums + q * stride * G + v * L, acc[q][v]);
        near[q * stride] = near_bits(acc[q], thr, rows);
    }
}

static_assert(Lanes<float>::count * QM_ROW_VECS <= 32, "a screened group's bits fill one 32-bit word");

// Long rows are screened where they lie, row-major (feature-major gathering reads each row
// as strided pieces of many rows at once, which the hardware prefetcher follows badly:
// twice to three times slower on 384 features, out of cache). P points against
// B = L / P rows at a time: each (row, point) sum is a vector of partial sums over the
// features; the L vectors are then summed across lanes together (one transpose_block and
// L - 1 adds). A sum is still of every (x - p)^2 term, only in another order: each term
// goes through at most d / L + L additions, within the d + 2 of the screen's rounding
// bound (seeding_pruned.hpp) for the d >= 3 L rows taken this way.
template <int P>
inline __attribute__((always_inline)) void screen_block_rowwise(const float* const (&row)[Lanes<float>::count / P],
                                                                const float* const (&next)[Lanes<float>::count / P],
                                                                bool fetch_next, index_t d, const float* points,
                                                                float* out) {
    typedef Lanes<float>::V V;
    typedef Lanes<float>::I I;
    constexpr int L = Lanes<float>::count;
    constexpr int B = L / P;
    V acc[L];
    for (int i = 0; i < L; ++i) acc[i] = splat<V>(0.0f);
    index_t j = 0;
    for (; j + L <= d; j += L) {
        // The next rows a line at a time: rows listed by index (some pruned) are not a
        // stream the hardware prefetcher sees.
        if (fetch_next)
            for (int r = 0; r < B; ++r) __builtin_prefetch(next[r] + j);
        V xv[B];
        for (int r = 0; r < B; ++r) xv[r] = load<V>(row[r] + j);
        for (int q = 0; q < P; ++q) {
            const V pv = load<V>(points + q * d + j);
            for (int r = 0; r < B; ++r) {
                const V diff = xv[r] - pv;
                acc[q * B + r] += diff * diff;
            }
        }
    }
    if (j < d) {  // the last L features, with those already summed masked to zero (d >= L)
        const index_t summed = j + L - d;
        I keep;
        for (int i = 0; i < L; ++i) keep[i] = i < summed ? 0 : -1;
        V xv[B];
        for (int r = 0; r < B; ++r) xv[r] = load<V>(row[r] + d - L);
        for (int q = 0; q < P; ++q) {
            const V pv = load<V>(points + q * d + d - L);
            for (int r = 0; r < B; ++r) {
                const V diff = reinterpret_cast<V>(reinterpret_cast<I>(xv[r] - pv) & keep);
                acc[q * B + r] += diff * diff;
            }
        }
    }
    transpose_block<float>(acc);
    V sum = acc[0];
    for (int i = 1; i < L; ++i) sum += acc[i];
    store(out, sum);  // out[q * B + r]: row r, point q
}

// P points against the `count` rows listed in `rows`: their sums in sums[q * stride + r].
// With fetch_next, rows are prefetched a block ahead, up to `listed` (>= count) rows.
template <int P>
inline void screen_rows_rowwise(const float* x, const index_t* rows, index_t count, index_t listed, index_t d,
                                const float* points, bool fetch_next, float* sums, index_t stride) {
    constexpr int L = Lanes<float>::count;
    constexpr int B = L / P;
    float out[L];
    for (index_t r0 = 0; r0 < count; r0 += B) {
        const float* row[B];
        const float* next[B];
        for (int r = 0; r < B; ++r) {
            row[r] = x + rows[r0 + r < count ? r0 + r : count - 1] * d;  // past count: repeats, unused
            next[r] = r0 + B + r < listed ? x + rows[r0 + B + r] * d : row[r];
        }
        screen_block_rowwise<P>(row, next, fetch_next, d, points, out);
        for (int q = 0; q < P; ++q)
            for (int r = 0; r < B && r0 + r < count; ++r) sums[q * stride + r0 + r] = out[q * B + r];
    }
}

// Rows of at least this many features are screened row-major (measured on AVX-512, AVX2
// and SSE2: from 3 vectors of features on, row-major is as fast or faster; below, rows in
// cache favour the transposed groups).
constexpr index_t rowwise_screen_features() { return 3 * static_cast<index_t>(Lanes<float>::count); }

// For the count rows listed in `rows` (row r at x + r * d) and t points, in groups of
// G = screen_rows(): bit r of near[p * groups + g] (groups = ceil(count / G)) is set unless
// the float32 squared distance of row rows[g * G + r] to point p is finite and above its
// threshold (the caller's rounding bound makes that a proof the exact distance is too);
// that distance in sums[(p * groups + g) * G + r].
inline void screen_f32(const float* x, const index_t* rows, index_t count, index_t d, const float* points,
                       index_t t, const float* thresholds, std::uint32_t* near, float* sums, float* scratch) {
    typedef Lanes<float>::V V;
    constexpr int L = Lanes<float>::count;
    constexpr int R = QM_ROW_VECS;
    constexpr index_t G = screen_rows();
    const index_t groups = (count + G - 1) / G;
    const bool rowwise = d >= rowwise_screen_features();
    for (index_t g = 0; g < groups; ++g) {
        const index_t first = g * G, rows_here = count - first < G ? count - first : G;
        V thr[R] = {};  // (a partial group sets its lanes one by one)
        if (rows_here == G) {
            for (int v = 0; v < R; ++v) thr[v] = load<V>(thresholds + first + v * L);
        } else {
            for (int v = 0; v < R; ++v)
                for (int i = 0; i < L; ++i) {
                    const index_t r = static_cast<index_t>(v) * L + i;
                    thr[v][i] = r < rows_here ? thresholds[first + r] : 0.0f;
                }
        }
        if (rowwise) {
            // The group's rows (G of them, in L1 or L2) against every point, then the bits.
            const index_t* listed = rows + first;
            const index_t stride = groups * G;
            index_t p = 0;
            for (; p + 4 <= t; p += 4)
                screen_rows_rowwise<4>(x, listed, rows_here, count - first, d, points + p * d, p == 0,
                                       sums + p * stride + first, stride);
            if (t - p >= 2) {
                screen_rows_rowwise<2>(x, listed, rows_here, count - first, d, points + p * d, p == 0,
                                       sums + p * stride + first, stride);
                p += 2;
            }
            if (t - p == 1)
                screen_rows_rowwise<1>(x, listed, rows_here, count - first, d, points + p * d, p == 0,
                                       sums + p * stride + first, stride);
            for (index_t q = 0; q < t; ++q) {
                V group_sums[R];
                for (int v = 0; v < R; ++v) group_sums[v] = load<V>(sums + q * stride + first + v * L);
                near[q * groups + g] = near_bits(group_sums, thr, rows_here);
            }
            continue;
        }
        gather_transposed(x, rows + first, rows_here, d, scratch);
        index_t p = 0;
        for (; p + 4 <= t; p += 4)
            screen_group<4>(scratch, rows_here, d, points + p * d, thr, near + p * groups + g,
                            sums + (p * groups + g) * G, groups);
        const float* rest = points + p * d;
        std::uint32_t* rest_near = near + p * groups + g;
        float* rest_sums = sums + (p * groups + g) * G;
        if (t - p == 3) screen_group<3>(scratch, rows_here, d, rest, thr, rest_near, rest_sums, groups);
        if (t - p == 2) screen_group<2>(scratch, rows_here, d, rest, thr, rest_near, rest_sums, groups);
        if (t - p == 1) screen_group<1>(scratch, rows_here, d, rest, thr, rest_near, rest_sums, groups);
    }
}

}  // namespace QM_KERNEL_NS
}  // namespace quickmeans
