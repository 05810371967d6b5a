#include "core/file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace ledge {

Expected<std::string> read_file(const std::string& path, size_t max_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return io_error(path + ": is a folder, not a file");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return io_error(path + ": " + std::strerror(errno));
  std::string data;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    if (data.size() + n > max_bytes) {
      std::fclose(f);
      return resource_limit(path + ": larger than " + std::to_string(max_bytes >> 20) + " MiB");
    }
    data.append(buf, n);
  }
  const bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) return io_error(path + ": read error");
  return data;
}

Status write_file(const std::string& path, const void* data, size_t size) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return io_error(path + ": " + std::strerror(errno));
  const bool ok = std::fwrite(data, 1, size, f) == size;
  if (std::fclose(f) != 0 || !ok) {
    std::remove(tmp.c_str());
    return io_error(path + ": write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return io_error(path + ": " + std::strerror(errno));
  }
  return Status();
}

}  // namespace ledge
