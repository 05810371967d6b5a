#include "agent/slot_store.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "deploy/durable_file.h"

namespace ledge::agent {

namespace {

bool valid_slot(const std::string& s) { return s == "a" || s == "b"; }

}  // namespace

Expected<SlotStore> SlotStore::open(const std::string& state_dir) {
  std::error_code ec;
  for (const char* sub : {"/slots/a", "/slots/b", "/rejected"}) {
    std::filesystem::create_directories(state_dir + sub, ec);
    if (ec) return io_error(state_dir + sub + ": cannot create folder: " + ec.message());
  }
  return SlotStore(state_dir);
}

std::string active_record_json(const ActiveRecord& r) {
  const nlohmann::json j = {{"slot", r.slot},
                            {"version", r.version},
                            {"name", r.name},
                            {"model", r.model},
                            {"delegation_version", r.delegation_version}};
  return j.dump();
}

Expected<ActiveRecord> parse_active_record(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  ActiveRecord r;
  try {
    if (j.is_discarded() || !j.is_object()) throw std::runtime_error("not a JSON object");
    r.slot = j.at("slot").get<std::string>();
    r.version = j.at("version").get<uint64_t>();
    r.name = j.at("name").get<std::string>();
    r.model = j.at("model").get<std::string>();
    r.delegation_version = j.at("delegation_version").get<uint64_t>();
  } catch (const std::exception& e) {
    return invalid_argument(std::string("malformed active record: ") + e.what());
  }
  if (!valid_slot(r.slot)) return invalid_argument("unknown slot '" + r.slot + "'");
  return r;
}

Expected<std::optional<ActiveRecord>> SlotStore::active() const {
  const std::string path = root_ + "/active.json";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<ActiveRecord>{};
  LEDGE_ASSIGN(std::string text, read_file(path, 1 << 16));
  auto r = parse_active_record(text);
  if (!r) return r.error().with_context(path);
  return std::optional<ActiveRecord>(*r);
}

Expected<std::string> SlotStore::inactive_slot() const {
  LEDGE_ASSIGN(std::optional<ActiveRecord> a, active());
  const std::string current = a.value_or(ActiveRecord{}).slot;
  return std::string(current == "a" ? "b" : "a");
}

Status SlotStore::switch_to(const ActiveRecord& r, const deploy::Checkpoint& checkpoint) const {
  if (!valid_slot(r.slot)) return invalid_argument("unknown slot '" + r.slot + "'");
  return deploy::write_file_durably(root_ + "/active.json", active_record_json(r) + "\n",
                                    checkpoint);
}

}  // namespace ledge::agent
