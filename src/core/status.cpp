#include "core/status.h"

namespace ledge {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kInvalidModel:
      return "invalid model";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kIo:
      return "i/o error";
    case ErrorCode::kResourceLimit:
      return "resource limit";
    case ErrorCode::kInternal:
      return "internal error";
  }
  return "error";
}

}  // namespace ledge
