#include "core/status.h"

namespace ledge {

int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 2;
    case ErrorCode::kInvalidModel:
      return 3;
    case ErrorCode::kUnsupported:
      return 4;
    case ErrorCode::kIo:
      return 5;
    case ErrorCode::kResourceLimit:
      return 6;
    case ErrorCode::kInternal:
      return 70;
  }
  return 1;
}

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
