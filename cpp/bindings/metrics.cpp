// Measures of data and clusterings: silhouette, finiteness, the magnitude limit, mean feature
// variance (the scale of tol), on dense and CSR X.
#include "common.hpp"

#include <limits>

#include "quickmeans/distance.hpp"
#include "quickmeans/silhouette.hpp"
#include "quickmeans/stats.hpp"

namespace quickmeans_bindings {
namespace {

template <class T>
bool all_finite_typed(const py::array& X, std::int64_t n_threads_requested, double limit) {
    const int n_threads = capped_threads(n_threads_requested);
    if (!engine_ready(X)) throw py::type_error("array must be C-contiguous and aligned");
    const T* p = static_cast<const T*>(X.data());
    const index_t size = X.size();
    bool ok = true;
    without_gil([&] { ok = qm::all_finite(p, size, n_threads, limit); });
    return ok;
}

template <class T>
double silhouette_typed(const py::array& X, const py::array_t<qm::label_t, py::array::c_style>& labels,
                        index_t n_clusters, std::int64_t n_threads_requested) {
    const auto x = dense<T>(X, "X");
    check_cluster_count(n_clusters, x.n, x.d);
    const qm::label_t* lp = checked_labels(labels, x.n, x.d, n_clusters);
    const int n_threads = capped_threads(n_threads_requested);
    double result = 0.0;
    without_gil([&] { result = qm::silhouette(x, lp, n_clusters, n_threads); });
    return result;
}

template <class T>
double mean_variance_typed(const py::array& X, std::int64_t n_threads, double limit) {
    const auto x = dense<T>(X, "X");
    double v = 0.0;
    without_gil([&] { v = qm::mean_feature_variance(x, capped_threads(n_threads), limit); });
    return v;
}

template <class T, class I>
double mean_variance_csr_typed(const py::array& data, const py::array& indices, const py::array& indptr,
                               index_t n_features) {
    auto x = csr<T, I>(data, indices, indptr, n_features);
    if (x.view.n < 1 || n_features < 1) throw py::value_error("empty CSR matrix");
    double v = 0.0;
    without_gil([&] { v = qm::mean_feature_variance(x.view); });
    return v;
}

}  // namespace

void register_metrics(py::module_& m) {
    m.def("silhouette", [](const py::array& X, const py::array_t<qm::label_t, py::array::c_style>& labels,
                           index_t n_clusters, std::int64_t n_threads) -> double {
        QM_DISPATCH(X, silhouette_typed<float>(X, labels, n_clusters, n_threads),
                    silhouette_typed<double>(X, labels, n_clusters, n_threads));
    }, py::arg("X"), py::arg("labels"), py::arg("n_clusters"), py::arg("n_threads"));

    // limit: the largest |value| allowed (the dtype's largest finite value when larger).
    m.def("all_finite", [](const py::array& X, std::int64_t n_threads, double limit) -> bool {
        QM_DISPATCH(X, all_finite_typed<float>(X, n_threads, limit),
                    all_finite_typed<double>(X, n_threads, limit));
    }, py::arg("X"), py::arg("n_threads"), py::arg("limit") = std::numeric_limits<double>::infinity());
    m.def("magnitude_limit", [](index_t n_features) { return qm::magnitude_limit(n_features); },
          py::arg("n_features"));

    // NaN when a value is NaN, infinite or above limit in magnitude (all_finite's check).
    m.def("mean_feature_variance", [](const py::array& X, std::int64_t n_threads, double limit) -> double {
        QM_DISPATCH(X, mean_variance_typed<float>(X, n_threads, limit),
                    mean_variance_typed<double>(X, n_threads, limit));
    }, py::arg("X"), py::arg("n_threads"), py::arg("limit") = std::numeric_limits<double>::infinity());

    m.def("mean_feature_variance_csr", [](const py::array& data, const py::array& indices, const py::array& indptr,
                                          index_t n_features) {
        QM_DISPATCH_CSR(mean_variance_csr_typed, data, indices, indptr, n_features);
    }, py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_features"));
}

}  // namespace quickmeans_bindings
