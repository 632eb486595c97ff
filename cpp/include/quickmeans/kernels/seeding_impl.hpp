// k-means++ seeding's per-trial sums, compiled per instruction set after
// nearest_impl.hpp (which defines Lanes, load and store in QM_KERNEL_NS).
//
// The sums are kept in eight interleaved "ways" (row r of a chunk adds to way r % 8),
// the same ways at every vector width, so the potentials do not depend on how many
// lanes the CPU has beyond the rounding of fused multiply-adds.
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

// Bit i set where lane i of a is below lane i of b.
inline unsigned lanes_below(const Lanes<double>::V& a, const Lanes<double>::V& b) {
#if QM_VEC_BYTES == 64 && defined(__AVX512F__)
    return static_cast<unsigned>(_mm512_cmp_pd_mask(reinterpret_cast<const __m512d&>(a),
                                                    reinterpret_cast<const __m512d&>(b), _CMP_LT_OQ));
#elif QM_VEC_BYTES == 32 && defined(__AVX__)
    return static_cast<unsigned>(_mm256_movemask_pd(
        _mm256_cmp_pd(reinterpret_cast<const __m256d&>(a), reinterpret_cast<const __m256d&>(b), _CMP_LT_OQ)));
#elif QM_VEC_BYTES == 16 && defined(__SSE2__)
    return static_cast<unsigned>(
        _mm_movemask_pd(_mm_cmplt_pd(reinterpret_cast<const __m128d&>(a), reinterpret_cast<const __m128d&>(b))));
#else
    unsigned bits = 0;
    for (int i = 0; i < Lanes<double>::count; ++i) bits |= static_cast<unsigned>(a[i] < b[i]) << i;
    return bits;
#endif
}

template <bool kWeighted>
void capped_sums_impl(const double* closest, const double* dist, const double* w, index_t m, double* ways,
                      std::uint64_t* improved) {
    typedef Lanes<double>::V V;
    constexpr int L = Lanes<double>::count;
    constexpr int W = 8 / L;  // vectors of ways
    V acc[W];
    for (int u = 0; u < W; ++u) acc[u] = load<V>(ways + u * L);
    index_t r = 0;
    for (; r + 64 <= m; r += 64) {
        std::uint64_t word = 0;
        for (int s = 0; s < 64; s += L) {
            const V c = load<V>(closest + r + s), dv = load<V>(dist + r + s);
            const V v = dv < c ? dv : c;
            acc[(s / L) % W] += kWeighted ? load<V>(w + r + s) * v : v;
            word |= static_cast<std::uint64_t>(lanes_below(dv, c)) << s;
        }
        improved[r / 64] = word;
    }
    for (int u = 0; u < W; ++u) store(ways + u * L, acc[u]);
    if (r < m) improved[r / 64] = 0;
    for (; r < m; ++r) {
        const double v = dist[r] < closest[r] ? dist[r] : closest[r];
        ways[r % 8] += kWeighted ? w[r] * v : v;
        improved[r / 64] |= static_cast<std::uint64_t>(dist[r] < closest[r]) << (r % 64);
    }
}

// For the m rows of a chunk (row 0 is way 0): ways[r % 8] += w[r] * min(closest[r],
// dist[r]) (w null: weight 1), and bit r of improved ((m + 63) / 64 words) is set
// where dist[r] < closest[r].
inline void capped_sums(const double* closest, const double* dist, const double* w, index_t m, double* ways,
                        std::uint64_t* improved) {
    if (w) capped_sums_impl<true>(closest, dist, w, m, ways, improved);
    else capped_sums_impl<false>(closest, dist, w, m, ways, improved);
}

}  // namespace QM_KERNEL_NS
}  // namespace quickmeans
