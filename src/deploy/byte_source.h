// Random-access reads of a bundle: from memory (tests, the fuzzer) or from a file by pread.
//
// Files are read with pread rather than mapped: a bundle that shrinks while it is read (a
// download still running, a truncation by someone else) must give an error, never a SIGBUS.
//
//   LEDGE_ASSIGN(FileSource src, FileSource::open("model.bundle"));
//   std::string header(16, '\0');
//   LEDGE_TRY(src.read(0, header.data(), header.size()));
//
// Reads are independent (pread), so one source may serve several threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/status.h"

namespace ledge::deploy {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Reads exactly n bytes at offset; past the end, a kMalformed rejection ("truncated").
  virtual Status read(uint64_t offset, void* dst, size_t n) const = 0;
};

// Borrows memory owned by the caller, which must outlive the source.
class MemorySource final : public ByteSource {
 public:
  MemorySource(const void* data, size_t size)
      : data_(static_cast<const uint8_t*>(data)), size_(size) {}
  uint64_t size() const override { return size_; }
  Status read(uint64_t offset, void* dst, size_t n) const override;

 private:
  const uint8_t* data_;
  size_t size_;
};

// Owns a read-only file descriptor; movable, closes it when destroyed.
class FileSource final : public ByteSource {
 public:
  static Expected<FileSource> open(const std::string& path);
  FileSource(FileSource&& o) noexcept;
  FileSource& operator=(FileSource&& o) noexcept;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  ~FileSource() override;

  uint64_t size() const override { return size_; }
  Status read(uint64_t offset, void* dst, size_t n) const override;

 private:
  FileSource(int fd, uint64_t size, std::string path)
      : fd_(fd), size_(size), path_(std::move(path)) {}
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string path_;
};

}  // namespace ledge::deploy
