// The kernels compiled for the generic instruction set (flags set in CMakeLists.txt).
#include "quickmeans/kernels.hpp"
#define QM_KERNEL_NS isa_generic
#define QM_VEC_BYTES 16
#define QM_ROW_VECS 2
#define QM_WIDE_FEATURES 64
#define QM_WIDE_ROW_VECS 2
#define QM_WIDE_CENTER_BLOCK 4
#define QM_WIDE_FEW_CENTER_BLOCK 4
#include "quickmeans/kernels/nearest_impl.hpp"
#include "quickmeans/kernels/seeding_impl.hpp"
#include "quickmeans/kernels/bounds_impl.hpp"

namespace quickmeans {
KernelSet make_kernels_generic() {
    return KernelSet{"generic", isa_generic::kernels_f32(), isa_generic::kernels_f64(),
                     &isa_generic::nearest_narrowed,
                     &isa_generic::screen_f32, isa_generic::screen_rows(), &isa_generic::test_bounds};
}
}  // namespace quickmeans
