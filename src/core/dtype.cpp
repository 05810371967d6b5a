#include "core/dtype.h"

namespace ledge {

namespace {
struct DTypeInfo {
  DType type;
  size_t size;
  std::string_view name;
};
constexpr DTypeInfo kInfos[] = {
    {DType::kFloat32, 4, "float32"}, {DType::kUInt8, 1, "uint8"},
    {DType::kInt8, 1, "int8"},       {DType::kUInt16, 2, "uint16"},
    {DType::kInt16, 2, "int16"},     {DType::kInt32, 4, "int32"},
    {DType::kInt64, 8, "int64"},     {DType::kString, 0, "string"},
    {DType::kBool, 1, "bool"},       {DType::kFloat16, 2, "float16"},
    {DType::kFloat64, 8, "float64"}, {DType::kUInt32, 4, "uint32"},
    {DType::kUInt64, 8, "uint64"},   {DType::kBFloat16, 2, "bfloat16"},
};
const DTypeInfo* find(DType t) {
  for (const auto& i : kInfos)
    if (i.type == t) return &i;
  return nullptr;
}
}  // namespace

size_t dtype_size(DType t) {
  const DTypeInfo* i = find(t);
  return i ? i->size : 0;
}

std::string_view dtype_name(DType t) {
  const DTypeInfo* i = find(t);
  return i ? i->name : "undefined";
}

Expected<DType> dtype_from_name(std::string_view name) {
  for (const auto& i : kInfos)
    if (i.name == name && i.type != DType::kString) return i.type;
  if (name == "float") return DType::kFloat32;
  if (name == "double") return DType::kFloat64;
  if (name == "half") return DType::kFloat16;
  return invalid_argument("unknown element type '" + std::string(name) + "'");
}

bool dtype_is_storable(DType t) { return dtype_size(t) != 0; }

bool dtype_is_float(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 ||
         t == DType::kBFloat16;
}
bool dtype_is_signed_int(DType t) {
  return t == DType::kInt8 || t == DType::kInt16 || t == DType::kInt32 || t == DType::kInt64;
}
bool dtype_is_unsigned_int(DType t) {
  return t == DType::kUInt8 || t == DType::kUInt16 || t == DType::kUInt32 || t == DType::kUInt64;
}

}  // namespace ledge
