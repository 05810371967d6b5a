// ledge's own float matrix product, C = A · B, for kernels whose weights ledge packs itself
// (the Winograd convolution). B is packed once into panels of 32 columns; the microkernels
// keep a tile of C in registers (AVX-512: 8 rows x 32 columns, AVX2: 6 x 16) while they
// stream A and B. On this project's reference machine it runs about 1.3x faster than
// XNNPACK's fully connected operator on the small, skinny products Winograd produces
// (docs/benchmarks.md). The plain C++ path is the reference and the aarch64 build.
#pragma once

#include <cstddef>
#include <limits>
#include <vector>

struct pthreadpool;

namespace ledge {

inline constexpr size_t kGemmPanel = 32;  // columns of B per packed panel

// Floats of a packed B with k rows and n columns: n rounded up to whole panels.
size_t gemm_packed_size(size_t k, size_t n);

// Index in the packed B of element (row p, column j).
inline size_t gemm_packed_index(size_t k, size_t p, size_t j) {
  return (j / kGemmPanel) * k * kGemmPanel + p * kGemmPanel + j % kGemmPanel;
}

// Packs B given by its columns: w holds n rows of k values (row j is column j of B, as
// weights are stored one row per output). Columns past n in `packed` (gemm_packed_size(k, n)
// floats) are left as they are: zero them first. Works in tiles of 32 columns x 16 depths, so
// that the rows read and the panel written stay in the L1 cache (an element-by-element loop
// took 7.5 ms for a 512x4608 layer, every write a new cache line).
void gemm_pack_columns(const float* w, size_t n, size_t k, float* packed);

// What happens to each result before it is stored: plus bias[j] (when given), then
// clamped to [min, max] (a fused Relu or Relu6), then with hard_swish x · clamp(x/6 + 1/2, 0, 1).
struct GemmEpilogue {
  const float* bias = nullptr;  // n values, or null
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
  bool hard_swish = false;
};

// C[i, j] = epilogue(sum_p A[i, p] * B[p, j]) for i < m, j < n. A has row stride lda, C
// ldc (in floats); packed_b comes from gemm_packed_index layout, 64-byte aligned, zero in
// the columns past n. C is overwritten; columns past n are not touched.
void gemm(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* packed_b, float* c,
          size_t ldc, const GemmEpilogue& epilogue = {});

// The same product split over the pool's threads (in blocks of rows and panels); null
// pool: on the calling thread.
void gemm_parallel(pthreadpool* pool, size_t m, size_t n, size_t k, const float* a, size_t lda,
                   const float* packed_b, float* c, size_t ldc, const GemmEpilogue& epilogue);

// The portable path gemm() falls back to; tests compare the vector paths against it.
void gemm_reference(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* packed_b,
                    float* c, size_t ldc, const GemmEpilogue& epilogue);

// Every path this CPU can run, best first (gemm() uses the first).
struct GemmPath {
  const char* name;
  void (*fn)(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* packed_b,
             float* c, size_t ldc, const GemmEpilogue& epilogue);
};
std::vector<GemmPath> gemm_paths();

}  // namespace ledge
