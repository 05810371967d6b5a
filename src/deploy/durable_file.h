// Files that survive a power cut: written through a temporary name, synced, renamed, and the
// folder synced, so that after a crash at any moment the path holds the old bytes or the new,
// never a mix. Every step passes a Checkpoint first (fault-injection tests).
//
//   LEDGE_TRY(write_file_durably(dir + "/active.json", json, checkpoint));
#pragma once

#include <cstddef>
#include <string>

#include "core/status.h"
#include "deploy/checkpoint.h"

namespace ledge::deploy {

// write(tmp) -> fsync(tmp) -> rename(tmp, path) -> fsync(folder); checkpoints named
// "write <path>", "fsync <path>", "rename <path>", "fsync <folder>".
Status write_file_durably(const std::string& path, const std::string& bytes,
                          const Checkpoint& checkpoint = {});

// Writes all n bytes to fd (retrying short writes and EINTR).
Status write_all(int fd, const char* data, size_t n, const std::string& path);

// The folder that holds path ("." for a bare name): the folder to sync after renaming in it.
std::string parent_of(const std::string& path);

// fsync of a folder, so that the names created or renamed in it are on disk.
Status fsync_dir(const std::string& dir);

// Removes a folder and everything in it, then syncs its parent; a missing folder is fine.
Status remove_tree_durably(const std::string& dir, const Checkpoint& checkpoint = {});

}  // namespace ledge::deploy
