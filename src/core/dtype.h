// Element types of tensors.
//
// The numeric values of DType follow ONNX's TensorProto.DataType so that importers can cast
// directly; everything else in ledge uses the enum by name.
//
//   dispatch(t.dtype(), [&]<class T>() { fill<T>(t); });   // calls fill<float>, fill<int8_t>...
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/half.h"
#include "core/status.h"

namespace ledge {

enum class DType : int {
  kUndefined = 0,
  kFloat32 = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,  // not supported by kernels; kept so errors can name it
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kBFloat16 = 16,
};

// Size of one element in bytes; 0 for kUndefined and kString.
size_t dtype_size(DType t);
// "float32", "int64", ...
std::string_view dtype_name(DType t);
// Parses the names above, plus numpy's ("<f4", "|i1", ...) when from_npy is set.
Expected<DType> dtype_from_name(std::string_view name);
// True for a value of the enum that ledge can store in a tensor.
bool dtype_is_storable(DType t);
bool dtype_is_float(DType t);  // float16, bfloat16, float32, float64
bool dtype_is_signed_int(DType t);
bool dtype_is_unsigned_int(DType t);
inline bool dtype_is_int(DType t) { return dtype_is_signed_int(t) || dtype_is_unsigned_int(t); }

template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>)
    return DType::kFloat32;
  else if constexpr (std::is_same_v<T, double>)
    return DType::kFloat64;
  else if constexpr (std::is_same_v<T, Float16>)
    return DType::kFloat16;
  else if constexpr (std::is_same_v<T, BFloat16>)
    return DType::kBFloat16;
  else if constexpr (std::is_same_v<T, int8_t>)
    return DType::kInt8;
  else if constexpr (std::is_same_v<T, uint8_t>)
    return DType::kUInt8;
  else if constexpr (std::is_same_v<T, int16_t>)
    return DType::kInt16;
  else if constexpr (std::is_same_v<T, uint16_t>)
    return DType::kUInt16;
  else if constexpr (std::is_same_v<T, int32_t>)
    return DType::kInt32;
  else if constexpr (std::is_same_v<T, uint32_t>)
    return DType::kUInt32;
  else if constexpr (std::is_same_v<T, int64_t>)
    return DType::kInt64;
  else if constexpr (std::is_same_v<T, uint64_t>)
    return DType::kUInt64;
  else if constexpr (std::is_same_v<T, bool>)
    return DType::kBool;
  else
    static_assert(sizeof(T) == 0, "not a tensor element type");
}

template <class T>
inline constexpr bool is_floating_v =
    std::is_floating_point_v<T> || std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>;

// Families of element types for dispatch.
enum class TypeSet : unsigned {
  kFloat = 1,     // float16, bfloat16, float32, float64
  kSigned = 2,    // int8 .. int64
  kUnsigned = 4,  // uint8 .. uint64
  kBool = 8,
  kNumeric = 7,
  kAll = 15,
};
constexpr TypeSet operator|(TypeSet a, TypeSet b) {
  return static_cast<TypeSet>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}

// Calls f.template operator()<T>() with the C++ type of `t`, if `t` is in `set`;
// otherwise returns an kUnsupported error naming the type.
template <TypeSet set = TypeSet::kAll, class F>
Status dispatch(DType t, F&& f) {
  constexpr unsigned s = static_cast<unsigned>(set);
  auto call = [&]<class T>() -> Status {
    using R = decltype(f.template operator()<T>());
    if constexpr (std::is_void_v<R>) {
      f.template operator()<T>();
      return Status();
    } else {
      return f.template operator()<T>();
    }
  };
  if constexpr (s & 1u) {
    switch (t) {
      case DType::kFloat32:
        return call.template operator()<float>();
      case DType::kFloat64:
        return call.template operator()<double>();
      case DType::kFloat16:
        return call.template operator()<Float16>();
      case DType::kBFloat16:
        return call.template operator()<BFloat16>();
      default:
        break;
    }
  }
  if constexpr (s & 2u) {
    switch (t) {
      case DType::kInt8:
        return call.template operator()<int8_t>();
      case DType::kInt16:
        return call.template operator()<int16_t>();
      case DType::kInt32:
        return call.template operator()<int32_t>();
      case DType::kInt64:
        return call.template operator()<int64_t>();
      default:
        break;
    }
  }
  if constexpr (s & 4u) {
    switch (t) {
      case DType::kUInt8:
        return call.template operator()<uint8_t>();
      case DType::kUInt16:
        return call.template operator()<uint16_t>();
      case DType::kUInt32:
        return call.template operator()<uint32_t>();
      case DType::kUInt64:
        return call.template operator()<uint64_t>();
      default:
        break;
    }
  }
  if constexpr (s & 8u) {
    if (t == DType::kBool) return call.template operator()<bool>();
  }
  return unsupported("element type " + std::string(dtype_name(t)) + " is not supported here");
}

}  // namespace ledge
