// Errors as values.
//
// Library code never throws and never aborts on bad input: every fallible call returns a
// Status or an Expected<T>. Context is added on the way up so that the CLI can print a
// one-line cause such as
//   model.onnx: node 'conv1' (Conv): input 1 has rank 3, expected 4
//
//   Expected<Tensor> t = read_npy(path);
//   if (!t) return t.error().with_context(path);
//   use(*t);
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ledge {

enum class ErrorCode {
  kInvalidArgument,  // the caller passed something malformed (bad shape, bad dtype, bad flag)
  kInvalidModel,     // the model file or graph is malformed
  kUnsupported,      // well-formed, but ledge does not implement it (yet)
  kIo,               // file system or network failure
  kResourceLimit,    // the request would exceed a memory or size limit
  kInternal,         // a bug in ledge
};

const char* error_code_name(ErrorCode code);
// The process exit code the command-line tools use for an error kind: 2 invalid argument,
// 3 invalid model, 4 unsupported, 5 I/O, 6 resource limit, 70 internal error.
int exit_code_for(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with "context: ", keeping the code.
  Error with_context(const std::string& context) const& {
    return Error(code_, context + ": " + message_);
  }
  Error with_context(const std::string& context) && {
    message_ = context + ": " + message_;
    return std::move(*this);
  }

 private:
  ErrorCode code_;
  std::string message_;
};

inline Error invalid_argument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Error invalid_model(std::string m) { return {ErrorCode::kInvalidModel, std::move(m)}; }
inline Error unsupported(std::string m) { return {ErrorCode::kUnsupported, std::move(m)}; }
inline Error io_error(std::string m) { return {ErrorCode::kIo, std::move(m)}; }
inline Error resource_limit(std::string m) { return {ErrorCode::kResourceLimit, std::move(m)}; }
inline Error internal_error(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

// The result of an operation that produces no value.
class [[nodiscard]] Status {
 public:
  Status() = default;                                            // success
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  static Status ok_status() { return Status(); }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_{ErrorCode::kInternal, ""};
  bool ok_ = true;
};

// A value or an Error.
template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Expected(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  // Only for a failed status; a successful one carries no value and becomes an internal error.
  Expected(Status status)  // NOLINT: implicit by design
      : v_(status.ok() ? Error(ErrorCode::kInternal, "a successful Status carries no value")
                       : std::move(status).error()) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }
  Status status() const { return ok() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace ledge

#define LEDGE_CONCAT_INNER(a, b) a##b
#define LEDGE_CONCAT(a, b) LEDGE_CONCAT_INNER(a, b)

// Returns the error of a failed Status or Expected from the enclosing function.
#define LEDGE_TRY(expr)                                            \
  do {                                                             \
    auto&& ledge_try_result_ = (expr);                             \
    if (!ledge_try_result_.ok()) return ledge_try_result_.error(); \
  } while (0)

// `LEDGE_ASSIGN(auto x, f());` declares x from an Expected, or returns its error.
#define LEDGE_ASSIGN(lhs, expr) LEDGE_ASSIGN_IMPL(LEDGE_CONCAT(ledge_assign_, __LINE__), lhs, expr)
#define LEDGE_ASSIGN_IMPL(tmp, lhs, expr)       \
  auto tmp = (expr);                            \
  if (!tmp.ok()) return std::move(tmp).error(); \
  lhs = std::move(tmp).value()
