// The nearest-center kernel, written once with GCC/Clang vector extensions and
// compiled per instruction set (cpp/src/kernels_*.cpp define QM_KERNEL_NS,
// QM_VEC_BYTES, QM_ROW_VECS, QM_WIDE_FEATURES, QM_WIDE_ROW_VECS, QM_WIDE_CENTER_BLOCK and
// QM_WIDE_FEW_CENTER_BLOCK). Every symbol lives in the ISA's own namespace, so the
// linker can never hand an AVX-512 instance to a generic caller; for the same reason
// this file uses no std:: templates.
//
// Samples sit in SIMD lanes: a block of rows is transposed into scratch, and
// each center's score ||c||^2 - 2 x.c is accumulated for all lanes at once. The
// best score, its index and the second-best score are kept per lane, so no
// horizontal reduction is ever needed. A row whose best and second-best scores
// are closer than the rounding bound of the score is flagged uncertain, and the
// caller settles it with exact distances.
#ifndef QM_KERNEL_NS
#error "define QM_KERNEL_NS before including this file"
#endif

#include <cstdint>

#if defined(__SSE2__) || defined(__AVX__)
#include <immintrin.h>
#endif

#include "quickmeans/common.hpp"
#include "quickmeans/kernels.hpp"

namespace quickmeans {
namespace QM_KERNEL_NS {

template <class T>
struct Lanes;

template <>
struct Lanes<float> {
    typedef float V __attribute__((vector_size(QM_VEC_BYTES)));
    typedef std::int32_t Index;
    typedef Index I __attribute__((vector_size(QM_VEC_BYTES)));
    static constexpr int count = QM_VEC_BYTES / 4;
};

template <>
struct Lanes<double> {
    typedef double V __attribute__((vector_size(QM_VEC_BYTES)));
    typedef std::int64_t Index;
    typedef Index I __attribute__((vector_size(QM_VEC_BYTES)));
    static constexpr int count = QM_VEC_BYTES / 8;
};

// A vector of copies of s. (A lane-by-lane loop compiles to one masked insert per
// lane; "vector op scalar" is GCC's broadcast.)
template <class V, class S>
inline V splat(S s) {
    return V{} + s;
}

template <class V, class T>
inline V load(const T* p) {
    V v;
    __builtin_memcpy(&v, p, sizeof(V));
    return v;
}

template <class V, class T>
inline void store(T* p, const V& v) {
    __builtin_memcpy(p, &v, sizeof(V));
}

// Floats as many as a vector holds doubles, and those values as doubles. (GCC 12 compiles
// __builtin_convertvector of this widening as two half conversions joined through memory:
// six instructions where the ISA has one.)
typedef float HalfFloats __attribute__((vector_size(QM_VEC_BYTES / 2)));
inline __attribute__((always_inline)) Lanes<double>::V widen(HalfFloats v) {
#if QM_VEC_BYTES == 64 && defined(__AVX512F__)
    // The zero-masked form: the plain one's undefined pass-through draws -Wmaybe-uninitialized.
    return reinterpret_cast<Lanes<double>::V>(_mm512_maskz_cvtps_pd(0xFF, reinterpret_cast<__m256>(v)));
#elif QM_VEC_BYTES == 32 && defined(__AVX__)
    return reinterpret_cast<Lanes<double>::V>(_mm256_cvtps_pd(reinterpret_cast<__m128>(v)));
#else
    return __builtin_convertvector(v, Lanes<double>::V);
#endif
}

// A vector of U from as many values of T (converted: widened or narrowed, or as they are).
template <class U, class Wide>
inline __attribute__((always_inline)) typename Lanes<U>::V as_lanes(Wide v) {
    if constexpr (__is_same(Wide, typename Lanes<U>::V)) return v;
    else if constexpr (__is_same(Wide, HalfFloats) && __is_same(U, double)) return widen(v);
    else return __builtin_convertvector(v, typename Lanes<U>::V);
}

// One vector of doubles from as many values at p (floats widened).
inline __attribute__((always_inline)) Lanes<double>::V widened(const double* p) { return load<Lanes<double>::V>(p); }
inline __attribute__((always_inline)) Lanes<double>::V widened(const float* p) { return widen(load<HalfFloats>(p)); }

// Stores the low byte of each lane of v (small values: labels' statuses, flags) as L bytes.
// A byte shuffle of the vector (GCC compiles __builtin_convertvector of this narrowing to
// one extract, mask and shift per lane: some 30 instructions for 8 lanes, against 4).
template <class T>
inline __attribute__((always_inline)) void store_low_bytes(unsigned char* out, typename Lanes<T>::I v) {
    typedef unsigned char Bytes __attribute__((vector_size(QM_VEC_BYTES)));
    constexpr int L = Lanes<T>::count;
    Bytes pick{};
    for (int i = 0; i < L; ++i) pick[i] = static_cast<unsigned char>(i * static_cast<int>(sizeof(T)));
    const Bytes low = __builtin_shuffle(reinterpret_cast<Bytes>(v), pick);
    __builtin_memcpy(out, &low, L);
}

// The perfect shuffle of two vectors a, b (L lanes): `low` interleaves their low halves
// (a0 b0 a1 b1 ...), `high` their high halves.
template <class T>
struct Interleave {
    typename Lanes<T>::I low, high;
    Interleave() {
        constexpr int L = Lanes<T>::count;
        for (int m = 0; m < L / 2; ++m) {
            low[2 * m] = m;
            low[2 * m + 1] = L + m;
            high[2 * m] = L / 2 + m;
            high[2 * m + 1] = L + L / 2 + m;
        }
    }
};

// Transposes an L x L block held in L vectors (L = lanes), in log2(L) rounds of the
// perfect shuffle: out[2i] interleaves the low halves of v[i] and v[i + L/2], out[2i+1]
// their high halves. Only lane moves, so values keep their bits.
template <class T>
inline __attribute__((always_inline)) void transpose_block(typename Lanes<T>::V (&v)[Lanes<T>::count]) {
    typedef typename Lanes<T>::V V;
    constexpr int L = Lanes<T>::count;
    const Interleave<T> mix;
    for (int round = 1; round < L; round *= 2) {
        V next[L];
        for (int i = 0; i < L / 2; ++i) {
            next[2 * i] = __builtin_shuffle(v[i], v[i + L / 2], mix.low);
            next[2 * i + 1] = __builtin_shuffle(v[i], v[i + L / 2], mix.high);
        }
        for (int i = 0; i < L; ++i) v[i] = next[i];
    }
}

// Asks for the cache lines of a row of d values (the first 4 lines of a long row).
template <class T>
inline __attribute__((always_inline)) void prefetch_row(const T* row, index_t d) {
    const char* first = reinterpret_cast<const char*>(row);
    const char* last = reinterpret_cast<const char*>(row + d) - 1;
    for (int line = 0; line < 4 && first + 64 * line <= last; ++line) __builtin_prefetch(first + 64 * line);
    __builtin_prefetch(last);
}

// Writes a group of G = L * R rows of x (L: lanes of U), less `origin` when one is given,
// as U, feature-major into scratch (scratch[j * G + r]), zero-padded past `rows`. Row r is
// x + r * d, or x + listed[r] * d when rows are listed by index (read where they lie). The
// origin is subtracted in T and the difference then converted to U: widened, or narrowed
// (float scores of double rows: one rounding of x - origin, as for float rows). Full groups
// go through L x L block transposes; a partial group, and features past the last full
// block, element by element.
template <class T, class U, int R>
inline void transpose_group(const T* x, const index_t* listed, index_t rows, index_t d, const T* origin,
                            U* scratch) {
    typedef typename Lanes<U>::V V;
    typedef T Wide __attribute__((vector_size(sizeof(T) * Lanes<U>::count)));
    constexpr int L = Lanes<U>::count;
    constexpr index_t G = static_cast<index_t>(L) * R;
    const T* row[G];
    for (index_t r = 0; r < rows; ++r) row[r] = x + (listed ? listed[r] : r) * d;
    index_t j0 = 0;
    if (rows == G) {
        for (; j0 + L <= d; j0 += L) {
            const Wide shift = origin ? load<Wide>(origin + j0) : splat<Wide>(T(0));
            for (int v = 0; v < R; ++v) {
                V block[L];
                for (int r = 0; r < L; ++r) block[r] = as_lanes<U>(load<Wide>(row[v * L + r] + j0) - shift);
                transpose_block<U>(block);
                for (int c = 0; c < L; ++c) store(scratch + (j0 + c) * G + v * L, block[c]);
            }
        }
    }
    for (index_t j = j0; j < d; ++j) {
        const T shift = origin ? origin[j] : T(0);
        for (index_t r = 0; r < rows; ++r) scratch[j * G + r] = static_cast<U>(row[r][j] - shift);
        for (index_t r = rows; r < G; ++r) scratch[j * G + r] = U(0);
    }
}

// Labels and statuses of one vector of rows, a lane per row. (Specialised per type: GCC
// drops a vector_size that depends on a template parameter from a non-dependent type.)
template <class T>
struct OutcomeLanes;
template <>
struct OutcomeLanes<float> {
    typedef label_t Labels __attribute__((vector_size(sizeof(label_t) * Lanes<float>::count)));
};
template <>
struct OutcomeLanes<double> {
    typedef label_t Labels __attribute__((vector_size(sizeof(label_t) * Lanes<double>::count)));
};

// How many rows of the vector of L rows that starts at row r0 lie before row `end`.
template <class T>
inline index_t rows_in_vector(index_t r0, index_t end) {
    constexpr index_t L = Lanes<T>::count;
    return r0 + L <= end ? L : (end > r0 ? end - r0 : 0);
}

// One vector of rows' bounds as (upper, lower) pairs, out[2r] and out[2r + 1] for the
// `count` rows it holds: a whole vector interleaved by two shuffles (lane by lane, these
// stores were a third of a narrow kernel's instructions), a partial one lane by lane.
template <class T>
inline __attribute__((always_inline)) void store_bound_pairs(T* out, typename Lanes<T>::V upper,
                                                             typename Lanes<T>::V lower, index_t count) {
    constexpr int L = Lanes<T>::count;
    if (count == L) {
        const Interleave<T> mix;
        store(out, __builtin_shuffle(upper, lower, mix.low));
        store(out + L, __builtin_shuffle(upper, lower, mix.high));
        return;
    }
    for (index_t r = 0; r < count; ++r) {
        out[2 * r] = upper[r];
        out[2 * r + 1] = lower[r];
    }
}

// Features from which the wide path is taken: more FMAs per row and score make a
// third tracked score cheap, and the scores' rounding bounds (which grow with d)
// make two-way near ties common enough to be worth settling with two distances. The
// ISA sets it (QM_WIDE_FEATURES): where the wide tile has twice the accumulators of the
// narrow one (AVX-512), it pays from fewer features.
constexpr index_t kWideFeatures = QM_WIDE_FEATURES;
// Centers scored together per pass over the features (the register tile is rows
// in R vectors x centers). Narrow rows keep 4 centers; wide rows take the ISA's
// choice, as many as its vector registers hold beside the ranking state (AVX2: 2 x 6,
// twelve accumulators, enough to cover the FMA latency where 2 x 4 covered 80% of it),
// or, for up to kFewCenters centers, a tile that pads them less.
constexpr int kNarrowCenterBlock = 4;
constexpr int kWideCenterBlock = QM_WIDE_CENTER_BLOCK;
constexpr int kWideFewCenterBlock = QM_WIDE_FEW_CENTER_BLOCK;
constexpr index_t kFewCenters = 24;
// nearest() tells the two wide tiles apart by k_pad alone: k <= kFewCenters padded to the
// small tile stays <= kFewCenters, and k above it stays above it.
static_assert(kWideFewCenterBlock == kWideCenterBlock || kFewCenters % kWideFewCenterBlock == 0,
              "few centers must pad to at most kFewCenters");

// Centers are packed in tiles of center_block(d, k), feature-major within a tile
// (tile[j * block + b]), so one feature's values for a whole tile are contiguous.
inline index_t center_block(index_t d, index_t k) {
    if (d < kWideFeatures) return kNarrowCenterBlock;
    return k > kFewCenters ? kWideCenterBlock : kWideFewCenterBlock;
}

// Row outcomes written to `status`: the label is certain; the nearest is one of
// labels[r] and runner_up[r]; or any center may be nearest (decide exactly).
enum : unsigned char { kCertain = 0, kTwoWay = 1, kUncertain = 2 };

// Scores of one tile of CB centers for the R row vectors of a transposed group:
// acc[v][b] = norms[b] + sum_j x[j] * tile[j][b].
template <class T, int R, int CB>
inline __attribute__((always_inline)) void score_tile(const T* scratch, index_t d, const T* tile,
                                                      const T* norms, typename Lanes<T>::V (&acc)[R][CB]) {
    typedef typename Lanes<T>::V V;
    constexpr int L = Lanes<T>::count;
    constexpr index_t G = static_cast<index_t>(L) * R;
    V sum[R][CB];
    for (int b = 0; b < CB; ++b)
        for (int v = 0; v < R; ++v) sum[v][b] = splat<V>(norms[b]);
    for (index_t j = 0; j < d; ++j) {
        V xv[R];
        for (int v = 0; v < R; ++v) xv[v] = load<V>(scratch + j * G + v * L);
        for (int b = 0; b < CB; ++b) {
            const T cb = tile[j * CB + b];
            for (int v = 0; v < R; ++v) sum[v][b] += xv[v] * cb;
        }
    }
    for (int b = 0; b < CB; ++b)
        for (int v = 0; v < R; ++v) acc[v][b] = sum[v][b];
}

// The same, kept out of line on purpose for wide rows where vector registers are few
// (16: AVX2, SSE2): the call makes the caller's ranking state live in memory, so every
// register is free for the larger tile of accumulators (inlined, the compiler spilled
// accumulators inside the loop over features). For narrow rows the call would cost more
// than it frees. AVX-512's 32 registers hold the 2 x 6 tile and the ranking state
// together: inlined, the ranking of one tile overlaps the next tile's FMAs (100k x 256
// float, k = 256: 33.0 -> 32.2 ms an iteration).
constexpr bool kOutlinedWideTile = QM_VEC_BYTES < 64;
template <class T, int R, int CB>
__attribute__((noinline)) void score_tile_outlined(const T* scratch, index_t d, const T* tile,
                                                   const T* norms, typename Lanes<T>::V (&acc)[R][CB]) {
    score_tile<T, R, CB>(scratch, d, tile, norms, acc);
}

// Scores are computed in coordinates shifted by `origin` (the centers' mean), which
// keeps the norms in the rounding bound small. centers_m2: k_pad x d shifted centers
// times -2, packed in tiles of CB (k_pad a multiple of CB, padding rows zero with
// norm +inf); norms: their squared norms. scratch: d * group_rows values. With
// kWide, the runner-up's index and the third-best score are tracked too, so a
// two-way near tie needs only two exact distances. Rows are X, scores T (nearest_narrowed
// scores double rows in float).
template <class X, class T, bool kWide, int R, int CB>
void nearest_impl(const X* x, const index_t* listed, index_t m, index_t d, const X* origin, const T* centers_m2,
                  const T* norms, index_t k_pad, T margin_coef, T max_norm2, label_t* labels, label_t* runner_up,
                  unsigned char* status, T* scratch, T* bounds_sq) {
    typedef typename Lanes<T>::V V;
    typedef typename Lanes<T>::I I;
    typedef typename Lanes<T>::Index IndexLane;
    typedef typename OutcomeLanes<T>::Labels LabelV;
    constexpr int L = Lanes<T>::count;
    constexpr index_t G = static_cast<index_t>(L) * R;  // rows per group: R vectors
    const T inf = __builtin_huge_val();

    for (index_t g = 0; g < m; g += G) {
        const index_t rows = m - g < G ? m - g : G;
        if (listed)  // scattered rows: the next group's misses overlap this group's work
            for (index_t r = g + G; r < g + 2 * G && r < m; ++r) prefetch_row(x + listed[r] * d, d);
        transpose_group<X, T, R>(listed ? x : x + g * d, listed ? listed + g : nullptr, rows, d, origin, scratch);
        // Wide rows: the next group's rows, every line, fetched while this group is scored
        // (the transpose reads G rows at once, a stride the hardware does not prefetch
        // well), so that its misses overlap the tiles' arithmetic. A few lines are asked
        // for before each tile rather than all before the first: asked all at once, they
        // queued behind each other and arrived while the first tiles were still waiting
        // (measured on one core, 64k x 256 float rows, k=256: 79-81 GFLOP/s against 71-75;
        // rows already in cache score at 78).
        const char* next = nullptr;
        index_t next_bytes = 0, per_tile = 0, fetched = 0;
        if (kWide && !listed && g + G < m) {
            next = reinterpret_cast<const char*>(x + (g + G) * d);
            next_bytes = (m - g - G < G ? m - g - G : G) * d * static_cast<index_t>(sizeof(X));
            per_tile = 64 * ((next_bytes / 64) / (k_pad / CB) + 1);
        }

        V xnorm[R], best[R], second[R], third[R];
        I index[R], index2[R];
        for (int v = 0; v < R; ++v) {
            xnorm[v] = splat<V>(T(0));
            best[v] = second[v] = third[v] = splat<V>(inf);
            index[v] = index2[v] = splat<I>(IndexLane(0));
        }
        {
            // Two chains per row vector: a long row's norms are otherwise d FMAs in a row,
            // each waiting for the last.
            V odd[R];
            for (int v = 0; v < R; ++v) odd[v] = splat<V>(T(0));
            index_t j = 0;
            for (; j + 2 <= d; j += 2)
                for (int v = 0; v < R; ++v) {
                    const V xv = load<V>(scratch + j * G + v * L), xw = load<V>(scratch + (j + 1) * G + v * L);
                    xnorm[v] += xv * xv;
                    odd[v] += xw * xw;
                }
            for (; j < d; ++j)
                for (int v = 0; v < R; ++v) {
                    const V xv = load<V>(scratch + j * G + v * L);
                    xnorm[v] += xv * xv;
                }
            for (int v = 0; v < R; ++v) xnorm[v] += odd[v];
        }

        for (index_t c = 0; c < k_pad; c += CB) {
            if (kWide && next) {
                const index_t stop = fetched + per_tile < next_bytes ? fetched + per_tile : next_bytes;
                for (; fetched < stop; fetched += 64) __builtin_prefetch(next + fetched);
            }
            V acc[R][CB];
            if (kWide && kOutlinedWideTile) score_tile_outlined<T, R, CB>(scratch, d, centers_m2 + c * d, norms + c, acc);
            else score_tile<T, R, CB>(scratch, d, centers_m2 + c * d, norms + c, acc);
            // Lower index wins ties: centers arrive in increasing order, `<` is strict.
            // NaN scores never compare lower, but poison second/third: uncertain.
            for (int b = 0; b < CB; ++b) {
                const I id = splat<I>(static_cast<IndexLane>(c + b));
                for (int v = 0; v < R; ++v) {
                    const V s = acc[v][b];
                    const I below1 = s < best[v];
                    if (kWide) {
                        const I below2 = s < second[v];
                        const V third_cand = below2 ? second[v] : s;
                        third[v] = third[v] < third_cand ? third[v] : third_cand;
                        const V second_new = below1 ? best[v] : (below2 ? s : second[v]);
                        index2[v] = below1 ? index[v] : (below2 ? id : index2[v]);
                        second[v] = second_new;
                    } else {
                        const V displaced = below1 ? best[v] : s;
                        second[v] = second[v] < displaced ? second[v] : displaced;
                    }
                    best[v] = below1 ? s : best[v];
                    index[v] = below1 ? id : index[v];
                }
            }
        }

        for (int v = 0; v < R; ++v) {
            const V margin = splat<V>(margin_coef) * (splat<V>(T(3) * max_norm2) + xnorm[v]);
            const V gap2 = second[v] - best[v];
            const V gap3 = third[v] - best[v];
            // Twice the margin covers the scores' error, ||x'||^2's and these two sums'.
            const V upper_sq = best[v] + xnorm[v] + (margin + margin);
            const V lower_sq = second[v] + xnorm[v] - (margin + margin);
            // Comparisons with NaN are false: such rows are decided exactly.
            const I certain = gap2 > margin;
            const I two_way = kWide ? I(gap3 > margin) : splat<I>(IndexLane(0));
            static_assert(kCertain == 0 && kTwoWay == 1 && kUncertain == 2, "status from the masks (-1 or 0)");
            const I state = certain ? splat<I>(IndexLane(0)) : (two_way + 2);
            const index_t r0 = g + static_cast<index_t>(v) * L;
            const index_t count = rows_in_vector<T>(r0, g + rows);
            if (count == L) {
                store(labels + r0, __builtin_convertvector(index[v], LabelV));
                store(runner_up + r0, __builtin_convertvector(index2[v], LabelV));
                store_low_bytes<T>(status + r0, state);
            } else {
                for (index_t r = 0; r < count; ++r) {
                    labels[r0 + r] = static_cast<label_t>(index[v][r]);
                    runner_up[r0 + r] = static_cast<label_t>(index2[v][r]);
                    status[r0 + r] = static_cast<unsigned char>(state[r]);
                }
            }
            if (bounds_sq) store_bound_pairs<T>(bounds_sq + 2 * r0, upper_sq, lower_sq, count);
        }
    }
}

template <class X, class T>
void nearest_of(const X* x, const index_t* listed, index_t m, index_t d, const X* origin, const T* centers_m2,
                const T* norms, index_t k_pad, T margin_coef, T max_norm2, label_t* labels, label_t* runner_up,
                unsigned char* status, T* scratch, T* bounds_sq) {
    if (d < kWideFeatures)
        nearest_impl<X, T, false, QM_ROW_VECS, kNarrowCenterBlock>(x, listed, m, d, origin, centers_m2, norms,
                                                                   k_pad, margin_coef, max_norm2, labels, runner_up,
                                                                   status, scratch, bounds_sq);
    else if (k_pad > kFewCenters)
        nearest_impl<X, T, true, QM_WIDE_ROW_VECS, kWideCenterBlock>(x, listed, m, d, origin, centers_m2, norms,
                                                                     k_pad, margin_coef, max_norm2, labels, runner_up,
                                                                     status, scratch, bounds_sq);
    else
        nearest_impl<X, T, true, QM_WIDE_ROW_VECS, kWideFewCenterBlock>(x, listed, m, d, origin, centers_m2, norms,
                                                                        k_pad, margin_coef, max_norm2, labels,
                                                                        runner_up, status, scratch, bounds_sq);
}

template <class T>
void nearest(const T* x, const index_t* listed, index_t m, index_t d, const T* origin, const T* centers_m2,
             const T* norms, index_t k_pad, T margin_coef, T max_norm2, label_t* labels, label_t* runner_up,
             unsigned char* status, T* scratch, T* bounds_sq) {
    nearest_of<T, T>(x, listed, m, d, origin, centers_m2, norms, k_pad, margin_coef, max_norm2, labels, runner_up,
                     status, scratch, bounds_sq);
}

// Double rows scored in float (twice the lanes per instruction): the KernelSet's contract.
inline void nearest_narrowed(const double* x, const index_t* listed, index_t m, index_t d, const double* origin,
                             const float* centers_m2, const float* norms, index_t k_pad, float margin_coef,
                             float max_norm2, label_t* labels, label_t* runner_up, unsigned char* status,
                             float* scratch, float* bounds_sq) {
    nearest_of<double, float>(x, listed, m, d, origin, centers_m2, norms, k_pad, margin_coef, max_norm2, labels,
                              runner_up, status, scratch, bounds_sq);
}

// Adds rows of unit weight to per-cluster sums (double) and counts. Only additions,
// so the sums are bitwise the same at every SIMD level (no FMA contraction).
template <class T>
void add_rows(const T* x, index_t m, index_t d, const label_t* labels, double* sums, double* counts) {
    for (index_t r = 0; r < m; ++r) {
        double* acc = sums + static_cast<index_t>(labels[r]) * d;
        const T* xr = x + r * d;
        for (index_t j = 0; j < d; ++j) acc[j] += static_cast<double>(xr[j]);
        counts[labels[r]] += 1.0;
    }
}

// Distances of one transposed group of rows (scratch, G = distance_rows()) to P points:
// P * R independent accumulator chains, so the FMA latency is hidden. Each (row, point)
// is still summed over features in order.
template <class T, int P>
inline __attribute__((always_inline)) void distances_of_group(const double* scratch, index_t rows, index_t d,
                                                              const T* points, double* out, index_t out_stride) {
    typedef typename Lanes<double>::V V;
    constexpr int L = Lanes<double>::count;
    constexpr int R = QM_ROW_VECS;
    constexpr index_t G = static_cast<index_t>(L) * R;
    V acc[P][R];
    for (int q = 0; q < P; ++q)
        for (int v = 0; v < R; ++v) acc[q][v] = splat<V>(0.0);
    for (index_t j = 0; j < d; ++j) {
        V xv[R];
        for (int v = 0; v < R; ++v) xv[v] = load<V>(scratch + j * G + v * L);
        for (int q = 0; q < P; ++q) {
            const double pj = static_cast<double>(points[q * d + j]);
            for (int v = 0; v < R; ++v) {
                const V diff = xv[v] - pj;
                acc[q][v] += diff * diff;
            }
        }
    }
    for (int q = 0; q < P; ++q) {
        double* o = out + q * out_stride;
        if (rows == G) {
            for (int v = 0; v < R; ++v) store(o + v * L, acc[q][v]);
            continue;
        }
        for (int v = 0; v < R; ++v)
            for (int i = 0; i < L; ++i) {
                const index_t r = static_cast<index_t>(v) * L + i;
                if (r < rows) o[r] = acc[q][v][i];
            }
    }
}

// Squared distances in double of m rows of x to t points (out[p * out_stride + r]),
// from the differences (x - p)^2 summed over features in order: the engine's exact
// distance, with samples in lanes. scratch: d * distance_rows() doubles.
template <class T>
void point_distances(const T* x, index_t m, index_t d, const T* points, index_t t, double* out,
                     index_t out_stride, double* scratch) {
    constexpr int L = Lanes<double>::count;
    constexpr int R = QM_ROW_VECS;
    constexpr index_t G = static_cast<index_t>(L) * R;
    for (index_t g = 0; g < m; g += G) {
        const index_t rows = m - g < G ? m - g : G;
        transpose_group<T, double, R>(x + g * d, nullptr, rows, d, nullptr, scratch);
        // Points four at a time, then the remaining one to three.
        index_t p = 0;
        double* o = out + g;
        for (; p + 4 <= t; p += 4)
            distances_of_group<T, 4>(scratch, rows, d, points + p * d, o + p * out_stride, out_stride);
        const T* rest = points + p * d;
        double* rest_out = o + p * out_stride;
        if (t - p == 3) distances_of_group<T, 3>(scratch, rows, d, rest, rest_out, out_stride);
        if (t - p == 2) distances_of_group<T, 2>(scratch, rows, d, rest, rest_out, out_stride);
        if (t - p == 1) distances_of_group<T, 1>(scratch, rows, d, rest, rest_out, out_stride);
    }
}

constexpr index_t distance_rows() { return static_cast<index_t>(Lanes<double>::count) * QM_ROW_VECS; }

// Sparse rows: for each block of up to 4 vectors of centers, the row's stored values are
// multiplied into accumulators that stay in registers (one load of a center column slice
// per value and vector), then written out.
//
// R vectors of centers' dot products with one sparse row (by_feature and scores at the
// first of them): two interleaved chains of FMAs per vector, summed at the end, so that a
// short tile (k = 20 is three vectors of doubles) is not bound by one chain's latency.
template <int R, class T, class I>
inline __attribute__((always_inline)) void sparse_dots_tile(const T* values, const I* indices, index_t nnz,
                                                            const double* by_feature, index_t k_pad,
                                                            double* scores) {
    typedef typename Lanes<double>::V V;
    constexpr index_t L = Lanes<double>::count;
    V acc[2][R];
    for (int u = 0; u < 2; ++u)
        for (int b = 0; b < R; ++b) acc[u][b] = splat<V>(0.0);
    // The center columns of values a few ahead are asked for: each is a random line (or
    // R) of a d x k_pad table that is larger than L2 for text's tens of thousands of columns.
    constexpr index_t kAhead = 8;
    index_t q = 0;
    for (; q + 2 <= nnz; q += 2)
        for (int u = 0; u < 2; ++u) {
            if (q + u + kAhead < nnz) {
                const double* ahead = by_feature + static_cast<index_t>(indices[q + u + kAhead]) * k_pad;
                for (int b = 0; b < R; ++b) __builtin_prefetch(ahead + b * L);
            }
            const V v = splat<V>(static_cast<double>(values[q + u]));
            const double* column = by_feature + static_cast<index_t>(indices[q + u]) * k_pad;
            for (int b = 0; b < R; ++b) acc[u][b] += v * load<V>(column + b * L);
        }
    if (q < nnz) {
        const V v = splat<V>(static_cast<double>(values[q]));
        const double* column = by_feature + static_cast<index_t>(indices[q]) * k_pad;
        for (int b = 0; b < R; ++b) acc[0][b] += v * load<V>(column + b * L);
    }
    for (int b = 0; b < R; ++b) store(scores + b * L, acc[0][b] + acc[1][b]);
}

template <class T, class I>
void sparse_dots(const T* values, const I* indices, index_t nnz, const double* by_feature, index_t k_pad,
                 double* scores) {
    constexpr index_t L = Lanes<double>::count;
    constexpr int kBlock = 4;
    index_t c0 = 0;
    for (; c0 + kBlock * L <= k_pad; c0 += kBlock * L)
        sparse_dots_tile<kBlock>(values, indices, nnz, by_feature + c0, k_pad, scores + c0);
    // The last one to three vectors in one pass over the row, not one pass each.
    const index_t rest = (k_pad - c0) / L;
    if (rest == 3) sparse_dots_tile<3>(values, indices, nnz, by_feature + c0, k_pad, scores + c0);
    if (rest == 2) sparse_dots_tile<2>(values, indices, nnz, by_feature + c0, k_pad, scores + c0);
    if (rest == 1) sparse_dots_tile<1>(values, indices, nnz, by_feature + c0, k_pad, scores + c0);
}

// Copies rows[q] of x (d values each) to out + q * d, for the kernels that take
// contiguous rows (one vector per chunk: a per-row memmove call cost more than the copy).
template <class T>
void gather_rows(const T* x, index_t d, const index_t* rows, index_t count, T* out) {
    typedef typename Lanes<T>::V V;
    constexpr index_t L = Lanes<T>::count;
    for (index_t q = 0; q < count; ++q) {
        const T* src = x + rows[q] * d;
        T* dst = out + q * d;
        index_t j = 0;
        for (; j + L <= d; j += L) store(dst + j, load<V>(src + j));
        for (; j < d; ++j) dst[j] = src[j];
    }
}

// In the kernels so that the square roots take the ISA's full vector width (compiled for
// the baseline, this loop was 2 roots per instruction and a few percent of Hamerly's fit).
template <class T>
void root_bounds(const T* __restrict bounds_sq, index_t m, double* __restrict upper, double* __restrict lower) {
    for (index_t r = 0; r < m; ++r) {
        const double u = static_cast<double>(bounds_sq[2 * r]);
        const double l = static_cast<double>(bounds_sq[2 * r + 1]);
        upper[r] = __builtin_sqrt(u > 0.0 ? u : 0.0);
        lower[r] = __builtin_sqrt(l > 0.0 ? l : 0.0);
    }
}

}  // namespace QM_KERNEL_NS
}  // namespace quickmeans

#include "quickmeans/kernels/exact_nearest_impl.hpp"
#include "quickmeans/kernels/two_centers_impl.hpp"

namespace quickmeans {
namespace QM_KERNEL_NS {

static_assert(QM_WIDE_ROW_VECS <= QM_ROW_VECS, "scratch is sized for QM_ROW_VECS vectors per group");

inline Kernels<float> kernels_f32() {
    return Kernels<float>{&nearest<float>, static_cast<index_t>(Lanes<float>::count) * QM_ROW_VECS,
                          &center_block, &point_distances<float>, distance_rows(), &add_rows<float>,
                          &sparse_dots<float, std::int32_t>, &sparse_dots<float, std::int64_t>,
                          static_cast<index_t>(Lanes<double>::count), &gather_rows<float>,
                          &root_bounds<float>, &nearest_two<float>, &add_rows_two<float>,
                          &nearest_exactly<float>, exact_block()};
}
inline Kernels<double> kernels_f64() {
    return Kernels<double>{&nearest<double>, static_cast<index_t>(Lanes<double>::count) * QM_ROW_VECS,
                           &center_block, &point_distances<double>, distance_rows(), &add_rows<double>,
                           &sparse_dots<double, std::int32_t>, &sparse_dots<double, std::int64_t>,
                           static_cast<index_t>(Lanes<double>::count), &gather_rows<double>,
                           &root_bounds<double>, &nearest_two<double>, &add_rows_two<double>,
                           &nearest_exactly<double>, exact_block()};
}

}  // namespace QM_KERNEL_NS
}  // namespace quickmeans
