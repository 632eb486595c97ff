// Kernels for exactly two centers: every split of BisectingKMeans, and KMeans(n_clusters=2).
// Included by nearest_impl.hpp (same namespace rules), whose helpers they use.
//
// nearest_two scores rows by their differences to the two centers (relative rounding, so no
// origin and no transpose), reading listed rows where they lie: Hamerly's failed rows are
// scored without being gathered.
// add_rows_two sums rows into two clusters with the sums held in registers (each row adds
// to its own cluster's accumulators and zero to the other's) where add_rows goes through
// memory, one dependent addition per row.

namespace quickmeans {
namespace QM_KERNEL_NS {

// The sums of the lanes of L vectors, v[r] summed into lane r: log2(L) rounds that each add
// pairs of vectors lane-pairwise (two shuffles and one addition per pair), halving their
// count. Round h takes, from each 2h lanes of a pair (a, b), the first h of a and of b into
// one vector and the last h into the other.
template <class T>
struct PairwiseSums {
    typedef typename Lanes<T>::V V;
    static constexpr int L = Lanes<T>::count;
    typename Lanes<T>::I first[8], second[8];  // per round; log2(L) <= 8
    PairwiseSums() {
        int round = 0;
        for (int h = 1; h < L; h *= 2, ++round)
            for (int i = 0; i < L; ++i) {
                const int base = i / (2 * h) * (2 * h), pos = i % (2 * h);
                first[round][i] = pos < h ? base + pos : L + base + pos - h;
                second[round][i] = pos < h ? base + h + pos : L + base + pos;
            }
    }
    V operator()(V (&v)[Lanes<T>::count]) const {
        int round = 0;
        for (int count = L; count > 1; count /= 2, ++round)
            for (int i = 0; i < count / 2; ++i)
                v[i] = __builtin_shuffle(v[2 * i], v[2 * i + 1], first[round]) +
                       __builtin_shuffle(v[2 * i], v[2 * i + 1], second[round]);
        return v[0];
    }
};

// The smallest normal number of T: the absolute rounding of a product that underflows.
template <class T>
struct SmallestNormal;
template <>
struct SmallestNormal<float> {
    static constexpr float value = __FLT_MIN__;
};
template <>
struct SmallestNormal<double> {
    static constexpr double value = __DBL_MIN__;
};

// nearest()'s outcome for two centers (row-major at `centers`, 2 x d) and rows of x that are
// either contiguous (listed null) or listed by index (row listed[r] at x + listed[r] * d, read
// where it lies: no gather). A row's squared distances are summed from its differences to
// each center, a row at a time in vectors of features whose lanes are then summed per row
// (no transpose, no origin): every term is positive, so the rounding is relative, at most
// (d + 2) u of each sum (u = eps / 2), below margin_coef * (best + second) for margin_coef
// >= 4 (d + 2) eps, plus (d + 2) times T's smallest normal for underflow. Status is kCertain,
// or kTwoWay when the sums are closer than that (NaN and inf compare false: settled exactly).
template <class T>
void nearest_two(const T* x, const index_t* listed, index_t m, index_t d, const T* centers, T margin_coef,
                 label_t* labels, label_t* runner_up, unsigned char* status, T* bounds_sq) {
    typedef typename Lanes<T>::V V;
    typedef typename Lanes<T>::I I;
    typedef typename OutcomeLanes<T>::Labels LabelV;
    constexpr int L = Lanes<T>::count;
    const PairwiseSums<T> lane_sums;
    const T* c0 = centers;
    const T* c1 = centers + d;
    const index_t whole = d / L * L;  // features in whole vectors; the rest summed as scalars
    const T floor = static_cast<T>(d + 2) * SmallestNormal<T>::value;
    constexpr int Q = L < 4 ? L : 4;  // rows whose sums are accumulated together
    constexpr index_t kAhead = 2 * L;  // listed rows fetched this many rows before they are read
    if (listed)
        for (index_t r = 0; r < kAhead && r < m; ++r) prefetch_row(x + listed[r] * d, d);
    for (index_t g = 0; g < m; g += L) {
        const index_t count = rows_in_vector<T>(g, m);
        if (listed)  // scattered rows: their cache misses overlap only if asked for early
            for (index_t r = g + kAhead; r < g + kAhead + L && r < m; ++r) prefetch_row(x + listed[r] * d, d);
        const T* row[L];
        for (int r = 0; r < L; ++r) {  // a partial group repeats its last row (its lanes unused)
            const index_t i = g + (r < count ? r : count - 1);
            row[r] = x + (listed ? listed[i] : i) * d;
        }
        V sums0[L], sums1[L];
        for (int h = 0; h < L; h += Q) {  // Q rows at a time: their 2 Q sums stay in registers
            V a0[Q], a1[Q];
            for (int q = 0; q < Q; ++q) a0[q] = a1[q] = splat<V>(T(0));
            for (index_t j = 0; j < whole; j += L) {
                const V c0v = load<V>(c0 + j), c1v = load<V>(c1 + j);
                for (int q = 0; q < Q; ++q) {
                    const V xv = load<V>(row[h + q] + j);
                    const V e0 = xv - c0v, e1 = xv - c1v;
                    a0[q] += e0 * e0;
                    a1[q] += e1 * e1;
                }
            }
            for (int q = 0; q < Q; ++q) {
                sums0[h + q] = a0[q];
                sums1[h + q] = a1[q];
            }
        }
        V s0 = lane_sums(sums0), s1 = lane_sums(sums1);
        if (whole < d) {  // features past the last whole vector, a row at a time
            T rest0[L], rest1[L];
            for (int r = 0; r < L; ++r) {
                T t0 = T(0), t1 = T(0);
                for (index_t j = whole; j < d; ++j) {
                    const T e0 = row[r][j] - c0[j], e1 = row[r][j] - c1[j];
                    t0 += e0 * e0;
                    t1 += e1 * e1;
                }
                rest0[r] = t0;
                rest1[r] = t1;
            }
            s0 += load<V>(rest0);
            s1 += load<V>(rest1);
        }
        const I one = s1 < s0;  // strictly lower: ties go to center 0
        const V best = one ? s1 : s0;
        const V second = one ? s0 : s1;
        const V margin = splat<V>(margin_coef) * (best + second) + floor;
        const I certain = (second - best) > margin;
        const LabelV label = __builtin_convertvector(-one, LabelV);
        static_assert(kCertain == 0 && kTwoWay == 1, "status from the certainty mask (-1 or 0)");
        const I state = certain + 1;
        if (count == L) {
            store(labels + g, label);
            store(runner_up + g, LabelV{} + 1 - label);
            store_low_bytes<T>(status + g, state);
        } else {
            for (index_t r = 0; r < count; ++r) {
                labels[g + r] = label[r];
                runner_up[g + r] = 1 - label[r];
                status[g + r] = static_cast<unsigned char>(state[r]);
            }
        }
        if (bounds_sq) store_bound_pairs<T>(bounds_sq + 2 * g, best + margin, second - margin, count);
    }
}

// Features [j0, j0 + Q * L) of the two clusters' sums over m rows, in Q vectors of doubles
// per cluster (Q a template argument, so that every accumulator stays in a register): each
// row adds to its own cluster's accumulators and zero to the other's.
template <class T, int Q>
inline __attribute__((always_inline)) void add_two_features(const T* x, index_t m, index_t d, index_t j0,
                                                            const label_t* labels, double* sums) {
    typedef typename Lanes<double>::V V;
    typedef typename Lanes<double>::I I;
    constexpr index_t L = Lanes<double>::count;
    const V zero = splat<V>(0.0);
    V sum0[Q], sum1[Q];
    for (int q = 0; q < Q; ++q) sum0[q] = sum1[q] = zero;
    for (index_t r = 0; r < m; ++r) {
        const I second = splat<I>(labels[r]) != 0;
        const T* xr = x + r * d + j0;
        for (int q = 0; q < Q; ++q) {
            const V v = widened(xr + q * L);
            sum0[q] += second ? zero : v;
            sum1[q] += second ? v : zero;
        }
    }
    for (int q = 0; q < Q; ++q) {
        store(sums + j0 + q * L, load<V>(sums + j0 + q * L) + sum0[q]);
        store(sums + d + j0 + q * L, load<V>(sums + d + j0 + q * L) + sum1[q]);
    }
}

// add_rows for labels in {0, 1}: sums[label * d + j] += x[j], counts[label] += 1. Each
// feature's sums add the rows in order (as add_rows does), whatever the vector width, so
// the sums are the same at every SIMD level; up to 4 vectors of features per pass over the
// rows, their 8 accumulators in registers.
template <class T>
void add_rows_two(const T* x, index_t m, index_t d, const label_t* labels, double* sums, double* counts) {
    constexpr index_t L = Lanes<double>::count;
    index_t j0 = 0;
    for (; j0 + 4 * L <= d; j0 += 4 * L) add_two_features<T, 4>(x, m, d, j0, labels, sums);
    if (j0 + 2 * L <= d) {
        add_two_features<T, 2>(x, m, d, j0, labels, sums);
        j0 += 2 * L;
    }
    if (j0 + L <= d) {
        add_two_features<T, 1>(x, m, d, j0, labels, sums);
        j0 += L;
    }
    for (index_t j = j0; j < d; ++j) {  // the features left over (how many: the vector width)
        double sum0 = 0.0, sum1 = 0.0;
        for (index_t r = 0; r < m; ++r) {
            const double v = static_cast<double>(x[r * d + j]);
            if (labels[r]) sum1 += v; else sum0 += v;
        }
        sums[j] += sum0;
        sums[d + j] += sum1;
    }
    index_t second = 0;
    for (index_t r = 0; r < m; ++r) second += labels[r] != 0;
    // Counts are whole numbers far below 2^53: adding them at once is exact.
    counts[0] += static_cast<double>(m - second);
    counts[1] += static_cast<double>(second);
}

}  // namespace QM_KERNEL_NS
}  // namespace quickmeans
