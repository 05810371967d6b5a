// Large blocks of memory, allocated so that loading a model does not pay a page fault per
// 4 KiB page: blocks from 256 KiB up come from the kernel already populated (mmap with
// MAP_POPULATE, one system call; from 4 MiB up in transparent huge pages), smaller ones from
// malloc. On virtual machines the per-page faults otherwise dominate load time. Used for
// tensors, the activation arena and the packed weights.
#pragma once

#include <cstddef>
#include <memory>

namespace ledge {

// A block of `bytes` aligned to `alignment` (at most 64), zero-filled when `zero`; null
// when memory is exhausted. Release with free_block.
void* allocate_block(size_t bytes, size_t alignment = 64, bool zero = true);
void free_block(void* p);
// The usable size of a block from allocate_block.
size_t block_size(const void* p);

// Owns a block from allocate_block: BlockPtr<float> w(static_cast<float*>(allocate_block(n))).
struct BlockDeleter {
  void operator()(void* p) const { free_block(p); }
};
template <class T>
using BlockPtr = std::unique_ptr<T, BlockDeleter>;

}  // namespace ledge
