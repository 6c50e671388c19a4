#pragma once
// What the allocator really holds for a heap block, so that memory metrics count
// what the process's resident memory grows by, not only the bytes asked for
// (issue 15: sketches of a few hundred bytes each cost a chunk header and the
// rounding on top).

#include <algorithm>
#include <cstddef>

namespace lle::core {

// glibc malloc's chunk for a request of n bytes (x86_64: the request plus an
// 8-byte header, rounded up to 16, at least 32); 0 when nothing is allocated.
constexpr std::size_t heap_bytes(std::size_t n) {
  return n == 0 ? 0 : std::max<std::size_t>(32, (n + 8 + 15) & ~std::size_t{15});
}

}  // namespace lle::core
