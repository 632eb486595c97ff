// Listing the samples a bounds test marked. Static and free of std:: templates, like
// bound_rounding.hpp, so the per-ISA kernel files can use it too.
#pragma once

#include <cstdint>

#include "quickmeans/common.hpp"

namespace quickmeans {

// first + r for each of the m samples r marked 1 (the others 0) in `marked`, in order, in
// rows; returns how many. Eight samples at a time are skipped when none is marked (most,
// once labels settle); else listed branch-free (which samples fail is then close to random).
static inline index_t list_marked(const unsigned char* __restrict marked, index_t m, index_t first,
                                  index_t* __restrict rows) {
    index_t count = 0, r = 0;
    for (; r + 8 <= m; r += 8) {
        std::uint64_t any;
        __builtin_memcpy(&any, marked + r, 8);
        if (any == 0) continue;
        for (index_t q = r; q < r + 8; ++q) {
            rows[count] = first + q;
            count += marked[q];
        }
    }
    for (; r < m; ++r) {
        rows[count] = first + r;
        count += marked[r];
    }
    return count;
}

}  // namespace quickmeans
