// The nearest-center kernel, written once with GCC/Clang vector extensions and
// compiled per instruction set (cpp/src/kernels_*.cpp define QM_KERNEL_NS,
// QM_VEC_BYTES and QM_ROW_VECS). Every symbol lives in the ISA's own namespace,
// so the linker can never hand an AVX-512 instance to a generic caller; for the
// same reason this file uses no std:: templates.
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

constexpr int kCenterBlock = 4;  // centers scored together per pass over the features

// centers_m2: k_pad x d centers scaled by -2 (k_pad a multiple of kCenterBlock,
// padding rows zero with norm +inf); norms: ||c||^2. scratch: d * rows_per_group.
template <class T>
void nearest(const T* x, index_t m, index_t d, const T* centers_m2, const T* norms, index_t k_pad,
             T margin_coef, T max_norm2, label_t* labels, unsigned char* uncertain, T* scratch) {
    typedef typename Lanes<T>::V V;
    typedef typename Lanes<T>::I I;
    typedef typename Lanes<T>::Index IndexLane;
    constexpr int L = Lanes<T>::count;
    constexpr int R = QM_ROW_VECS;  // row vectors per group
    constexpr index_t G = static_cast<index_t>(L) * R;
    const T inf = __builtin_huge_val();

    for (index_t g = 0; g < m; g += G) {
        const index_t rows = m - g < G ? m - g : G;
        // Transpose the group into scratch[j * G + r], zero-padded.
        for (index_t r = 0; r < rows; ++r) {
            const T* xr = x + (g + r) * d;
            for (index_t j = 0; j < d; ++j) scratch[j * G + r] = xr[j];
        }
        for (index_t r = rows; r < G; ++r)
            for (index_t j = 0; j < d; ++j) scratch[j * G + r] = T(0);

        V xnorm[R], best[R], second[R];
        I index[R];
        for (int v = 0; v < R; ++v) {
            xnorm[v] = splat<V>(T(0));
            best[v] = splat<V>(inf);
            second[v] = splat<V>(inf);
            index[v] = splat<I>(IndexLane(0));
        }
        for (index_t j = 0; j < d; ++j)
            for (int v = 0; v < R; ++v) {
                const V xv = load<V>(scratch + j * G + v * L);
                xnorm[v] += xv * xv;
            }

        for (index_t c = 0; c < k_pad; c += kCenterBlock) {
            V acc[R][kCenterBlock];
            for (int b = 0; b < kCenterBlock; ++b)
                for (int v = 0; v < R; ++v) acc[v][b] = splat<V>(norms[c + b]);
            const T* c0 = centers_m2 + c * d;
            for (index_t j = 0; j < d; ++j) {
                V xv[R];
                for (int v = 0; v < R; ++v) xv[v] = load<V>(scratch + j * G + v * L);
                for (int b = 0; b < kCenterBlock; ++b) {
                    const T cb = c0[b * d + j];
                    for (int v = 0; v < R; ++v) acc[v][b] += xv[v] * cb;
                }
            }
            // Lower index wins ties: centers arrive in increasing order, `<` is strict.
            for (int b = 0; b < kCenterBlock; ++b) {
                const I id = splat<I>(static_cast<IndexLane>(c + b));
                for (int v = 0; v < R; ++v) {
                    const V s = acc[v][b];
                    const I lower = s < best[v];
                    const V displaced = lower ? best[v] : s;
                    second[v] = second[v] < displaced ? second[v] : displaced;
                    best[v] = lower ? s : best[v];
                    index[v] = lower ? id : index[v];
                }
            }
        }

        for (int v = 0; v < R; ++v) {
            const V margin = splat<V>(margin_coef) * (splat<V>(T(3) * max_norm2) + xnorm[v]);
            const V gap = second[v] - best[v];
            for (int i = 0; i < L; ++i) {
                const index_t r = static_cast<index_t>(v) * L + i;
                if (r >= rows) break;
                labels[g + r] = static_cast<label_t>(index[v][i]);
                // NaN (overflow) compares false: uncertain, settled exactly.
                uncertain[g + r] = !(gap[i] > margin[i]);
            }
        }
    }
}

// Squared distances in double of m rows of x to t points (out[p * out_stride + r]),
// from the differences (x - p)^2 summed over features in order: the engine's exact
// distance, with samples in lanes. scratch: d * distance_rows() doubles.
template <class T>
void point_distances(const T* x, index_t m, index_t d, const T* points, index_t t, double* out,
                     index_t out_stride, double* scratch) {
    typedef typename Lanes<double>::V V;
    constexpr int L = Lanes<double>::count;
    constexpr int R = QM_ROW_VECS;
    constexpr index_t G = static_cast<index_t>(L) * R;
    for (index_t g = 0; g < m; g += G) {
        const index_t rows = m - g < G ? m - g : G;
        for (index_t r = 0; r < rows; ++r) {
            const T* xr = x + (g + r) * d;
            for (index_t j = 0; j < d; ++j) scratch[j * G + r] = static_cast<double>(xr[j]);
        }
        for (index_t r = rows; r < G; ++r)
            for (index_t j = 0; j < d; ++j) scratch[j * G + r] = 0.0;
        for (index_t p = 0; p < t; ++p) {
            const T* pp = points + p * d;
            V acc[R];
            for (int v = 0; v < R; ++v) acc[v] = splat<V>(0.0);
            for (index_t j = 0; j < d; ++j) {
                const double pj = static_cast<double>(pp[j]);
                for (int v = 0; v < R; ++v) {
                    const V diff = load<V>(scratch + j * G + v * L) - pj;
                    acc[v] += diff * diff;
                }
            }
            double* o = out + p * out_stride + g;
            for (int v = 0; v < R; ++v)
                for (int i = 0; i < L; ++i) {
                    const index_t r = static_cast<index_t>(v) * L + i;
                    if (r < rows) o[r] = acc[v][i];
                }
        }
    }
}

constexpr index_t distance_rows() { return static_cast<index_t>(Lanes<double>::count) * QM_ROW_VECS; }

inline Kernels<float> kernels_f32() {
    return Kernels<float>{&nearest<float>, static_cast<index_t>(Lanes<float>::count) * QM_ROW_VECS,
                          kCenterBlock, &point_distances<float>, distance_rows()};
}
inline Kernels<double> kernels_f64() {
    return Kernels<double>{&nearest<double>, static_cast<index_t>(Lanes<double>::count) * QM_ROW_VECS,
                           kCenterBlock, &point_distances<double>, distance_rows()};
}

}  // namespace QM_KERNEL_NS
}  // namespace quickmeans
