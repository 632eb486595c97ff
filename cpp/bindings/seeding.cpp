// k-means++ seeding on dense and CSR X, and weighted draws of rows (NumPy's choice); the
// Python layer draws the uniforms, so the same random_state gives the same centers whatever
// the thread count.
#include "common.hpp"

#include <cmath>

#include "quickmeans/kmeanspp.hpp"
#include "quickmeans/weighted_draw.hpp"

namespace quickmeans_bindings {
namespace {

// The extents seeding indexes by: 1 <= n_clusters <= n, the first center a row of X, and
// n_trials >= 1 uniforms per center after the first. Returns n_trials.
index_t check_seeding(index_t n_clusters, index_t first, const py::array_t<double, py::array::c_style>& uniforms,
                      index_t n, index_t d) {
    check_cluster_count(n_clusters, n, d);
    if (first < 0 || first >= n)
        throw py::value_error("first center index " + std::to_string(first) + " is not a row of X of shape " +
                              shape_of(n, d));
    if (uniforms.ndim() != 2 || uniforms.shape(0) != n_clusters - 1 || (n_clusters > 1 && uniforms.shape(1) < 1))
        throw py::value_error("uniforms of shape " + shape_of(uniforms) + " for n_clusters=" +
                              std::to_string(n_clusters) + " must have shape (" + std::to_string(n_clusters - 1) +
                              ", n_trials >= 1)");
    return uniforms.shape(1);
}

template <class T>
py::tuple kmeans_plusplus_typed(const py::array& X, const py::object& sample_weight, index_t n_clusters,
                                index_t first, const py::array_t<double, py::array::c_style>& uniforms,
                                std::int64_t n_threads) {
    const auto x = dense<T>(X, "X");
    const double* w = weights(sample_weight, x.n, x.d);
    const index_t n_trials = check_seeding(n_clusters, first, uniforms, x.n, x.d);
    py::array_t<T> centers({n_clusters, x.d});
    py::array_t<std::int64_t> indices(n_clusters);
    qm::RunControl rc = control(n_threads, py::none());
    T* cp = centers.mutable_data();
    std::int64_t* ip = indices.mutable_data();
    const double* u = uniforms.data();
    without_gil([&] { qm::kmeans_plusplus(x, w, n_clusters, first, u, n_trials, cp, ip, rc); });
    return py::make_tuple(centers, indices);
}

template <class T, class I>
py::tuple kmeans_plusplus_csr_typed(const py::array& data, const py::array& indices, const py::array& indptr,
                                    index_t n_features, const py::object& sample_weight, index_t n_clusters,
                                    index_t first, const py::array_t<double, py::array::c_style>& uniforms,
                                    std::int64_t n_threads) {
    auto x = csr<T, I>(data, indices, indptr, n_features);
    const double* w = weights(sample_weight, x.view.n, n_features);
    const index_t n_trials = check_seeding(n_clusters, first, uniforms, x.view.n, n_features);
    py::array_t<T> centers({n_clusters, n_features});
    py::array_t<std::int64_t> found(n_clusters);
    qm::RunControl rc = control(n_threads, py::none());
    T* cp = centers.mutable_data();
    std::int64_t* ip = found.mutable_data();
    const double* u = uniforms.data();
    without_gil([&] {
        with_norms(x, rc.n_threads);
        qm::kmeans_plusplus(x.view, w, n_clusters, first, u, n_trials, cp, ip, rc);
    });
    return py::make_tuple(centers, found);
}

py::array_t<std::int64_t> inverse_cdf_draws(const py::object& sample_weight, double total, index_t n,
                                            const py::array_t<double, py::array::c_style>& uniforms) {
    if (n < 1) throw py::value_error("weighted draws need at least one row, got n=" + std::to_string(n));
    const double* w = weights(sample_weight, n, 1);
    if (w && !(total > 0.0 && std::isfinite(total)))
        throw py::value_error("the total weight must be positive and finite, got " + std::to_string(total));
    if (uniforms.ndim() != 1) throw py::value_error("uniforms must be 1-D, got shape " + shape_of(uniforms));
    const index_t count = uniforms.shape(0);
    const double* u = uniforms.data();
    for (index_t q = 0; q < count; ++q)
        if (!(u[q] >= 0.0 && u[q] < 1.0)) throw py::value_error("uniforms must lie in [0, 1)");
    py::array_t<std::int64_t> out(count);
    std::int64_t* op = out.mutable_data();
    without_gil([&] { qm::inverse_cdf_draws(w, total, n, u, count, op); });
    // Only weights that are not finite and non-negative (or do not sum to `total`) can leave a
    // uniform with no row above it.
    for (index_t q = 0; q < count; ++q)
        if (op[q] >= n) throw py::value_error("weighted draws need finite, non-negative weights summing to total");
    return out;
}

}  // namespace

void register_seeding(py::module_& m) {
    m.def("inverse_cdf_draws", &inverse_cdf_draws, py::arg("sample_weight"), py::arg("total"), py::arg("n"),
          py::arg("uniforms"));

    m.def("kmeans_plusplus", [](const py::array& X, const py::object& sample_weight, index_t n_clusters,
                                index_t first, const py::array_t<double, py::array::c_style>& uniforms,
                                std::int64_t n_threads) -> py::tuple {
        QM_DISPATCH(X, kmeans_plusplus_typed<float>(X, sample_weight, n_clusters, first, uniforms, n_threads),
                    kmeans_plusplus_typed<double>(X, sample_weight, n_clusters, first, uniforms, n_threads));
    }, py::arg("X"), py::arg("sample_weight"), py::arg("n_clusters"), py::arg("first"), py::arg("uniforms"),
       py::arg("n_threads"));

    m.def("kmeans_plusplus_csr", [](const py::array& data, const py::array& indices, const py::array& indptr,
                                    index_t n_features, const py::object& sample_weight, index_t n_clusters,
                                    index_t first, const py::array_t<double, py::array::c_style>& uniforms,
                                    std::int64_t n_threads) {
        QM_DISPATCH_CSR(kmeans_plusplus_csr_typed, data, indices, indptr, n_features, sample_weight, n_clusters,
                        first, uniforms, n_threads);
    }, py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_features"), py::arg("sample_weight"),
       py::arg("n_clusters"), py::arg("first"), py::arg("uniforms"), py::arg("n_threads"));
}

}  // namespace quickmeans_bindings
