#include "deploy/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ledge::deploy {

std::string parent_of(const std::string& path) {
  std::string p = std::filesystem::path(path).parent_path().string();
  return p.empty() ? "." : p;
}

Status write_all(int fd, const char* data, size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return io_error(path + ": write failed: " + std::strerror(errno));
    data += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

Status fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error(dir + ": cannot open folder: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return io_error(dir + ": cannot sync folder: " + std::strerror(errno));
  return {};
}

Status write_file_durably(const std::string& path, const std::string& bytes,
                          const Checkpoint& checkpoint) {
  const std::string tmp = path + ".tmp";
  LEDGE_TRY(pass(checkpoint, "write " + path));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(tmp + ": cannot create: " + std::strerror(errno));
  Status st = write_all(fd, bytes.data(), bytes.size(), tmp);
  if (st.ok()) st = pass(checkpoint, "fsync " + path);
  if (st.ok() && ::fsync(fd) != 0) st = io_error(tmp + ": cannot sync: " + std::strerror(errno));
  if (::close(fd) != 0 && st.ok()) st = io_error(tmp + ": close failed");
  if (st.ok()) st = pass(checkpoint, "rename " + path);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0)
    st = io_error(path + ": cannot rename: " + std::strerror(errno));
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  const std::string dir = parent_of(path);
  LEDGE_TRY(pass(checkpoint, "fsync " + dir));
  return fsync_dir(dir);
}

Status remove_tree_durably(const std::string& dir, const Checkpoint& checkpoint) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return {};
  LEDGE_TRY(pass(checkpoint, "remove " + dir));
  std::filesystem::remove_all(dir, ec);
  if (ec) return io_error(dir + ": cannot remove: " + ec.message());
  return fsync_dir(parent_of(dir));
}

}  // namespace ledge::deploy
