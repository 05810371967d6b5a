#include "deploy/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "deploy/rejection.h"

namespace ledge::deploy {

namespace {
Error truncated(uint64_t offset, size_t n, uint64_t size) {
  return rejection_error(Rejection::kMalformed, "truncated: needs bytes " + std::to_string(offset) +
                                                    ".." + std::to_string(offset + n) + " of a " +
                                                    std::to_string(size) + "-byte file");
}
}  // namespace

Status MemorySource::read(uint64_t offset, void* dst, size_t n) const {
  if (offset > size_ || n > size_ - offset) return truncated(offset, n, size_);
  if (n) std::memcpy(dst, data_ + offset, n);
  return {};
}

Expected<FileSource> FileSource::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(path + ": cannot open: " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return io_error(path + ": not a regular file");
  }
  return FileSource(fd, static_cast<uint64_t>(st.st_size), path);
}

FileSource::FileSource(FileSource&& o) noexcept
    : fd_(o.fd_), size_(o.size_), path_(std::move(o.path_)) {
  o.fd_ = -1;
}

FileSource& FileSource::operator=(FileSource&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    size_ = o.size_;
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}

FileSource::~FileSource() {
  if (fd_ >= 0) ::close(fd_);
}

Status FileSource::read(uint64_t offset, void* dst, size_t n) const {
  if (offset > size_ || n > size_ - offset) return truncated(offset, n, size_);
  auto* p = static_cast<uint8_t*>(dst);
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd_, p + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return io_error(path_ + ": read failed: " + std::strerror(errno));
    // The file shrank after it was opened.
    if (got == 0) return truncated(offset, n, offset + done);
    done += static_cast<size_t>(got);
  }
  return {};
}

}  // namespace ledge::deploy
