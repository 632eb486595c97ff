// The only file that knows Python: checks array layouts, releases the GIL,
// dispatches on dtype and hands raw pointers to the engine. It knows nothing of
// k-means beyond the engine's signatures; validation belongs to the Python layer.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "quickmeans/csr_lloyd.hpp"
#include "quickmeans/distance.hpp"
#include "quickmeans/elkan.hpp"
#include "quickmeans/hamerly.hpp"
#include "quickmeans/kernels.hpp"
#include "quickmeans/kmeanspp.hpp"
#include "quickmeans/lloyd.hpp"
#include "quickmeans/silhouette.hpp"
#include "quickmeans/stats.hpp"
#include "quickmeans/transform.hpp"

namespace py = pybind11;
namespace qm = quickmeans;
using qm::index_t;

namespace {

// C-contiguous and aligned to its dtype: what the engine's loads assume. (NumPy arrays can be
// unaligned, e.g. deserialised by dask at an odd offset: reading them would be UB.)
bool engine_ready(const py::array& a) {
    return (a.flags() & py::array::c_style) && (a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_);
}

template <class T>
qm::DenseView<T> dense(const py::array& a, const char* name) {
    if (a.ndim() != 2) throw py::value_error(std::string(name) + " must be 2-D");
    if (!py::isinstance<py::array_t<T>>(a) || !engine_ready(a))
        throw py::type_error(std::string(name) + " must be a C-contiguous, aligned array of the fit dtype");
    return qm::DenseView<T>{static_cast<const T*>(a.data()), a.shape(0), a.shape(1)};
}

// nullptr means unit weights.
const double* weights(const py::object& w, index_t n) {
    if (w.is_none()) return nullptr;
    auto a = py::reinterpret_borrow<py::array>(w);
    if (!py::isinstance<py::array_t<double>>(a) || a.ndim() != 1 || a.shape(0) != n || !engine_ready(a))
        throw py::type_error("sample_weight must be a contiguous, aligned float64 array of n_samples values");
    return static_cast<const double*>(a.data());
}

qm::RunControl control(int n_threads, const py::object& on_iteration) {
    qm::RunControl rc;
    rc.n_threads = n_threads < 1 ? 1 : n_threads;
    rc.stop_requested = [] {
        py::gil_scoped_acquire gil;
        return PyErr_CheckSignals() != 0;
    };
    if (!on_iteration.is_none()) {
        py::function callback = on_iteration;
        rc.on_iteration = [callback](int iteration, double inertia) {
            py::gil_scoped_acquire gil;
            callback(iteration, inertia);
        };
    }
    return rc;
}

// Runs f with the GIL released; a stop request becomes the pending Python error.
template <class F>
void without_gil(F&& f) {
    bool interrupted = false;
    {
        py::gil_scoped_release release;
        try {
            f();
        } catch (const qm::Interrupted&) {
            interrupted = true;
        }
    }
    if (interrupted) throw py::error_already_set();
}

template <class T>
py::tuple fit_typed(const py::array& X, const py::object& sample_weight, const py::array& init,
                    const std::string& algorithm, int max_iter, double tol, int n_threads,
                    const py::object& on_iteration) {
    const auto x = dense<T>(X, "X");
    const auto c0 = dense<T>(init, "init");
    if (c0.d != x.d) throw py::value_error("init has a different number of features than X");
    const index_t k = c0.n;
    const double* w = weights(sample_weight, x.n);
    py::array_t<T> centers({k, x.d});
    std::copy(c0.data, c0.data + k * x.d, centers.mutable_data());
    py::array_t<qm::label_t> labels(x.n);
    qm::FitSummary summary;
    qm::RunControl rc = control(n_threads, on_iteration);
    T* cp = centers.mutable_data();
    qm::label_t* lp = labels.mutable_data();
    if (algorithm == "lloyd") {
        without_gil([&] { summary = qm::lloyd(x, w, cp, k, lp, max_iter, tol, rc); });
    } else if (algorithm == "elkan") {
        without_gil([&] { summary = qm::elkan(x, w, cp, k, lp, max_iter, tol, rc); });
    } else if (algorithm == "hamerly") {
        without_gil([&] { summary = qm::hamerly(x, w, cp, k, lp, max_iter, tol, rc); });
    } else {
        throw py::value_error("unknown algorithm: " + algorithm);
    }
    return py::make_tuple(centers, labels, summary.inertia, summary.n_iter);
}

template <class T>
py::tuple kmeans_plusplus_typed(const py::array& X, const py::object& sample_weight, index_t n_clusters,
                                index_t first, const py::array_t<double, py::array::c_style>& uniforms,
                                int n_threads) {
    const auto x = dense<T>(X, "X");
    const double* w = weights(sample_weight, x.n);
    if (first < 0 || first >= x.n) throw py::value_error("first center index out of range");
    if (uniforms.ndim() != 2 || uniforms.shape(0) != std::max<index_t>(n_clusters - 1, 0))
        throw py::value_error("uniforms must have shape (n_clusters - 1, n_trials)");
    const index_t n_trials = uniforms.shape(1);
    py::array_t<T> centers({n_clusters, x.d});
    py::array_t<std::int64_t> indices(n_clusters);
    qm::RunControl rc = control(n_threads, py::none());
    T* cp = centers.mutable_data();
    std::int64_t* ip = indices.mutable_data();
    const double* u = uniforms.data();
    without_gil([&] { qm::kmeans_plusplus(x, w, n_clusters, first, u, n_trials, cp, ip, rc); });
    return py::make_tuple(centers, indices);
}

// (labels, number of rows holding NaN or inf).
template <class T>
py::tuple predict_typed(const py::array& X, const py::array& centers, int n_threads) {
    const auto x = dense<T>(X, "X");
    const auto c = dense<T>(centers, "centers");
    py::array_t<qm::label_t> labels(x.n);
    qm::label_t* lp = labels.mutable_data();
    index_t nonfinite = 0;
    without_gil([&] { nonfinite = qm::assign_labels(x, c.data, c.n, lp, n_threads); });
    return py::make_tuple(labels, nonfinite);
}

template <class T>
double inertia_typed(const py::array& X, const py::object& sample_weight, const py::array& centers,
                     const py::array_t<qm::label_t, py::array::c_style>& labels, int n_threads) {
    const auto x = dense<T>(X, "X");
    const auto c = dense<T>(centers, "centers");
    if (labels.ndim() != 1 || labels.shape(0) != x.n) throw py::value_error("labels must have n_samples values");
    const double* w = weights(sample_weight, x.n);
    const qm::label_t* lp = labels.data();
    for (index_t i = 0; i < x.n; ++i)
        if (lp[i] < 0 || lp[i] >= c.n) throw py::value_error("labels out of range");
    double result = 0.0;
    without_gil([&] { result = qm::inertia(x, w, c.data, lp, n_threads); });
    return result;
}

// Labels, per-cluster sums and weights, inertia: one Lloyd step's map side.
template <class View, class T>
py::tuple assign_sums_view(const View& x, const double* w, const qm::DenseView<T>& c, int n_threads,
                           const std::function<void()>& prepare) {
    if (c.d != x.d) throw py::value_error("centers have a different number of features than X");
    py::array_t<qm::label_t> labels(x.n);
    py::array_t<double> sums({c.n, x.d});
    py::array_t<double> totals(c.n);
    qm::label_t* lp = labels.mutable_data();
    double* sp = sums.mutable_data();
    double* tp = totals.mutable_data();
    double result = 0.0;
    without_gil([&] {
        prepare();
        result = qm::assign_and_total(x, w, c.data, c.n, lp, sp, tp, n_threads);
    });
    return py::make_tuple(labels, sums, totals, result);
}

template <class T>
py::tuple assign_sums_typed(const py::array& X, const py::object& sample_weight, const py::array& centers,
                            int n_threads) {
    const auto x = dense<T>(X, "X");
    return assign_sums_view(x, weights(sample_weight, x.n), dense<T>(centers, "centers"), n_threads, [] {});
}

template <class T>
py::array transform_typed(const py::array& X, const py::array& centers, int n_threads) {
    const auto x = dense<T>(X, "X");
    const auto c = dense<T>(centers, "centers");
    py::array_t<T> out({x.n, c.n});
    T* op = out.mutable_data();
    without_gil([&] { qm::center_distances(x, c.data, c.n, op, n_threads); });
    return out;
}

template <class T>
bool all_finite_typed(const py::array& X, int n_threads, double limit) {
    if (!engine_ready(X)) throw py::type_error("array must be C-contiguous and aligned");
    const T* p = static_cast<const T*>(X.data());
    const index_t size = X.size();
    bool ok = true;
    without_gil([&] { ok = qm::all_finite(p, size, n_threads, limit); });
    return ok;
}

template <class T>
double silhouette_typed(const py::array& X, const py::array_t<qm::label_t, py::array::c_style>& labels,
                        index_t n_clusters, int n_threads) {
    const auto x = dense<T>(X, "X");
    if (labels.ndim() != 1 || labels.shape(0) != x.n) throw py::value_error("labels must have n_samples values");
    const qm::label_t* lp = labels.data();
    for (index_t i = 0; i < x.n; ++i)
        if (lp[i] < 0 || lp[i] >= n_clusters) throw py::value_error("labels out of range");
    double result = 0.0;
    without_gil([&] { result = qm::silhouette(x, lp, n_clusters, n_threads); });
    return result;
}

template <class T>
double mean_variance_typed(const py::array& X, int n_threads) {
    const auto x = dense<T>(X, "X");
    double v = 0.0;
    without_gil([&] { v = qm::mean_feature_variance(x, n_threads); });
    return v;
}

// ---- CSR input: (data, indices, indptr, n_features), canonical (sorted, unique
// indices, checked bounds) as the Python layer prepares it.

template <class T, class I>
struct Csr {
    qm::CsrView<T, I> view;
    std::vector<double> norms2;
};

template <class T, class I>
Csr<T, I> csr(const py::array& data, const py::array& indices, const py::array& indptr, index_t n_features) {
    if (!py::isinstance<py::array_t<T>>(data) || !py::isinstance<py::array_t<I>>(indices) ||
        !py::isinstance<py::array_t<I>>(indptr) || data.ndim() != 1 || indices.ndim() != 1 || indptr.ndim() != 1 ||
        !engine_ready(data) || !engine_ready(indices) || !engine_ready(indptr))
        throw py::type_error("CSR arrays must be contiguous, aligned 1-D arrays of matching dtypes");
    if (indptr.shape(0) < 1 || indices.shape(0) != data.shape(0))
        throw py::value_error("inconsistent CSR arrays");
    Csr<T, I> out;
    out.view = qm::CsrView<T, I>{static_cast<const T*>(data.data()), static_cast<const I*>(indices.data()),
                                 static_cast<const I*>(indptr.data()), indptr.shape(0) - 1, n_features};
    if (static_cast<index_t>(out.view.indptr[out.view.n]) > data.shape(0))
        throw py::value_error("inconsistent CSR arrays");
    return out;
}

// Row norms are computed inside the GIL-free call that uses them.
template <class T, class I>
void with_norms(Csr<T, I>& x, int n_threads) {
    x.norms2 = qm::row_norms2(x.view, n_threads);
    x.view.norms2 = x.norms2.data();
}

template <class T, class I>
py::tuple fit_csr_typed(const py::array& data, const py::array& indices, const py::array& indptr,
                        index_t n_features, const py::object& sample_weight, const py::array& init, int max_iter,
                        double tol, int n_threads, const py::object& on_iteration) {
    auto x = csr<T, I>(data, indices, indptr, n_features);
    const auto c0 = dense<T>(init, "init");
    if (c0.d != n_features) throw py::value_error("init has a different number of features than X");
    const index_t k = c0.n;
    const double* w = weights(sample_weight, x.view.n);
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
py::tuple kmeans_plusplus_csr_typed(const py::array& data, const py::array& indices, const py::array& indptr,
                                    index_t n_features, const py::object& sample_weight, index_t n_clusters,
                                    index_t first, const py::array_t<double, py::array::c_style>& uniforms,
                                    int n_threads) {
    auto x = csr<T, I>(data, indices, indptr, n_features);
    const double* w = weights(sample_weight, x.view.n);
    if (first < 0 || first >= x.view.n) throw py::value_error("first center index out of range");
    if (uniforms.ndim() != 2 || uniforms.shape(0) != std::max<index_t>(n_clusters - 1, 0))
        throw py::value_error("uniforms must have shape (n_clusters - 1, n_trials)");
    const index_t n_trials = uniforms.shape(1);
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

template <class T, class I>
py::tuple predict_csr_typed(const py::array& data, const py::array& indices, const py::array& indptr,
                            index_t n_features, const py::array& centers, int n_threads) {
    auto x = csr<T, I>(data, indices, indptr, n_features);
    const auto c = dense<T>(centers, "centers");
    if (c.d != n_features) throw py::value_error("centers have a different number of features than X");
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
                         const py::array_t<qm::label_t, py::array::c_style>& labels, int n_threads) {
    auto x = csr<T, I>(data, indices, indptr, n_features);
    const auto c = dense<T>(centers, "centers");
    if (labels.ndim() != 1 || labels.shape(0) != x.view.n) throw py::value_error("labels must have n_samples values");
    const double* w = weights(sample_weight, x.view.n);
    const qm::label_t* lp = labels.data();
    for (index_t i = 0; i < x.view.n; ++i)
        if (lp[i] < 0 || lp[i] >= c.n) throw py::value_error("labels out of range");
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
                                int n_threads) {
    auto x = csr<T, I>(data, indices, indptr, n_features);
    const double* w = weights(sample_weight, x.view.n);
    // The norms are filled in before the view is used (captured by reference).
    return assign_sums_view(x.view, w, dense<T>(centers, "centers"), n_threads, [&] {
        with_norms(x, n_threads);
    });
}

template <class T, class I>
py::array transform_csr_typed(const py::array& data, const py::array& indices, const py::array& indptr,
                              index_t n_features, const py::array& centers, int n_threads) {
    auto x = csr<T, I>(data, indices, indptr, n_features);
    const auto c = dense<T>(centers, "centers");
    py::array_t<T> out({x.view.n, c.n});
    T* op = out.mutable_data();
    without_gil([&] {
        with_norms(x, n_threads);
        qm::center_distances(x.view, c.data, c.n, op, n_threads);
    });
    return out;
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

bool is_int32(const py::array& a) { return py::isinstance<py::array_t<std::int32_t>>(a); }

// Calls the instance of a CSR binding for the data dtype (float32/float64) and
// index dtype (int32/int64); F is a generic lambda taking (T*, I*) tags.
template <class F>
auto dispatch_csr(const py::array& data, const py::array& indices, F&& f) {
    const bool i32 = is_int32(indices);
    if (!i32 && !py::isinstance<py::array_t<std::int64_t>>(indices))
        throw py::type_error("CSR indices must be int32 or int64");
    if (py::isinstance<py::array_t<float>>(data))
        return i32 ? f(static_cast<float*>(nullptr), static_cast<std::int32_t*>(nullptr))
                   : f(static_cast<float*>(nullptr), static_cast<std::int64_t*>(nullptr));
    if (py::isinstance<py::array_t<double>>(data))
        return i32 ? f(static_cast<double*>(nullptr), static_cast<std::int32_t*>(nullptr))
                   : f(static_cast<double*>(nullptr), static_cast<std::int64_t*>(nullptr));
    throw py::type_error("CSR data must be float32 or float64");
}

bool is_float32(const py::array& a) { return py::isinstance<py::array_t<float>>(a); }
bool is_float64(const py::array& a) { return py::isinstance<py::array_t<double>>(a); }

// Calls the float32 or float64 instance of a typed binding by X's dtype.
#define QM_DISPATCH(X, call_f32, call_f64)                                         \
    do {                                                                           \
        if (is_float32(X)) return call_f32;                                        \
        if (is_float64(X)) return call_f64;                                        \
        throw py::type_error("X must be float32 or float64");                      \
    } while (0)

// Returns fn<T, I>(args...) for the data and index dtypes of CSR arrays.
#define QM_DISPATCH_CSR(fn, ...)                                                                  \
    return dispatch_csr(data, indices, [&](auto* t, auto* i) {                                  \
        return fn<std::remove_pointer_t<decltype(t)>, std::remove_pointer_t<decltype(i)>>(__VA_ARGS__); \
    })

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "quickmeans native engine (C++17, OpenMP)";

    m.def("fit", [](const py::array& X, const py::object& sample_weight, const py::array& init,
                    const std::string& algorithm, int max_iter, double tol, int n_threads,
                    const py::object& on_iteration) -> py::tuple {
        QM_DISPATCH(X, fit_typed<float>(X, sample_weight, init, algorithm, max_iter, tol, n_threads, on_iteration),
                    fit_typed<double>(X, sample_weight, init, algorithm, max_iter, tol, n_threads, on_iteration));
    }, py::arg("X"), py::arg("sample_weight"), py::arg("init"), py::arg("algorithm"), py::arg("max_iter"),
       py::arg("tol"), py::arg("n_threads"), py::arg("on_iteration") = py::none());

    m.def("kmeans_plusplus", [](const py::array& X, const py::object& sample_weight, index_t n_clusters,
                                index_t first, const py::array_t<double, py::array::c_style>& uniforms,
                                int n_threads) -> py::tuple {
        QM_DISPATCH(X, kmeans_plusplus_typed<float>(X, sample_weight, n_clusters, first, uniforms, n_threads),
                    kmeans_plusplus_typed<double>(X, sample_weight, n_clusters, first, uniforms, n_threads));
    }, py::arg("X"), py::arg("sample_weight"), py::arg("n_clusters"), py::arg("first"), py::arg("uniforms"),
       py::arg("n_threads"));

    m.def("predict", [](const py::array& X, const py::array& centers, int n_threads) -> py::tuple {
        QM_DISPATCH(X, predict_typed<float>(X, centers, n_threads), predict_typed<double>(X, centers, n_threads));
    }, py::arg("X"), py::arg("centers"), py::arg("n_threads"));

    m.def("inertia", [](const py::array& X, const py::object& sample_weight, const py::array& centers,
                        const py::array_t<qm::label_t, py::array::c_style>& labels, int n_threads) -> double {
        QM_DISPATCH(X, inertia_typed<float>(X, sample_weight, centers, labels, n_threads),
                    inertia_typed<double>(X, sample_weight, centers, labels, n_threads));
    }, py::arg("X"), py::arg("sample_weight"), py::arg("centers"), py::arg("labels"), py::arg("n_threads"));

    m.def("assign_sums", [](const py::array& X, const py::object& sample_weight, const py::array& centers,
                            int n_threads) -> py::tuple {
        QM_DISPATCH(X, assign_sums_typed<float>(X, sample_weight, centers, n_threads),
                    assign_sums_typed<double>(X, sample_weight, centers, n_threads));
    }, py::arg("X"), py::arg("sample_weight"), py::arg("centers"), py::arg("n_threads"));

    m.def("transform", [](const py::array& X, const py::array& centers, int n_threads) -> py::array {
        QM_DISPATCH(X, transform_typed<float>(X, centers, n_threads), transform_typed<double>(X, centers, n_threads));
    }, py::arg("X"), py::arg("centers"), py::arg("n_threads"));

    m.def("silhouette", [](const py::array& X, const py::array_t<qm::label_t, py::array::c_style>& labels,
                           index_t n_clusters, int n_threads) -> double {
        QM_DISPATCH(X, silhouette_typed<float>(X, labels, n_clusters, n_threads),
                    silhouette_typed<double>(X, labels, n_clusters, n_threads));
    }, py::arg("X"), py::arg("labels"), py::arg("n_clusters"), py::arg("n_threads"));

    // limit: the largest |value| allowed (the dtype's largest finite value when larger).
    m.def("all_finite", [](const py::array& X, int n_threads, double limit) -> bool {
        QM_DISPATCH(X, all_finite_typed<float>(X, n_threads, limit),
                    all_finite_typed<double>(X, n_threads, limit));
    }, py::arg("X"), py::arg("n_threads"), py::arg("limit") = std::numeric_limits<double>::infinity());
    m.def("magnitude_limit", [](index_t n_features) { return qm::magnitude_limit(n_features); },
          py::arg("n_features"));

    m.def("mean_feature_variance", [](const py::array& X, int n_threads) -> double {
        QM_DISPATCH(X, mean_variance_typed<float>(X, n_threads), mean_variance_typed<double>(X, n_threads));
    }, py::arg("X"), py::arg("n_threads"));

    // CSR input; every algorithm runs Lloyd's iteration on sparse rows (identical results).
    m.def("fit_csr", [](const py::array& data, const py::array& indices, const py::array& indptr, index_t n_features,
                        const py::object& sample_weight, const py::array& init, int max_iter, double tol,
                        int n_threads, const py::object& on_iteration) {
        QM_DISPATCH_CSR(fit_csr_typed, data, indices, indptr, n_features, sample_weight, init, max_iter, tol,
                        n_threads, on_iteration);
    }, py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_features"), py::arg("sample_weight"),
       py::arg("init"), py::arg("max_iter"), py::arg("tol"), py::arg("n_threads"),
       py::arg("on_iteration") = py::none());

    m.def("kmeans_plusplus_csr", [](const py::array& data, const py::array& indices, const py::array& indptr,
                                    index_t n_features, const py::object& sample_weight, index_t n_clusters,
                                    index_t first, const py::array_t<double, py::array::c_style>& uniforms,
                                    int n_threads) {
        QM_DISPATCH_CSR(kmeans_plusplus_csr_typed, data, indices, indptr, n_features, sample_weight, n_clusters,
                        first, uniforms, n_threads);
    }, py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_features"), py::arg("sample_weight"),
       py::arg("n_clusters"), py::arg("first"), py::arg("uniforms"), py::arg("n_threads"));

    m.def("predict_csr", [](const py::array& data, const py::array& indices, const py::array& indptr,
                            index_t n_features, const py::array& centers, int n_threads) {
        QM_DISPATCH_CSR(predict_csr_typed, data, indices, indptr, n_features, centers, n_threads);
    }, py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_features"), py::arg("centers"),
       py::arg("n_threads"));

    m.def("inertia_csr", [](const py::array& data, const py::array& indices, const py::array& indptr,
                            index_t n_features, const py::object& sample_weight, const py::array& centers,
                            const py::array_t<qm::label_t, py::array::c_style>& labels, int n_threads) {
        QM_DISPATCH_CSR(inertia_csr_typed, data, indices, indptr, n_features, sample_weight, centers, labels,
                        n_threads);
    }, py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_features"), py::arg("sample_weight"),
       py::arg("centers"), py::arg("labels"), py::arg("n_threads"));

    m.def("assign_sums_csr", [](const py::array& data, const py::array& indices, const py::array& indptr,
                                index_t n_features, const py::object& sample_weight, const py::array& centers,
                                int n_threads) {
        QM_DISPATCH_CSR(assign_sums_csr_typed, data, indices, indptr, n_features, sample_weight, centers,
                        n_threads);
    }, py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_features"), py::arg("sample_weight"),
       py::arg("centers"), py::arg("n_threads"));

    m.def("transform_csr", [](const py::array& data, const py::array& indices, const py::array& indptr,
                              index_t n_features, const py::array& centers, int n_threads) {
        QM_DISPATCH_CSR(transform_csr_typed, data, indices, indptr, n_features, centers, n_threads);
    }, py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_features"), py::arg("centers"),
       py::arg("n_threads"));

    m.def("mean_feature_variance_csr", [](const py::array& data, const py::array& indices, const py::array& indptr,
                                          index_t n_features) {
        QM_DISPATCH_CSR(mean_variance_csr_typed, data, indices, indptr, n_features);
    }, py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_features"));

    // 0: canonical; 1: valid but unsorted or duplicate indices; 2: invalid arrays.
    m.def("csr_status", [](const py::array& indices, const py::array& indptr, index_t n_features) {
        if (is_int32(indices)) return csr_status_typed<std::int32_t>(indices, indptr, n_features);
        if (py::isinstance<py::array_t<std::int64_t>>(indices))
            return csr_status_typed<std::int64_t>(indices, indptr, n_features);
        throw py::type_error("CSR indices must be int32 or int64");
    }, py::arg("indices"), py::arg("indptr"), py::arg("n_features"));

    m.def("has_openmp", &qm::has_openmp);
    m.def("max_threads", &qm::max_threads);
    m.def("simd_level", [] { return std::string(qm::active_kernels().name); });
    m.def("simd_levels", [] {
        int count = 0;
        const char* const* names = qm::available_simd_levels(&count);
        std::vector<std::string> out(names, names + count);
        return out;
    });
    m.def("set_simd_level", [](const std::string& name) {
        if (!qm::select_simd_level(name.c_str()))
            throw py::value_error("SIMD level '" + name + "' is unknown or not supported by this CPU");
    }, py::arg("name"));
}
