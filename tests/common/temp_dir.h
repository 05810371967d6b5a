// A fresh folder per test (mkdtemp: unique even when tests run in parallel), removed at the
// end. file(name) is a path inside it; with_folders(name) also creates the folders the path
// passes through ("cat/0.png").
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace ledge::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ledge_test_XXXXXX").string();
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string with_folders(const std::string& name) const {
    std::error_code ec;
    std::filesystem::create_directories((path_ / name).parent_path(), ec);
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

}  // namespace ledge::testing
