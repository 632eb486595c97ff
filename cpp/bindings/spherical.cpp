// Spherical k-means steps that keep their state between calls: with bounds on dense rows
// (quickmeans/spherical.hpp), as the classes SphericalSteps32 / SphericalSteps64 (X float32
// / float64); on CSR rows (quickmeans/spherical_csr.hpp), as SphericalStepsCsr, for any of
// its data and index dtypes.
#include <memory>

#include "common.hpp"

#include "quickmeans/spherical.hpp"
#include "quickmeans/spherical_csr.hpp"

namespace quickmeans_bindings {
namespace {

// One step of `steps` (either engine class) against `centers` (k x d in the rows' dtype T):
// (labels, sums k x d float64, weights k float64, labels changed).
template <class T, class Steps>
py::tuple run_step(Steps& steps, const py::array& centers) {
    const auto c = dense<T>(centers, "centers");
    check_centers(c, steps.n(), steps.d(), "centers");
    if (c.n != steps.k())
        throw py::value_error("centers of shape " + shape_of(c.n, c.d) + " but the steps were made for " +
                              std::to_string(steps.k()) + " clusters");
    index_t changed = 0;
    without_gil([&] { changed = steps.step(c.data); });
    const index_t n = steps.n(), k = steps.k(), d = steps.d();
    py::array_t<qm::label_t> labels(n);
    std::copy(steps.labels(), steps.labels() + n, labels.mutable_data());
    py::array_t<double> sums({k, d});
    std::copy(steps.sums(), steps.sums() + k * d, sums.mutable_data());
    py::array_t<double> totals(k);
    std::copy(steps.weights(), steps.weights() + k, totals.mutable_data());
    return py::make_tuple(labels, sums, totals, changed);
}

template <class T>
class PySphericalSteps {
public:
    // X and the weights are kept referenced: the engine reads them at every step.
    PySphericalSteps(const py::array& X, const py::object& sample_weight, std::int64_t n_clusters,
                     std::int64_t n_threads)
        : X_(X), weights_(sample_weight) {
        const auto x = dense<T>(X, "X");
        check_cluster_count(static_cast<index_t>(n_clusters), x.n, x.d);
        const double* w = weights(sample_weight, x.n, x.d);
        steps_ = std::make_unique<qm::SphericalSteps<T>>(x, w, static_cast<index_t>(n_clusters),
                                                         capped_threads(n_threads));
    }

    py::tuple step(const py::array& centers) { return run_step<T>(*steps_, centers); }

private:
    py::array X_;
    py::object weights_;
    std::unique_ptr<qm::SphericalSteps<T>> steps_;
};

template <class T>
void register_steps(py::module_& m, const char* name) {
    py::class_<PySphericalSteps<T>>(m, name)
        .def(py::init<const py::array&, const py::object&, std::int64_t, std::int64_t>(), py::arg("X"),
             py::arg("sample_weight"), py::arg("n_clusters"), py::arg("n_threads"))
        .def("step", &PySphericalSteps<T>::step, py::arg("centers"));
}

// The CSR steps of one data and index dtype, behind SparseSteps (the Python class is one
// for all four).
class SparseSteps {
public:
    virtual ~SparseSteps() = default;
    virtual py::tuple step(const py::array& centers) = 0;
};

template <class T, class I>
class TypedSparseSteps : public SparseSteps {
public:
    // Validated and normed once; the norms live here, beside the steps that read them.
    TypedSparseSteps(const py::array& data, const py::array& indices, const py::array& indptr, index_t n_features,
                     const py::object& sample_weight, index_t k, int n_threads)
        : x_(csr<T, I>(data, indices, indptr, n_features)) {
        const double* w = weights(sample_weight, x_.view.n, x_.view.d);
        check_cluster_count(k, x_.view.n, x_.view.d);
        without_gil([&] { with_norms(x_, n_threads); });
        steps_ = std::make_unique<qm::SparseSphericalSteps<T, I>>(x_.view, w, k, n_threads);
    }

    py::tuple step(const py::array& centers) override { return run_step<T>(*steps_, centers); }

private:
    Csr<T, I> x_;
    std::unique_ptr<qm::SparseSphericalSteps<T, I>> steps_;
};

class PySparseSphericalSteps {
public:
    // The arrays and the weights are kept referenced: the engine reads them at every step.
    PySparseSphericalSteps(const py::array& data, const py::array& indices, const py::array& indptr,
                           index_t n_features, const py::object& sample_weight, std::int64_t n_clusters,
                           std::int64_t n_threads)
        : data_(data), indices_(indices), indptr_(indptr), weights_(sample_weight) {
        const int threads = capped_threads(n_threads);
        const index_t k = static_cast<index_t>(n_clusters);
        steps_ = dispatch_csr(data, indices, [&](auto* t, auto* i) -> std::unique_ptr<SparseSteps> {
            using T = std::remove_pointer_t<decltype(t)>;
            using I = std::remove_pointer_t<decltype(i)>;
            return std::make_unique<TypedSparseSteps<T, I>>(data, indices, indptr, n_features, sample_weight, k,
                                                            threads);
        });
    }

    py::tuple step(const py::array& centers) { return steps_->step(centers); }

private:
    py::array data_, indices_, indptr_;
    py::object weights_;
    std::unique_ptr<SparseSteps> steps_;
};

}  // namespace

void register_spherical(py::module_& m) {
    register_steps<float>(m, "SphericalSteps32");
    register_steps<double>(m, "SphericalSteps64");
    py::class_<PySparseSphericalSteps>(m, "SphericalStepsCsr")
        .def(py::init<const py::array&, const py::array&, const py::array&, index_t, const py::object&,
                      std::int64_t, std::int64_t>(),
             py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_features"),
             py::arg("sample_weight"), py::arg("n_clusters"), py::arg("n_threads"))
        .def("step", &PySparseSphericalSteps::step, py::arg("centers"));
}

}  // namespace quickmeans_bindings
