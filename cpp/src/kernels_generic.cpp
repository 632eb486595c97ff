// The kernels compiled for the generic instruction set (flags set in CMakeLists.txt).
#include "quickmeans/kernels.hpp"
#define QM_KERNEL_NS isa_generic
#include "quickmeans/kernels/center_scores_impl.hpp"

namespace quickmeans {
KernelSet make_kernels_generic() {
    return KernelSet{"generic", isa_generic::kernels_f32(), isa_generic::kernels_f64()};
}
}  // namespace quickmeans
