// Whole-file reads and writes with errors as values.
#pragma once

#include <string>

#include "core/status.h"

namespace ledge {

// Reads a whole file; fails for a missing file, a folder, or one larger than max_bytes.
Expected<std::string> read_file(const std::string& path, size_t max_bytes = size_t{4} << 30);
// Writes a whole file through a temporary name and a rename, so readers never see half.
Status write_file(const std::string& path, const void* data, size_t size);

}  // namespace ledge
