// Spherical k-means steps with Hamerly's bounds, kept from one step to the next.
//
// For unit-norm centers the center nearest in Euclidean distance is the one of maximum
// cosine, whatever the norm of the row, so Hamerly's bounds (triangle inequality on the
// raw rows) decide the spherical assignment exactly as Lloyd's scan would. The caller
// (python/quickmeans/_spherical_step.py) owns the iteration: it normalises the sums into
// the next centers, relocates empty clusters and decides when to stop; each step here
// loosens the bounds by how far the centers moved since the last step (any move: a
// relocated center too), reassigns the rows they no longer decide, and sums every row
// with the given weights (w / |x|: the sums of the normalised rows).
#pragma once

#include <algorithm>
#include <vector>

#include "quickmeans/centers.hpp"
#include "quickmeans/common.hpp"
#include "quickmeans/hamerly.hpp"
#include "quickmeans/moving_sums.hpp"
#include "quickmeans/parallel.hpp"

namespace quickmeans {

// What the steps of a fit keep and hand out after each step, dense or sparse rows alike:
// the labels of n rows and the per-cluster sums (k x d) and weights.
class StepOutputs {
public:
    StepOutputs(index_t n, index_t k, index_t d)
        : n_(n), k_(k), d_(d), sums_(n, k, d), labels_(static_cast<size_t>(n), label_t(-1)) {}

    const label_t* labels() const { return labels_.data(); }
    double* sums() { return sums_.sums(); }
    double* weights() { return sums_.weights(); }
    index_t n() const { return n_; }
    index_t d() const { return d_; }
    index_t k() const { return k_; }

protected:
    index_t n_, k_, d_;
    ClusterSums sums_;
    std::vector<label_t> labels_;
};

template <class T>
class SphericalSteps : public StepOutputs {
public:
    SphericalSteps(const DenseView<T>& x, const double* sample_weight, index_t k, int n_threads)
        : StepOutputs(x.n, k, x.d), x_(x), w_(sample_weight), threads_(n_threads), bounds_(x, k, n_threads),
          centers_(static_cast<size_t>(k * x.d)), moves_(static_cast<size_t>(sums_.slots().parts)) {}

    // One step against `centers` (k x d, unit rows): labels, then sums and weights.
    // Returns how many labels changed (all n on the first step).
    index_t step(const T* centers) {
        const bool first = !started_;
        if (!first) bounds_.move_centers(centers_.data(), centers, labels_.data(), threads_);
        std::copy(centers, centers + k_ * x_.d, centers_.begin());
        bounds_.set_centers(centers_.data(), threads_);
        const RangeSplit& slots = sums_.slots();
        std::vector<index_t> changed(static_cast<size_t>(slots.parts), 0);
        parallel_for(slots.parts, threads_, [&](index_t s) {
            Moves& moves = moves_[static_cast<size_t>(s)];
            moves.clear();
            sums_.clear_slot(s);
            if (first) bounds_.init_rows(slots.begin(s), slots.end(s), labels_.data());
            else bounds_.assign_rows(slots.begin(s), slots.end(s), labels_.data(), moves);
            changed[static_cast<size_t>(s)] = static_cast<index_t>(moves.rows.size());
            sums_.add_rows(s, x_, w_, labels_.data(), slots.begin(s), slots.end(s));
        });
        sums_.reduce(threads_);
        started_ = true;
        if (first) return x_.n;
        index_t total = 0;
        for (index_t c : changed) total += c;
        return total;
    }

private:
    DenseView<T> x_;
    const double* w_;
    int threads_;
    HamerlyBounds<T> bounds_;
    std::vector<T> centers_;
    std::vector<Moves> moves_;
    bool started_ = false;
};

}  // namespace quickmeans
