// Spherical k-means steps with bounds kept between calls (quickmeans/spherical.hpp), as
// the classes SphericalSteps32 / SphericalSteps64 (X float32 / float64).
#include <memory>

#include "common.hpp"

#include "quickmeans/spherical.hpp"

namespace quickmeans_bindings {
namespace {

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

    // (labels, sums k x d float64, weights k float64, labels changed).
    py::tuple step(const py::array& centers) {
        const auto c = dense<T>(centers, "centers");
        check_centers(c, steps_->n(), steps_->d(), "centers");
        if (c.n != steps_->k())
            throw py::value_error("centers of shape " + shape_of(c.n, c.d) + " but the steps were made for " +
                                  std::to_string(steps_->k()) + " clusters");
        index_t changed = 0;
        without_gil([&] { changed = steps_->step(c.data); });
        const index_t n = steps_->n(), k = steps_->k(), d = steps_->d();
        py::array_t<qm::label_t> labels(n);
        std::copy(steps_->labels(), steps_->labels() + n, labels.mutable_data());
        py::array_t<double> sums({k, d});
        std::copy(steps_->sums(), steps_->sums() + k * d, sums.mutable_data());
        py::array_t<double> totals(k);
        std::copy(steps_->weights(), steps_->weights() + k, totals.mutable_data());
        return py::make_tuple(labels, sums, totals, changed);
    }

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

}  // namespace

void register_spherical(py::module_& m) {
    register_steps<float>(m, "SphericalSteps32");
    register_steps<double>(m, "SphericalSteps64");
}

}  // namespace quickmeans_bindings
