// The kernels compiled for the avx512 instruction set (flags set in CMakeLists.txt).
#include "quickmeans/kernels.hpp"
#define QM_KERNEL_NS isa_avx512
#define QM_VEC_BYTES 64
#define QM_ROW_VECS 2
#define QM_WIDE_FEATURES 32
#define QM_WIDE_ROW_VECS 2
#define QM_WIDE_CENTER_BLOCK 6
#define QM_WIDE_FEW_CENTER_BLOCK 6
#include "quickmeans/kernels/nearest_impl.hpp"
#include "quickmeans/kernels/seeding_impl.hpp"
#include "quickmeans/kernels/bounds_impl.hpp"

namespace quickmeans {
KernelSet make_kernels_avx512() {
    return KernelSet{"avx512", isa_avx512::kernels_f32(), isa_avx512::kernels_f64(),
                     &isa_avx512::nearest_narrowed,
                     &isa_avx512::screen_f32, isa_avx512::screen_rows(), &isa_avx512::test_bounds};
}
}  // namespace quickmeans
