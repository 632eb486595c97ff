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
// compared with a threshold per row. Rows sit in lanes as in point_distances; a group of
// screen_rows() rows is gathered by index and transposed into scratch (d x G floats).
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
    const std::uint32_t valid = rows >= 32 ? ~std::uint32_t(0) : (std::uint32_t(1) << rows) - 1;
    for (int q = 0; q < P; ++q) {
        std::uint32_t far = 0;
        for (int v = 0; v < R; ++v) {
            far |= lanes_far(acc[q][v], thr[v]) << (v * L);
            store(sums + q * stride * G + v * L, acc[q][v]);
        }
        near[q * stride] = ~far & valid;
    }
}

static_assert(Lanes<float>::count * QM_ROW_VECS <= 32, "a screened group's bits fill one 32-bit word");

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
    for (index_t g = 0; g < groups; ++g) {
        const index_t first = g * G, rows_here = count - first < G ? count - first : G;
        gather_transposed(x, rows + first, rows_here, d, scratch);
        V thr[R];
        if (rows_here == G) {
            for (int v = 0; v < R; ++v) thr[v] = load<V>(thresholds + first + v * L);
        } else {
            for (int v = 0; v < R; ++v)
                for (int i = 0; i < L; ++i) {
                    const index_t r = static_cast<index_t>(v) * L + i;
                    thr[v][i] = r < rows_here ? thresholds[first + r] : 0.0f;
                }
        }
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
