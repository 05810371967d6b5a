// Lookup of operators by name, derived from op_list.def. A build may name another list in
// LEDGE_OP_LIST (a subset: the selective device runner, src/tools/ledge_run/CMakeLists.txt).
#include <algorithm>
#include <array>
#include <string_view>

#include "ops/kernel.h"

#ifndef LEDGE_OP_LIST
#define LEDGE_OP_LIST "ops/op_list.def"
#endif

namespace ledge::op_registry {
#define LEDGE_OP(Name) const ::ledge::OpKernel& Name();
#include LEDGE_OP_LIST
#undef LEDGE_OP
}  // namespace ledge::op_registry

namespace ledge {

namespace {
using Getter = const OpKernel& (*)();
constexpr Getter kOps[] = {
#define LEDGE_OP(Name) &op_registry::Name,
#include LEDGE_OP_LIST
#undef LEDGE_OP
};
}  // namespace

const OpKernel* find_op(const std::string& domain, const std::string& op_type) {
  const std::string_view d = domain == "ai.onnx" ? std::string_view() : std::string_view(domain);
  for (Getter g : kOps)
    if (op_type == g().name && d == g().domain) return &g();
  return nullptr;
}

std::vector<std::string> implemented_ops() {
  std::vector<std::string> names;
  for (Getter g : kOps)
    names.emplace_back(*g().domain ? std::string(g().domain) + "." + g().name : g().name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace ledge
