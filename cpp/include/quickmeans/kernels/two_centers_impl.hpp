// Kernels for exactly two centers: every split of BisectingKMeans, and KMeans(n_clusters=2).
// Included by nearest_impl.hpp (same namespace rules), whose helpers they use.
//
// nearest_two scores rows exactly as nearest_impl does (||c'||^2 - 2 x'.c' in shifted
// coordinates, the same rounding margin and bounds), but for the two centers only, where
// nearest_impl pads them to a tile of four and writes its outcome a lane at a time.
// add_rows_two sums rows into two clusters with the sums held in registers (each row adds
// to its own cluster's accumulators and zero to the other's) where add_rows goes through
// memory, one dependent addition per row.

namespace quickmeans {
namespace QM_KERNEL_NS {

// centers_m2 and norms as for nearest(), k_pad the tile's width (centers 0 and 1 used);
// status is kCertain, or kTwoWay when the other center may be the nearer.
template <class T>
void nearest_two(const T* x, index_t m, index_t d, const T* origin, const T* centers_m2, const T* norms,
                 index_t k_pad, T margin_coef, T max_norm2, label_t* labels, label_t* runner_up,
                 unsigned char* status, T* scratch, T* bounds_sq) {
    typedef typename Lanes<T>::V V;
    typedef typename Lanes<T>::I I;
    typedef typename OutcomeLanes<T>::Labels LabelV;
    typedef typename OutcomeLanes<T>::Status StatusV;
    constexpr int L = Lanes<T>::count;
    constexpr int R = QM_ROW_VECS;
    constexpr index_t G = static_cast<index_t>(L) * R;

    for (index_t g = 0; g < m; g += G) {
        const index_t rows = m - g < G ? m - g : G;
        transpose_group<T, T, R>(x + g * d, rows, d, origin, scratch);
        V xnorm[R], s0[R], s1[R];
        for (int v = 0; v < R; ++v) {
            xnorm[v] = splat<V>(T(0));
            s0[v] = splat<V>(norms[0]);
            s1[v] = splat<V>(norms[1]);
        }
        for (index_t j = 0; j < d; ++j) {
            const T c0 = centers_m2[j * k_pad], c1 = centers_m2[j * k_pad + 1];
            for (int v = 0; v < R; ++v) {
                const V xv = load<V>(scratch + j * G + v * L);
                xnorm[v] += xv * xv;
                s0[v] += xv * c0;
                s1[v] += xv * c1;
            }
        }
        for (int v = 0; v < R; ++v) {
            const V margin = splat<V>(margin_coef) * (splat<V>(T(3) * max_norm2) + xnorm[v]);
            const I one = s1[v] < s0[v];  // strictly lower: ties go to center 0
            const V best = one ? s1[v] : s0[v];
            const V second = one ? s0[v] : s1[v];
            // NaN gaps compare false: such rows are decided exactly.
            const I certain = (second - best) > margin;
            const LabelV label = __builtin_convertvector(-one, LabelV);
            static_assert(kCertain == 0 && kTwoWay == 1, "status from the certainty mask (-1 or 0)");
            const StatusV state = __builtin_convertvector(certain + 1, StatusV);
            const index_t r0 = g + static_cast<index_t>(v) * L;
            const index_t count = rows_in_vector<T>(r0, g + rows);
            if (count == L) {
                store(labels + r0, label);
                store(runner_up + r0, LabelV{} + 1 - label);
                store(status + r0, state);
            } else {
                for (index_t r = 0; r < count; ++r) {
                    labels[r0 + r] = label[r];
                    runner_up[r0 + r] = 1 - label[r];
                    status[r0 + r] = state[r];
                }
            }
            if (bounds_sq) {
                const V upper_sq = best + xnorm[v] + (margin + margin);
                const V lower_sq = second + xnorm[v] - (margin + margin);
                store_bound_pairs<T>(bounds_sq + 2 * r0, upper_sq, lower_sq, count);
            }
        }
    }
}

// Features [j0, j0 + Q * L) of the two clusters' sums over m rows, in Q vectors of doubles
// per cluster for even and for odd rows (independent addition chains that hide their
// latency; Q is a template argument so that every accumulator stays in a register).
template <class T, int Q>
inline __attribute__((always_inline)) void add_two_features(const T* x, index_t m, index_t d, index_t j0,
                                                            const label_t* labels, double* sums) {
    typedef typename Lanes<double>::V V;
    typedef typename Lanes<double>::I I;
    typedef T Narrow __attribute__((vector_size(sizeof(T) * Lanes<double>::count)));
    constexpr index_t L = Lanes<double>::count;
    const V zero = splat<V>(0.0);
    V even0[Q], even1[Q], odd0[Q], odd1[Q];
    for (int q = 0; q < Q; ++q) even0[q] = even1[q] = odd0[q] = odd1[q] = zero;
    index_t r = 0;
    for (; r + 2 <= m; r += 2) {
        const I even_second = splat<I>(labels[r]) != 0;
        const I odd_second = splat<I>(labels[r + 1]) != 0;
        const T* xe = x + r * d + j0;
        for (int q = 0; q < Q; ++q) {
            const V e = __builtin_convertvector(load<Narrow>(xe + q * L), V);
            const V o = __builtin_convertvector(load<Narrow>(xe + d + q * L), V);
            even0[q] += even_second ? zero : e;
            even1[q] += even_second ? e : zero;
            odd0[q] += odd_second ? zero : o;
            odd1[q] += odd_second ? o : zero;
        }
    }
    if (r < m) {  // the last of an odd count, with the even rows
        const I second = splat<I>(labels[r]) != 0;
        for (int q = 0; q < Q; ++q) {
            const V e = __builtin_convertvector(load<Narrow>(x + r * d + j0 + q * L), V);
            even0[q] += second ? zero : e;
            even1[q] += second ? e : zero;
        }
    }
    for (int q = 0; q < Q; ++q) {
        store(sums + j0 + q * L, load<V>(sums + j0 + q * L) + (even0[q] + odd0[q]));
        store(sums + d + j0 + q * L, load<V>(sums + d + j0 + q * L) + (even1[q] + odd1[q]));
    }
}

// add_rows for labels in {0, 1}: sums[label * d + j] += x[j], counts[label] += 1. Even and
// odd rows are summed apart and then added: the same sums as add_rows' to rounding, in an
// order fixed by the rows alone (not by the thread count or the SIMD level).
template <class T>
void add_rows_two(const T* x, index_t m, index_t d, const label_t* labels, double* sums, double* counts) {
    constexpr index_t L = Lanes<double>::count;
    index_t j0 = 0;
    for (; j0 + 2 * L <= d; j0 += 2 * L) add_two_features<T, 2>(x, m, d, j0, labels, sums);
    if (j0 + L <= d) {
        add_two_features<T, 1>(x, m, d, j0, labels, sums);
        j0 += L;
    }
    // The features left over (how many depends on the vector width) are summed in the same
    // order, so that the sums are the same at every SIMD level.
    for (index_t j = j0; j < d; ++j) {
        double even0 = 0.0, even1 = 0.0, odd0 = 0.0, odd1 = 0.0;
        index_t r = 0;
        for (; r + 2 <= m; r += 2) {
            const double e = static_cast<double>(x[r * d + j]), o = static_cast<double>(x[(r + 1) * d + j]);
            if (labels[r]) even1 += e; else even0 += e;
            if (labels[r + 1]) odd1 += o; else odd0 += o;
        }
        if (r < m) {
            const double e = static_cast<double>(x[r * d + j]);
            if (labels[r]) even1 += e; else even0 += e;
        }
        sums[j] += even0 + odd0;
        sums[d + j] += even1 + odd1;
    }
    index_t second = 0;
    for (index_t r = 0; r < m; ++r) second += labels[r] != 0;
    // Counts are whole numbers far below 2^53: adding them at once is exact.
    counts[0] += static_cast<double>(m - second);
    counts[1] += static_cast<double>(second);
}

}  // namespace QM_KERNEL_NS
}  // namespace quickmeans
