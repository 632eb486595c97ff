// The exactly nearest center of one row, for the rows the scoring kernel could not rank
// (its best three scores within their rounding bound): squared_distance (distance.hpp)
// to every center, with centers in the lanes of a vector of doubles. Each lane performs
// squared_distance's own operations in its order (four partial sums over the features
// j mod 4, the rest into the first, then (s0 + s1) + (s2 + s3); products rounded before
// they are added), so the distances, and the label, are bit for bit those of the scalar
// definition at every SIMD level. Compiled scalar, one such row cost as much as scoring
// a hundred rows (k = 256, d = 256).
// Included by nearest_impl.hpp (same namespace rules), whose helpers it uses.

namespace quickmeans {
namespace QM_KERNEL_NS {

// Keeps v as rounded: the compiler may not fuse the multiplication that made it into the
// addition that takes it (the FMA kernels are compiled with -ffp-contract=fast, and a
// fused multiply-add rounds once where squared_distance rounds twice).
template <class V>
inline __attribute__((always_inline)) V rounded(V v) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__("" : "+v"(v));
#elif defined(__aarch64__)
    __asm__("" : "+w"(v));
#endif
    return v;
}

// Centers per tile of exact_tiles: the lanes of a vector of doubles.
constexpr index_t exact_block() { return static_cast<index_t>(Lanes<double>::count); }

// tiles: the k centers in tiles of exact_block(), feature-major within a tile
// (tiles[(c / B) * B * d + j * B + c % B] = center c's feature j, B = exact_block()), the
// last tile zero-padded. Returns the center of least squared_distance, the lowest index on
// ties; 0 when every distance is NaN (as the scalar loop does).
template <class T>
label_t nearest_exactly(const T* x, index_t d, const T* tiles, index_t k) {
    typedef typename Lanes<double>::V V;
    constexpr index_t B = exact_block();
    double best = __builtin_huge_val();
    index_t nearest = 0;
    for (index_t c0 = 0; c0 < k; c0 += B) {
        const T* tile = tiles + c0 * d;
        V sum[4];
        for (int q = 0; q < 4; ++q) sum[q] = splat<V>(0.0);
        index_t j = 0;
        for (; j + 4 <= d; j += 4)
            for (int q = 0; q < 4; ++q) {
                const V t = splat<V>(static_cast<double>(x[j + q])) - widened(tile + (j + q) * B);
                sum[q] += rounded(t * t);
            }
        for (; j < d; ++j) {
            const V t = splat<V>(static_cast<double>(x[j])) - widened(tile + j * B);
            sum[0] += rounded(t * t);
        }
        const V total = (sum[0] + sum[1]) + (sum[2] + sum[3]);
        const index_t lanes = k - c0 < B ? k - c0 : B;
        for (index_t b = 0; b < lanes; ++b)
            if (total[b] < best) {
                best = total[b];
                nearest = c0 + b;
            }
    }
    return static_cast<label_t>(nearest);
}

}  // namespace QM_KERNEL_NS
}  // namespace quickmeans
