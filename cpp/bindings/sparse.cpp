// CSR X: fit (Lloyd's iteration on sparse rows, whatever the algorithm), predict, transform,
// inertia, assign_sums and the canonical-form check the Python layer uses.
#include "common.hpp"

#include "quickmeans/transform.hpp"

namespace quickmeans_bindings {
namespace {

template <class T, class I>
py::tuple fit_csr_typed(const py::array& data, const py::array& indices, const py::array& indptr,
                        index_t n_features, const py::object& sample_weight, const py::array& init,
                        std::int64_t max_iter_requested, double tol, std::int64_t n_threads,
                        const py::object& on_iteration) {
    auto x = csr<T, I>(data, indices, indptr, n_features);
    const auto c0 = dense<T>(init, "init");
    check_centers(c0, x.view.n, n_features, "init");
    const index_t k = c0.n;
    check_cluster_count(k, x.view.n, n_features);
    const int max_iter = iteration_cap(max_iter_requested);
    const double* w = weights(sample_weight, x.view.n, n_features);
    py::array_t<T> centers({k, n_features});
    std::copy(c0.data, c0.data + k * n_features, centers.mutable_data());
    py::array_t<qm::label_t> labels(x.view.n);
    qm::FitSummary summary;
    qm::RunControl rc = control(n_threads, on_iteration);
    T* cp = centers.mutable_data();
    qm::label_t* lp = labels.mutable_data();
    without_gil([&] {
        with_norms(x, rc.n_threads);
        summary = qm::lloyd(x.view, w, cp, k, lp, max_iter, tol, rc);
    });
    return py::make_tuple(centers, labels, summary.inertia, summary.n_iter);
}

template <class T, class I>
py::tuple predict_csr_typed(const py::array& data, const py::array& indices, const py::array& indptr,
                            index_t n_features, const py::array& centers, std::int64_t n_threads_requested) {
    auto x = csr<T, I>(data, indices, indptr, n_features);
    const auto c = dense<T>(centers, "centers");
    check_centers(c, x.view.n, n_features, "centers");
    const int n_threads = capped_threads(n_threads_requested);
    py::array_t<qm::label_t> labels(x.view.n);
    qm::label_t* lp = labels.mutable_data();
    without_gil([&] {
        with_norms(x, n_threads);
        qm::assign_labels(x.view, c.data, c.n, lp, n_threads);
    });
    return py::make_tuple(labels, index_t(0));
}

template <class T, class I>
double inertia_csr_typed(const py::array& data, const py::array& indices, const py::array& indptr,
                         index_t n_features, const py::object& sample_weight, const py::array& centers,
                         const py::array_t<qm::label_t, py::array::c_style>& labels,
                         std::int64_t n_threads_requested) {
    auto x = csr<T, I>(data, indices, indptr, n_features);
    const auto c = dense<T>(centers, "centers");
    check_centers(c, x.view.n, n_features, "centers");
    const double* w = weights(sample_weight, x.view.n, n_features);
    const qm::label_t* lp = checked_labels(labels, x.view.n, n_features, c.n);
    const int n_threads = capped_threads(n_threads_requested);
    double result = 0.0;
    without_gil([&] {
        with_norms(x, n_threads);
        result = qm::inertia(x.view, w, c.data, lp, n_threads);
    });
    return result;
}

template <class T, class I>
py::tuple assign_sums_csr_typed(const py::array& data, const py::array& indices, const py::array& indptr,
                                index_t n_features, const py::object& sample_weight, const py::array& centers,
                                std::int64_t n_threads_requested) {
    auto x = csr<T, I>(data, indices, indptr, n_features);
    const double* w = weights(sample_weight, x.view.n, n_features);
    const int n_threads = capped_threads(n_threads_requested);
    // The norms are filled in before the view is used (captured by reference).
    return assign_sums_view(x.view, w, dense<T>(centers, "centers"), n_threads, [&] {
        with_norms(x, n_threads);
    });
}

template <class T, class I>
py::array transform_csr_typed(const py::array& data, const py::array& indices, const py::array& indptr,
                              index_t n_features, const py::array& centers, std::int64_t n_threads_requested) {
    auto x = csr<T, I>(data, indices, indptr, n_features);
    const auto c = dense<T>(centers, "centers");
    check_centers(c, x.view.n, n_features, "centers");
    const int n_threads = capped_threads(n_threads_requested);
    py::array_t<T> out({x.view.n, c.n});
    T* op = out.mutable_data();
    without_gil([&] {
        with_norms(x, n_threads);
        qm::center_distances(x.view, c.data, c.n, op, n_threads);
    });
    return out;
}

template <class I>
int csr_status_typed(const py::array& indices, const py::array& indptr, index_t n_features) {
    if (!py::isinstance<py::array_t<I>>(indptr) || indices.ndim() != 1 || indptr.ndim() != 1 ||
        !(indices.flags() & py::array::c_style) || !(indptr.flags() & py::array::c_style))
        throw py::type_error("CSR indices and indptr must be contiguous 1-D arrays of one dtype");
    if (indptr.shape(0) < 1) return qm::kCsrInvalid;
    const I* ip = static_cast<const I*>(indices.data());
    const I* pp = static_cast<const I*>(indptr.data());
    int status = 0;
    without_gil([&] { status = qm::csr_status(ip, pp, indptr.shape(0) - 1, n_features, indices.shape(0)); });
    return status;
}

}  // namespace

void register_sparse(py::module_& m) {
    m.def("fit_csr", [](const py::array& data, const py::array& indices, const py::array& indptr, index_t n_features,
                        const py::object& sample_weight, const py::array& init, std::int64_t max_iter, double tol,
                        std::int64_t n_threads, const py::object& on_iteration) {
        QM_DISPATCH_CSR(fit_csr_typed, data, indices, indptr, n_features, sample_weight, init, max_iter, tol,
                        n_threads, on_iteration);
    }, py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_features"), py::arg("sample_weight"),
       py::arg("init"), py::arg("max_iter"), py::arg("tol"), py::arg("n_threads"),
       py::arg("on_iteration") = py::none());

    m.def("predict_csr", [](const py::array& data, const py::array& indices, const py::array& indptr,
                            index_t n_features, const py::array& centers, std::int64_t n_threads) {
        QM_DISPATCH_CSR(predict_csr_typed, data, indices, indptr, n_features, centers, n_threads);
    }, py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_features"), py::arg("centers"),
       py::arg("n_threads"));

    m.def("inertia_csr", [](const py::array& data, const py::array& indices, const py::array& indptr,
                            index_t n_features, const py::object& sample_weight, const py::array& centers,
                            const py::array_t<qm::label_t, py::array::c_style>& labels, std::int64_t n_threads) {
        QM_DISPATCH_CSR(inertia_csr_typed, data, indices, indptr, n_features, sample_weight, centers, labels,
                        n_threads);
    }, py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_features"), py::arg("sample_weight"),
       py::arg("centers"), py::arg("labels"), py::arg("n_threads"));

    m.def("assign_sums_csr", [](const py::array& data, const py::array& indices, const py::array& indptr,
                                index_t n_features, const py::object& sample_weight, const py::array& centers,
                                std::int64_t n_threads) {
        QM_DISPATCH_CSR(assign_sums_csr_typed, data, indices, indptr, n_features, sample_weight, centers,
                        n_threads);
    }, py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_features"), py::arg("sample_weight"),
       py::arg("centers"), py::arg("n_threads"));

    m.def("transform_csr", [](const py::array& data, const py::array& indices, const py::array& indptr,
                              index_t n_features, const py::array& centers, std::int64_t n_threads) {
        QM_DISPATCH_CSR(transform_csr_typed, data, indices, indptr, n_features, centers, n_threads);
    }, py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_features"), py::arg("centers"),
       py::arg("n_threads"));

    // 0: canonical; 1: valid but unsorted or duplicate indices; 2: invalid arrays.
    m.def("csr_status", [](const py::array& indices, const py::array& indptr, index_t n_features) {
        if (is_int32(indices)) return csr_status_typed<std::int32_t>(indices, indptr, n_features);
        if (py::isinstance<py::array_t<std::int64_t>>(indices))
            return csr_status_typed<std::int64_t>(indices, indptr, n_features);
        throw py::type_error("CSR indices must be int32 or int64");
    }, py::arg("indices"), py::arg("indptr"), py::arg("n_features"));
}

}  // namespace quickmeans_bindings
