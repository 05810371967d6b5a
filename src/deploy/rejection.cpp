#include "deploy/rejection.h"

namespace ledge::deploy {

namespace {
constexpr const char* kTag = "bundle rejected [";
}

const char* rejection_name(Rejection r) {
  switch (r) {
#define LEDGE_REJECTION_NAME(e, name, code, doc) \
  case Rejection::e:                             \
    return name;
    LEDGE_REJECTIONS(LEDGE_REJECTION_NAME)
#undef LEDGE_REJECTION_NAME
    case Rejection::kNone:
      break;
  }
  return "none";
}

int rejection_exit_code(Rejection r) {
  switch (r) {
#define LEDGE_REJECTION_CODE(e, name, code, doc) \
  case Rejection::e:                             \
    return code;
    LEDGE_REJECTIONS(LEDGE_REJECTION_CODE)
#undef LEDGE_REJECTION_CODE
    case Rejection::kNone:
      break;
  }
  return 0;
}

Error rejection_error(Rejection r, const std::string& detail) {
  return invalid_model(std::string(kTag) + rejection_name(r) + "]: " + detail);
}

Rejection rejection_of(const Error& e) {
  const std::string& m = e.message();
  const size_t at = m.find(kTag);
  if (at == std::string::npos) return Rejection::kNone;
  const size_t begin = at + std::char_traits<char>::length(kTag);
  const size_t end = m.find(']', begin);
  if (end == std::string::npos) return Rejection::kNone;
  const std::string name = m.substr(begin, end - begin);
#define LEDGE_REJECTION_MATCH(e, n, code, doc) \
  if (name == n) return Rejection::e;
  LEDGE_REJECTIONS(LEDGE_REJECTION_MATCH)
#undef LEDGE_REJECTION_MATCH
  return Rejection::kNone;
}

}  // namespace ledge::deploy
