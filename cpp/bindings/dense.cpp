// Dense X: fit, predict, transform, inertia, the map side of a Lloyd step (assign_sums) and
// the split of a cluster's rows (partition_order, take_rows, split_rows).
#include "common.hpp"

#include "quickmeans/elkan.hpp"
#include "quickmeans/hamerly.hpp"
#include "quickmeans/transform.hpp"

namespace quickmeans_bindings {
namespace {

template <class T>
py::tuple fit_typed(const py::array& X, const py::object& sample_weight, const py::array& init,
                    const std::string& algorithm, std::int64_t max_iter_requested, double tol,
                    std::int64_t n_threads, const py::object& on_iteration, bool final_inertia) {
    const auto x = dense<T>(X, "X");
    const auto c0 = dense<T>(init, "init");
    check_centers(c0, x.n, x.d, "init");
    const index_t k = c0.n;
    check_cluster_count(k, x.n, x.d);
    const int max_iter = iteration_cap(max_iter_requested);
    const double* w = weights(sample_weight, x.n, x.d);
    py::array_t<T> centers({k, x.d});
    std::copy(c0.data, c0.data + k * x.d, centers.mutable_data());
    py::array_t<qm::label_t> labels(x.n);
    qm::FitSummary summary;
    qm::RunControl rc = control(n_threads, on_iteration);
    rc.final_inertia = final_inertia;
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

// (labels, number of rows holding NaN or inf).
template <class T>
py::tuple predict_typed(const py::array& X, const py::array& centers, std::int64_t n_threads_requested) {
    const auto x = dense<T>(X, "X");
    const auto c = dense<T>(centers, "centers");
    check_centers(c, x.n, x.d, "centers");
    const int n_threads = capped_threads(n_threads_requested);
    py::array_t<qm::label_t> labels(x.n);
    qm::label_t* lp = labels.mutable_data();
    index_t nonfinite = 0;
    without_gil([&] { nonfinite = qm::assign_labels(x, c.data, c.n, lp, n_threads); });
    return py::make_tuple(labels, nonfinite);
}

template <class T>
double inertia_typed(const py::array& X, const py::object& sample_weight, const py::array& centers,
                     const py::array_t<qm::label_t, py::array::c_style>& labels,
                     std::int64_t n_threads_requested) {
    const auto x = dense<T>(X, "X");
    const auto c = dense<T>(centers, "centers");
    check_centers(c, x.n, x.d, "centers");
    const double* w = weights(sample_weight, x.n, x.d);
    const qm::label_t* lp = checked_labels(labels, x.n, x.d, c.n);
    const int n_threads = capped_threads(n_threads_requested);
    double result = 0.0;
    without_gil([&] { result = qm::inertia(x, w, c.data, lp, n_threads); });
    return result;
}

template <class T>
py::tuple assign_sums_typed(const py::array& X, const py::object& sample_weight, const py::array& centers,
                            std::int64_t n_threads) {
    const auto x = dense<T>(X, "X");
    return assign_sums_view(x, weights(sample_weight, x.n, x.d), dense<T>(centers, "centers"),
                            capped_threads(n_threads), [] {});
}

template <class T>
py::array transform_typed(const py::array& X, const py::array& centers, std::int64_t n_threads_requested) {
    const auto x = dense<T>(X, "X");
    const auto c = dense<T>(centers, "centers");
    check_centers(c, x.n, x.d, "centers");
    const int n_threads = capped_threads(n_threads_requested);
    py::array_t<T> out({x.n, c.n});
    T* op = out.mutable_data();
    without_gil([&] { qm::center_distances(x, c.data, c.n, op, n_threads); });
    return out;
}

// Row indices for the engine: 1-D, each in [0, n) of X's rows.
const index_t* checked_rows(const py::array_t<std::int64_t, py::array::c_style>& index, index_t n, index_t d) {
    if (index.ndim() != 1) throw py::value_error("index must be 1-D, got shape " + shape_of(index));
    const std::int64_t* ip = index.data();
    for (index_t q = 0; q < index.shape(0); ++q)
        if (ip[q] < 0 || ip[q] >= n)
            throw py::index_error("index " + std::to_string(ip[q]) + " is out of bounds for X of shape " +
                                  shape_of(n, d));
    static_assert(sizeof(std::int64_t) == sizeof(index_t), "row indices are passed as index_t");
    return reinterpret_cast<const index_t*>(ip);
}

// `out` as the destination of `count` rows of x: its shape, dtype and layout, writeable, and
// apart from X.
template <class T>
T* rows_out(const py::array& out, index_t count, const qm::DenseView<T>& x) {
    const auto o = dense<T>(out, "out");
    if (o.n != count || o.d != x.d)
        throw py::value_error("out of shape " + shape_of(o.n, o.d) + " cannot hold " + std::to_string(count) +
                              " rows of X of shape " + shape_of(x.n, x.d));
    if (!out.writeable()) throw py::value_error("out is read-only");
    const char* begin = static_cast<const char*>(out.data());
    const char* xb = reinterpret_cast<const char*>(x.data);
    const auto bytes = static_cast<size_t>(sizeof(T)) * static_cast<size_t>(count * x.d);
    if (begin < xb + sizeof(T) * static_cast<size_t>(x.n * x.d) && xb < begin + bytes)
        throw py::value_error("out overlaps X");
    return static_cast<T*>(py::array(out).mutable_data());
}

// X[index] as a new C-contiguous array, or into `out` (every index checked against X's rows,
// out's shape, dtype and layout against what is written).
template <class T>
py::array take_rows_typed(const py::array& X, const py::array_t<std::int64_t, py::array::c_style>& index,
                          std::int64_t n_threads_requested, const py::object& out) {
    const auto x = dense<T>(X, "X");
    const index_t* rows = checked_rows(index, x.n, x.d);
    const index_t count = index.shape(0);
    py::array result;
    T* op = nullptr;
    if (out.is_none()) {
        result = py::array_t<T>({count, x.d});
        op = static_cast<T*>(result.mutable_data());
    } else {
        result = py::reinterpret_borrow<py::array>(out);
        op = rows_out<T>(result, count, x);
    }
    const int n_threads = capped_threads(n_threads_requested);
    without_gil([&] { qm::take_rows(x, rows, count, op, n_threads); });
    return result;
}

// A split's children in one pass: X's rows of label 0 copied to out first, then the others
// (each side in X's order). Returns (order, left, inertia of side 0 to centers[0], of side 1
// to centers[1]), order and left as partition_order's, or index[order] when index is given.
template <class T>
py::tuple split_rows_typed(const py::array& X, const py::object& sample_weight, const py::array& centers,
                           const py::array_t<qm::label_t, py::array::c_style>& labels, std::int64_t n_threads_requested,
                           const py::array& out, const py::object& index) {
    const auto x = dense<T>(X, "X");
    const auto c = dense<T>(centers, "centers");
    check_centers(c, x.n, x.d, "centers");
    if (c.n != 2) throw py::value_error("centers of shape " + shape_of(c.n, c.d) + ": a split has 2 centers");
    const double* w = weights(sample_weight, x.n, x.d);
    const qm::label_t* lp = checked_labels(labels, x.n, x.d, 2);  // every write position follows from them
    T* op = rows_out<T>(out, x.n, x);
    const index_t* ip = nullptr;  // only copied into the result: its length is all that matters
    py::array_t<std::int64_t, py::array::c_style | py::array::forcecast> index_array;
    if (!index.is_none()) {
        index_array = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(index);
        if (!index_array || index_array.ndim() != 1 || index_array.shape(0) != x.n)
            throw py::value_error("index must be 1-D with one entry per row of X of shape " + shape_of(x.n, x.d));
        ip = reinterpret_cast<const index_t*>(index_array.data());
    }
    const int n_threads = capped_threads(n_threads_requested);
    py::array_t<std::int64_t> order(x.n);
    auto* ordp = reinterpret_cast<index_t*>(order.mutable_data());
    double sides[2] = {0.0, 0.0};
    index_t left = 0;
    without_gil([&] { left = qm::split_rows(x, w, c.data, lp, ip, ordp, op, sides, n_threads); });
    return py::make_tuple(order, left, sides[0], sides[1]);
}

// (order, left): 0..m-1 with the label-0 rows first, each side in increasing order.
py::tuple partition_order(const py::array_t<qm::label_t, py::array::c_style>& labels) {
    if (labels.ndim() != 1) throw py::value_error("labels must be 1-D, got shape " + shape_of(labels));
    const index_t m = labels.shape(0);
    py::array_t<std::int64_t> order(m);
    const qm::label_t* lp = labels.data();
    auto* op = reinterpret_cast<index_t*>(order.mutable_data());
    index_t left = 0;
    without_gil([&] { left = qm::partition_order(lp, m, op); });
    return py::make_tuple(order, left);
}

}  // namespace

void register_dense(py::module_& m) {
    m.def("fit", [](const py::array& X, const py::object& sample_weight, const py::array& init,
                    const std::string& algorithm, std::int64_t max_iter, double tol, std::int64_t n_threads,
                    const py::object& on_iteration, bool final_inertia) -> py::tuple {
        QM_DISPATCH(X, fit_typed<float>(X, sample_weight, init, algorithm, max_iter, tol, n_threads, on_iteration,
                                        final_inertia),
                    fit_typed<double>(X, sample_weight, init, algorithm, max_iter, tol, n_threads, on_iteration,
                                      final_inertia));
    }, py::arg("X"), py::arg("sample_weight"), py::arg("init"), py::arg("algorithm"), py::arg("max_iter"),
       py::arg("tol"), py::arg("n_threads"), py::arg("on_iteration") = py::none(), py::arg("final_inertia") = true);

    m.def("predict", [](const py::array& X, const py::array& centers, std::int64_t n_threads) -> py::tuple {
        QM_DISPATCH(X, predict_typed<float>(X, centers, n_threads), predict_typed<double>(X, centers, n_threads));
    }, py::arg("X"), py::arg("centers"), py::arg("n_threads"));

    m.def("inertia", [](const py::array& X, const py::object& sample_weight, const py::array& centers,
                        const py::array_t<qm::label_t, py::array::c_style>& labels, std::int64_t n_threads) -> double {
        QM_DISPATCH(X, inertia_typed<float>(X, sample_weight, centers, labels, n_threads),
                    inertia_typed<double>(X, sample_weight, centers, labels, n_threads));
    }, py::arg("X"), py::arg("sample_weight"), py::arg("centers"), py::arg("labels"), py::arg("n_threads"));

    m.def("assign_sums", [](const py::array& X, const py::object& sample_weight, const py::array& centers,
                            std::int64_t n_threads) -> py::tuple {
        QM_DISPATCH(X, assign_sums_typed<float>(X, sample_weight, centers, n_threads),
                    assign_sums_typed<double>(X, sample_weight, centers, n_threads));
    }, py::arg("X"), py::arg("sample_weight"), py::arg("centers"), py::arg("n_threads"));

    m.def("take_rows", [](const py::array& X, const py::array_t<std::int64_t, py::array::c_style>& index,
                          std::int64_t n_threads, const py::object& out) -> py::array {
        QM_DISPATCH(X, take_rows_typed<float>(X, index, n_threads, out),
                    take_rows_typed<double>(X, index, n_threads, out));
    }, py::arg("X"), py::arg("index"), py::arg("n_threads"), py::arg("out") = py::none());

    m.def("partition_order", &partition_order, py::arg("labels"));

    m.def("split_rows", [](const py::array& X, const py::object& sample_weight, const py::array& centers,
                           const py::array_t<qm::label_t, py::array::c_style>& labels, std::int64_t n_threads,
                           const py::array& out, const py::object& index) -> py::tuple {
        QM_DISPATCH(X, split_rows_typed<float>(X, sample_weight, centers, labels, n_threads, out, index),
                    split_rows_typed<double>(X, sample_weight, centers, labels, n_threads, out, index));
    }, py::arg("X"), py::arg("sample_weight"), py::arg("centers"), py::arg("labels"), py::arg("n_threads"),
       py::arg("out"), py::arg("index") = py::none());

    m.def("transform", [](const py::array& X, const py::array& centers, std::int64_t n_threads) -> py::array {
        QM_DISPATCH(X, transform_typed<float>(X, centers, n_threads), transform_typed<double>(X, centers, n_threads));
    }, py::arg("X"), py::arg("centers"), py::arg("n_threads"));
}

}  // namespace quickmeans_bindings
