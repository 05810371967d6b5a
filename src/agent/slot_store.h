// The agent's state folder: two model slots and the pointer that says which one is active.
//
//   <state>/active.json    {"slot":"b","version":4,"name":"fashion","model":"model.ledge",
//                           "delegation_version":2}   (absent: nothing installed yet)
//   <state>/slots/a/, <state>/slots/b/    the extracted bundle files and manifest.json
//   <state>/journal.json   the install in progress (install_journal.h)
//   <state>/rejected/      bundles set aside, each with a .reason file
//
// active.json is replaced only by write_file_durably (temporary file, fsync, rename, fsync of
// the folder), so after a crash it names the old slot or the new one, never neither.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "deploy/checkpoint.h"

namespace ledge::agent {

struct ActiveRecord {
  std::string slot;  // "a" or "b"
  uint64_t version = 0;
  std::string name;
  std::string model;  // the artifact's file name inside the slot
  uint64_t delegation_version = 0;
};

// One line of JSON, and back (the same format as active.json).
std::string active_record_json(const ActiveRecord& r);
Expected<ActiveRecord> parse_active_record(const std::string& text);

class SlotStore {
 public:
  // Creates the folder layout when missing.
  static Expected<SlotStore> open(const std::string& state_dir);

  const std::string& root() const { return root_; }
  std::string slot_dir(const std::string& slot) const { return root_ + "/slots/" + slot; }
  std::string rejected_dir() const { return root_ + "/rejected"; }
  std::string journal_path() const { return root_ + "/journal.json"; }

  // The active record; nullopt when nothing was ever installed. A malformed file is an error
  // (it cannot come from a crash: the file is only ever replaced whole).
  Expected<std::optional<ActiveRecord>> active() const;
  // The slot an install may use: the one that is not active ("a" when none is).
  Expected<std::string> inactive_slot() const;
  // The commit point: atomically makes `record` the active one.
  Status switch_to(const ActiveRecord& record, const deploy::Checkpoint& checkpoint) const;

 private:
  explicit SlotStore(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

}  // namespace ledge::agent
