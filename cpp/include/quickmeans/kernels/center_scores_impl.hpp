// Portable kernel bodies, compiled once per instruction set (see cpp/src/kernels_*.cpp).
// The including file defines QM_KERNEL_NS, so each ISA gets its own symbols: no
// AVX-512 instance can be picked by the linker for a generic caller. For the same
// reason this file uses no std:: templates.
#ifndef QM_KERNEL_NS
#error "define QM_KERNEL_NS before including this file"
#endif

#include "quickmeans/common.hpp"

namespace quickmeans {
namespace QM_KERNEL_NS {

// Four rows at a time share each load of the transposed centers; the inner loop
// over centers is contiguous, so the compiler vectorises it at the TU's ISA.
template <class T>
void center_scores(const T* x, index_t m, index_t d, const T* centers_t, const T* norms, index_t k,
                   index_t ks, T* scores) {
    constexpr index_t tile = 512;  // keeps 4 score rows of a tile in L1
    index_t i = 0;
    for (; i + 4 <= m; i += 4) {
        const T* x0 = x + i * d;
        const T* x1 = x0 + d;
        const T* x2 = x1 + d;
        const T* x3 = x2 + d;
        T* s0 = scores + i * ks;
        T* s1 = s0 + ks;
        T* s2 = s1 + ks;
        T* s3 = s2 + ks;
        for (index_t c0 = 0; c0 < k; c0 += tile) {
            const index_t c1 = c0 + tile < k ? c0 + tile : k;
            for (index_t c = c0; c < c1; ++c) {
                s0[c] = norms[c];
                s1[c] = norms[c];
                s2[c] = norms[c];
                s3[c] = norms[c];
            }
            for (index_t j = 0; j < d; ++j) {
                const T a0 = T(-2) * x0[j], a1 = T(-2) * x1[j], a2 = T(-2) * x2[j], a3 = T(-2) * x3[j];
                const T* ct = centers_t + j * ks;
                for (index_t c = c0; c < c1; ++c) {
                    const T v = ct[c];
                    s0[c] += a0 * v;
                    s1[c] += a1 * v;
                    s2[c] += a2 * v;
                    s3[c] += a3 * v;
                }
            }
        }
    }
    for (; i < m; ++i) {
        const T* xi = x + i * d;
        T* si = scores + i * ks;
        for (index_t c = 0; c < k; ++c) si[c] = norms[c];
        for (index_t j = 0; j < d; ++j) {
            const T a = T(-2) * xi[j];
            const T* ct = centers_t + j * ks;
            for (index_t c = 0; c < k; ++c) si[c] += a * ct[c];
        }
    }
}

inline Kernels<float> kernels_f32() { return Kernels<float>{&center_scores<float>}; }
inline Kernels<double> kernels_f64() { return Kernels<double>{&center_scores<double>}; }

}  // namespace QM_KERNEL_NS
}  // namespace quickmeans
