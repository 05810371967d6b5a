// How gemm_parallel and qgemm_parallel split C over the threads: blocks of rows x whole
// panels, about 64 rows x 4 panels (the A rows stay in L1, the panels in L2).
//
// Fixed 64 x 4 blocks left two threads idle on the small late layers of mobile networks: a
// 7x7 layer (49 rows) of 5 panels made two blocks of 4 and 1 panels, one thread doing 80% of
// the work. So, with more than one thread, blocks are made smaller until there are at least
// two per thread (the pool's stealing evens out the rest): panels first (a block keeps its
// rows' reuse across its panels), then rows (never below two row tiles); and equal in size.
#pragma once

#include <cstddef>

namespace ledge {

struct GemmBlocks {
  size_t rows = 0, panels = 0;              // per block (the last ones may be smaller)
  size_t row_blocks = 0, panel_blocks = 0;  // how many
};

// m rows of C, `panels` panels of columns; `row_tile`: the rows of the kernel's register tile.
inline GemmBlocks gemm_blocks(size_t m, size_t panels, size_t threads, size_t row_tile) {
  const auto div_up = [](size_t a, size_t b) { return (a + b - 1) / b; };
  GemmBlocks b;
  if (m == 0 || panels == 0 || row_tile == 0) return b;
  size_t rows = div_up(64, row_tile) * row_tile, per = 4;
  const auto count = [&] { return div_up(m, rows) * div_up(panels, per); };
  if (threads > 1) {
    while (count() < 2 * threads && per > 1) --per;
    while (count() < 2 * threads && rows > 2 * row_tile) rows -= row_tile;
  }
  // The same numbers of blocks, nearer equal in size: 196 rows as 56+56+56+28, not 64+64+64+4.
  b.row_blocks = div_up(m, rows);
  b.rows = div_up(div_up(m, b.row_blocks), row_tile) * row_tile;
  b.panel_blocks = div_up(panels, per);
  b.panels = div_up(panels, b.panel_blocks);
  return b;
}

}  // namespace ledge
