// What every binding file shares: the array checks, the GIL release, the dtype dispatch.
// The bindings are the only files that know Python; they check every extent the engine's
// indexing relies on and hand raw pointers to the engine. They know nothing of k-means beyond
// the engine's signatures; validation for the user's sake belongs to the Python layer.
#pragma once

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "quickmeans/common.hpp"
#include "quickmeans/csr.hpp"
#include "quickmeans/csr_lloyd.hpp"  // assign_and_total for dense and CSR rows
#include "quickmeans/lloyd.hpp"

namespace quickmeans_bindings {

namespace py = pybind11;
namespace qm = quickmeans;
using qm::index_t;

// One registration function per area; the module file calls them all.
void register_dense(py::module_& m);
void register_sparse(py::module_& m);
void register_seeding(py::module_& m);
void register_metrics(py::module_& m);

// C-contiguous and aligned to its dtype: what the engine's loads assume. (NumPy arrays can be
// unaligned, e.g. deserialised by dask at an odd offset: reading them would be UB.)
inline bool engine_ready(const py::array& a) {
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
inline const double* weights(const py::object& w, index_t n) {
    if (w.is_none()) return nullptr;
    auto a = py::reinterpret_borrow<py::array>(w);
    if (!py::isinstance<py::array_t<double>>(a) || a.ndim() != 1 || a.shape(0) != n || !engine_ready(a))
        throw py::type_error("sample_weight must be a contiguous, aligned float64 array of n_samples values");
    return static_cast<const double*>(a.data());
}

inline qm::RunControl control(int n_threads, const py::object& on_iteration) {
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

// Labels, per-cluster sums and weights, inertia: one Lloyd step's map side (dense or CSR rows).
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

inline bool is_int32(const py::array& a) { return py::isinstance<py::array_t<std::int32_t>>(a); }
inline bool is_float32(const py::array& a) { return py::isinstance<py::array_t<float>>(a); }
inline bool is_float64(const py::array& a) { return py::isinstance<py::array_t<double>>(a); }

// Calls the instance of a CSR binding for the data dtype (float32/float64) and
// index dtype (int32/int64); F is a generic lambda taking (T*, I*) tags.
template <class F>
auto dispatch_csr(const py::array& data, const py::array& indices, F&& f) {
    const bool i32 = is_int32(indices);
    if (!i32 && !py::isinstance<py::array_t<std::int64_t>>(indices))
        throw py::type_error("CSR indices must be int32 or int64");
    if (is_float32(data))
        return i32 ? f(static_cast<float*>(nullptr), static_cast<std::int32_t*>(nullptr))
                   : f(static_cast<float*>(nullptr), static_cast<std::int64_t*>(nullptr));
    if (is_float64(data))
        return i32 ? f(static_cast<double*>(nullptr), static_cast<std::int32_t*>(nullptr))
                   : f(static_cast<double*>(nullptr), static_cast<std::int64_t*>(nullptr));
    throw py::type_error("CSR data must be float32 or float64");
}

}  // namespace quickmeans_bindings

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
