// Shared vocabulary of the engine: index types, matrix views, run control.
// Nothing here knows about Python.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>

namespace quickmeans {

// All index arithmetic is 64-bit: n * d passes 2^31 on big data.
using index_t = std::ptrdiff_t;
using label_t = std::int32_t;

// Read-only view of a C-contiguous n x d matrix.
template <class T>
struct DenseView {
    const T* data;
    index_t n;
    index_t d;
    const T* row(index_t i) const { return data + i * d; }
};

// Thrown between iterations when the caller asks the engine to stop.
struct Interrupted : std::exception {
    const char* what() const noexcept override { return "k-means interrupted"; }
};

// How a caller steers a long computation: thread count, a stop request checked
// between iterations, and an optional per-iteration report (verbose output).
struct RunControl {
    int n_threads = 1;
    std::function<bool()> stop_requested;
    std::function<void(int iteration, double inertia)> on_iteration;
    // Whether the fit ends with the inertia pass over X; without it FitSummary::inertia is
    // NaN (BisectingKMeans sums each side's inertia in the pass that places its rows).
    bool final_inertia = true;

    void check_stop() const {
        if (stop_requested && stop_requested()) throw Interrupted();
    }
};

// What a fit returns besides the centers and labels it writes in place.
struct FitSummary {
    double inertia = 0.0;  // NaN unless RunControl::final_inertia
    int n_iter = 0;
};

inline double weight_of(const double* sample_weight, index_t i) {
    return sample_weight ? sample_weight[i] : 1.0;
}

}  // namespace quickmeans
