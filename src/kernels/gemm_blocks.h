// How gemm_parallel and qgemm_parallel split C over the threads: blocks of rows x whole
// panels, about 64 rows x 4 panels (the A rows stay in L1, the panels in L2).
//
// Blocks are handed out in turn, so the thread that gets the most work sets the time. With
// more than one thread the split is chosen to make that share smallest: fixed 64 x 4 blocks
// left one thread with 80% of a 7x7 layer (49 rows) of 5 panels, and blocks of 3 panels of a
// 10-panel layer (mobilenet_v2's 960-to-320 projections at 7x7) gave one thread 6 panels and
// the other 4, where two blocks of 5 split it evenly. Rows stay whole row tiles, at least two
// per block (fewer lose the reuse of the panels), and at most 8 panels make a block.
#pragma once

#include <cstddef>
#include <initializer_list>

namespace ledge {

struct GemmBlocks {
  size_t rows = 0, panels = 0;              // per block (the last ones may be smaller)
  size_t row_blocks = 0, panel_blocks = 0;  // how many
};

namespace gemm_detail {

inline size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }

// Blocks of at most `tiles_per_block` row tiles and `per` panels, as many as that needs and
// then as equal in size as whole tiles allow: 196 rows in blocks of 8 tiles are 4 blocks of
// 56 rows (the last 28), not 64+64+64+4.
inline GemmBlocks shape(size_t m, size_t panels, size_t row_tile, size_t tiles_per_block,
                        size_t per) {
  const size_t tiles = div_up(m, row_tile);
  GemmBlocks b;
  b.row_blocks = div_up(tiles, tiles_per_block);
  b.rows = div_up(tiles, b.row_blocks) * row_tile;
  b.row_blocks = div_up(m, b.rows);
  b.panel_blocks = div_up(panels, per);
  b.panels = div_up(panels, b.panel_blocks);
  b.panel_blocks = div_up(panels, b.panels);
  return b;
}

// The most loaded thread's work, in row tiles x panels, when the blocks go out in turn
// (counting every block as a full one: an upper bound).
inline size_t busiest_share(const GemmBlocks& b, size_t threads, size_t row_tile) {
  return div_up(b.row_blocks * b.panel_blocks, threads) * (b.rows / row_tile) * b.panels;
}

}  // namespace gemm_detail

// m rows of C, `panels` panels of columns; `row_tile`: the rows of the kernel's register tile.
inline GemmBlocks gemm_blocks(size_t m, size_t panels, size_t threads, size_t row_tile) {
  using namespace gemm_detail;
  if (m == 0 || panels == 0 || row_tile == 0) return {};
  const size_t most_tiles = div_up(64, row_tile);
  GemmBlocks best = shape(m, panels, row_tile, most_tiles, 4);
  if (threads <= 1) return best;
  size_t best_share = busiest_share(best, threads, row_tile);
  const size_t least_tiles = div_up(m, row_tile) < 2 ? 1 : 2;
  for (size_t tiles = most_tiles; tiles >= least_tiles; --tiles)
    for (size_t per : {size_t{4}, size_t{3}, size_t{2}, size_t{1}, div_up(panels, threads),
                       div_up(panels, 2 * threads)}) {
      if (per == 0 || per > 8) continue;
      const GemmBlocks b = shape(m, panels, row_tile, tiles, per);
      const size_t share = busiest_share(b, threads, row_tile);
      if (share < best_share) {
        best = b;
        best_share = share;
      }
    }
  return best;
}

}  // namespace ledge
