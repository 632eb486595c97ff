// Bit scanning for the engine's row bitmaps.
#pragma once

#include <cstdint>

#include "quickmeans/common.hpp"

namespace quickmeans {

// Index of the lowest set bit of a non-zero word.
inline index_t lowest_bit(std::uint64_t word) {
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctzll(word);
#else
    index_t i = 0;
    for (; !(word & 1); word >>= 1) ++i;
    return i;
#endif
}

}  // namespace quickmeans
