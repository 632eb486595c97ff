// The extension module quickmeans._core: one registration call per area, plus what the
// runtime reports about itself (threads, OpenMP, SIMD level).
#include "common.hpp"

#include "quickmeans/kernels.hpp"

namespace qmb = quickmeans_bindings;

PYBIND11_MODULE(_core, m) {
    m.doc() = "quickmeans native engine (C++17, OpenMP)";
    qmb::register_dense(m);
    qmb::register_seeding(m);
    qmb::register_metrics(m);
    qmb::register_sparse(m);
    qmb::register_spherical(m);

    m.def("has_openmp", &qmb::qm::has_openmp);
    m.def("request_stop", [] { qmb::stop_recorded() = true; });  // for good: see stop_recorded
    m.def("max_threads", &qmb::qm::max_threads);
    m.def("thread_limit", &qmb::thread_limit);  // every n_threads argument is capped to it
    m.def("simd_level", [] { return std::string(qmb::qm::active_kernels().name); });
    m.def("simd_levels", [] {
        int count = 0;
        const char* const* names = qmb::qm::available_simd_levels(&count);
        std::vector<std::string> out(names, names + count);
        return out;
    });
    m.def("set_simd_level", [](const std::string& name) {
        if (!qmb::qm::select_simd_level(name.c_str()))
            throw pybind11::value_error("SIMD level '" + name + "' is unknown or not supported by this CPU");
    }, pybind11::arg("name"));
}
