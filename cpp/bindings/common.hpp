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
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "quickmeans/common.hpp"
#include "quickmeans/csr.hpp"
#include "quickmeans/csr_lloyd.hpp"  // assign_and_total for dense and CSR rows
#include "quickmeans/lloyd.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace quickmeans_bindings {

namespace py = pybind11;
namespace qm = quickmeans;
using qm::index_t;

// One registration function per area; the module file calls them all.
void register_dense(py::module_& m);
void register_sparse(py::module_& m);
void register_seeding(py::module_& m);
void register_metrics(py::module_& m);
void register_spherical(py::module_& m);

// C-contiguous and aligned to its dtype: what the engine's loads assume. (NumPy arrays can be
// unaligned, e.g. deserialised by dask at an odd offset: reading them would be UB.)
inline bool engine_ready(const py::array& a) {
    return (a.flags() & py::array::c_style) && (a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_);
}

// "(3, 2)": the shapes in the messages of extent checks.
inline std::string shape_of(const py::array& a) {
    std::string s = "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
    return s + (a.ndim() == 1 ? ",)" : ")");
}
inline std::string shape_of(index_t n, index_t d) { return "(" + std::to_string(n) + ", " + std::to_string(d) + ")"; }

template <class T>
qm::DenseView<T> dense(const py::array& a, const char* name) {
    if (a.ndim() != 2) throw py::value_error(std::string(name) + " must be 2-D, got shape " + shape_of(a));
    if (!py::isinstance<py::array_t<T>>(a) || !engine_ready(a))
        throw py::type_error(std::string(name) + " must be a C-contiguous, aligned array of the fit dtype");
    return qm::DenseView<T>{static_cast<const T*>(a.data()), a.shape(0), a.shape(1)};
}

// Centers the engine may index as k x d rows against X of shape (n, d): at least one row
// (labels and distances refer to row 0 at least) and X's width.
template <class T>
void check_centers(const qm::DenseView<T>& c, index_t n, index_t d, const char* name) {
    if (c.d != d)
        throw py::value_error(std::string(name) + " of shape " + shape_of(c.n, c.d) + " and X of shape " +
                              shape_of(n, d) + " have different numbers of features");
    if (c.n < 1) throw py::value_error(std::string(name) + " of shape " + shape_of(c.n, c.d) + " has no rows");
}

// nullptr means unit weights; otherwise exactly one float64 per row of X, shape (n, d).
inline const double* weights(const py::object& w, index_t n, index_t d) {
    if (w.is_none()) return nullptr;
    if (!py::isinstance<py::array_t<double>>(w))
        throw py::type_error("sample_weight must be a contiguous, aligned float64 array of n_samples values");
    auto a = py::reinterpret_borrow<py::array>(w);
    if (a.ndim() != 1 || a.shape(0) != n)
        throw py::value_error("sample_weight of shape " + shape_of(a) + " does not match X of shape " +
                              shape_of(n, d));
    if (!engine_ready(a))
        throw py::type_error("sample_weight must be a contiguous, aligned float64 array of n_samples values");
    return static_cast<const double*>(a.data());
}

// The most threads a call may start: the processors this process may run on, or more when
// OpenMP was told so (OMP_NUM_THREADS, threadpoolctl). Beyond it, per-thread buffers would
// only cost memory (10^6 requested threads were a bad_alloc).
inline int thread_limit() {
#ifdef _OPENMP
    return std::max({1, omp_get_num_procs(), omp_get_max_threads()});
#else
    return 1;
#endif
}

inline int capped_threads(std::int64_t requested) {
    return static_cast<int>(std::clamp<std::int64_t>(requested, 1, thread_limit()));
}

// max_iter as the engine's int: at least 1 (scikit-learn's rule), and 2^31 - 1 iterations
// stand for any larger count (no fit runs that long; it converges or is interrupted first).
inline int iteration_cap(std::int64_t max_iter) {
    if (max_iter < 1) throw py::value_error("max_iter must be >= 1, got " + std::to_string(max_iter));
    return static_cast<int>(std::min<std::int64_t>(max_iter, std::numeric_limits<int>::max()));
}

// k-means needs 1 <= k <= n (scikit-learn: n_samples >= n_clusters); the engine's seeding and
// empty-cluster relocation index rows by center.
inline void check_cluster_count(index_t k, index_t n, index_t d) {
    if (k < 1 || k > n)
        throw py::value_error("n_clusters=" + std::to_string(k) + " must lie in [1, n_samples] for X of shape " +
                              shape_of(n, d));
}

// Set by request_stop() (the quickmeans command's SIGINT handler calls it): every run
// checking for a stop then ends with KeyboardInterrupt, even where a KeyboardInterrupt
// raised by the signal was swallowed on its way (a finalizer, a native reader).
inline std::atomic<bool>& stop_recorded() {
    static std::atomic<bool> recorded{false};
    return recorded;
}

inline qm::RunControl control(std::int64_t n_threads, const py::object& on_iteration) {
    qm::RunControl rc;
    rc.n_threads = capped_threads(n_threads);
    rc.stop_requested = [] {
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) return true;
        if (!stop_recorded().load()) return false;
        PyErr_SetNone(PyExc_KeyboardInterrupt);
        return true;
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

// labels as the engine reads them: one per row of X (shape (n, d)), each the index of one of
// the k centers. The O(n) range scan runs without the GIL.
inline const qm::label_t* checked_labels(const py::array_t<qm::label_t, py::array::c_style>& labels, index_t n,
                                         index_t d, index_t k) {
    if (labels.ndim() != 1 || labels.shape(0) != n)
        throw py::value_error("labels of shape " + shape_of(labels) + " do not match X of shape " + shape_of(n, d));
    const qm::label_t* lp = labels.data();
    index_t bad = -1;
    without_gil([&] {
        for (index_t i = 0; i < n; ++i)
            if (lp[i] < 0 || lp[i] >= k) {
                bad = i;
                break;
            }
    });
    if (bad >= 0)
        throw py::value_error("labels must lie in [0, " + std::to_string(k) + ") for " + std::to_string(k) +
                              " centers; labels[" + std::to_string(bad) + "] is " + std::to_string(lp[bad]));
    return lp;
}

// ---- CSR input: (data, indices, indptr, n_features), canonical (sorted, unique
// indices, checked bounds) as the Python layer prepares it.

template <class T, class I>
struct Csr {
    qm::CsrView<T, I> view;
    std::vector<double> norms2;
};

// What is wrong with CSR arrays of n rows, d columns and nnz stored entries, or "" when the
// engine may walk them: indptr from 0 to nnz, never decreasing, and in each row column
// indices in [0, d), strictly increasing (the sparse distance walk merges sorted columns).
// One pass over indptr and indices; no Python object is touched (it runs without the GIL).
template <class I>
std::string csr_defect(const I* indices, const I* indptr, index_t n, index_t d, index_t nnz) {
    const auto at = [](const char* what, index_t i, index_t v) {
        return std::string(what) + "[" + std::to_string(i) + "] is " + std::to_string(v);
    };
    if (indptr[0] != 0) return at("indptr", 0, static_cast<index_t>(indptr[0])) + ", not 0";
    if (static_cast<index_t>(indptr[n]) != nnz)
        return at("indptr", n, static_cast<index_t>(indptr[n])) + " but indices and data hold " +
               std::to_string(nnz) + " entries";
    for (index_t i = 0; i < n; ++i) {
        const index_t b = static_cast<index_t>(indptr[i]), e = static_cast<index_t>(indptr[i + 1]);
        if (e < b) return at("indptr", i + 1, e) + " after " + at("indptr", i, b) + " (decreasing)";
        if (e > nnz) return at("indptr", i + 1, e) + ", past the " + std::to_string(nnz) + " entries";
        for (index_t q = b; q < e; ++q) {
            const index_t j = static_cast<index_t>(indices[q]);
            if (j < 0 || j >= d)
                return at("indices", q, j) + ", outside [0, n_features=" + std::to_string(d) + ")";
            if (q > b && j <= static_cast<index_t>(indices[q - 1]))
                return at("indices", q, j) + " after " + at("indices", q - 1, static_cast<index_t>(indices[q - 1])) +
                       " in row " + std::to_string(i) + " (unsorted or duplicate column)";
        }
    }
    return {};
}

template <class T, class I>
Csr<T, I> csr(const py::array& data, const py::array& indices, const py::array& indptr, index_t n_features) {
    if (!py::isinstance<py::array_t<T>>(data) || !py::isinstance<py::array_t<I>>(indices) ||
        !py::isinstance<py::array_t<I>>(indptr) || data.ndim() != 1 || indices.ndim() != 1 || indptr.ndim() != 1 ||
        !engine_ready(data) || !engine_ready(indices) || !engine_ready(indptr))
        throw py::type_error("CSR arrays must be contiguous, aligned 1-D arrays of matching dtypes");
    if (n_features < 0) throw py::value_error("n_features=" + std::to_string(n_features) + " is negative");
    if (indptr.shape(0) < 1) throw py::value_error("CSR indptr of shape " + shape_of(indptr) + " is empty");
    if (indices.shape(0) != data.shape(0))
        throw py::value_error("CSR indices of shape " + shape_of(indices) + " and data of shape " +
                              shape_of(data) + " differ in length");
    Csr<T, I> out;
    out.view = qm::CsrView<T, I>{static_cast<const T*>(data.data()), static_cast<const I*>(indices.data()),
                                 static_cast<const I*>(indptr.data()), indptr.shape(0) - 1, n_features};
    const index_t nnz = data.shape(0);
    std::string defect;
    without_gil([&] { defect = csr_defect(out.view.indices, out.view.indptr, out.view.n, n_features, nnz); });
    if (!defect.empty())
        throw py::value_error("invalid CSR arrays for shape " + shape_of(out.view.n, n_features) + ": " + defect);
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
    check_centers(c, x.n, x.d, "centers");
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
