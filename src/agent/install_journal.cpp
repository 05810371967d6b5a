#include "agent/install_journal.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "deploy/durable_file.h"

namespace ledge::agent {

Expected<std::optional<InstallJournal>> read_journal(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<InstallJournal>{};
  LEDGE_ASSIGN(std::string text, read_file(path, 1 << 16));
  const auto j = nlohmann::json::parse(text, nullptr, false);
  InstallJournal r;
  try {
    if (j.is_discarded() || !j.is_object()) throw std::runtime_error("not a JSON object");
    r.bundle = j.at("bundle").get<std::string>();
    r.version = j.at("version").get<uint64_t>();
    r.slot = j.at("slot").get<std::string>();
    r.step = j.at("step").get<std::string>();
    r.attempts = j.at("attempts").get<int>();
    r.reason = j.value("reason", "");
    r.previous_json = j.value("previous", "");
  } catch (const std::exception& e) {
    return invalid_argument(path + ": malformed journal: " + e.what());
  }
  return std::optional<InstallJournal>(r);
}

Status write_journal(const std::string& path, const InstallJournal& r,
                     const deploy::Checkpoint& checkpoint) {
  const nlohmann::json j = {{"bundle", r.bundle},
                            {"version", r.version},
                            {"slot", r.slot},
                            {"step", r.step},
                            {"attempts", r.attempts},
                            {"reason", r.reason},
                            {"previous", r.previous_json}};
  return deploy::write_file_durably(path, j.dump() + "\n", checkpoint);
}

Status remove_journal(const std::string& path, const deploy::Checkpoint& checkpoint) {
  LEDGE_TRY(deploy::pass(checkpoint, "unlink " + path));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return io_error(path + ": cannot remove: " + std::strerror(errno));
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return deploy::fsync_dir(dir.empty() ? "." : dir);
}

}  // namespace ledge::agent
