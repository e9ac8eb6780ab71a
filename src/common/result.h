// Result<T> and Diagnostic: how every parser and evaluator in src/ reports
// failure. No exception crosses a public API of src/ (see ../../README.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace mxconform {

enum class Severity : std::uint8_t {
  kInfo,     // a documented decision worth showing (e.g. an erratum applied)
  kWarning,  // accepted, but outside the strict grammar or a SHOULD
  kError,    // the input is invalid
};

std::string_view SeverityName(Severity s);

// One finding about an input. `id` is a stable dotted name
// (`mtasts.policy.duplicate_key`) that reports and expectation files refer
// to; it always points at a string literal. `offset` is the byte offset into
// the input the parser was given; `line` and `column` are 1-based and filled
// by LocateDiagnostics() (0 until then). `message` points at a string
// literal too (so the hot path never allocates); `detail`, often empty, holds
// what varies (the offending text, a number).
struct Diagnostic {
  std::string_view id;
  Severity severity = Severity::kError;
  std::uint32_t offset = 0;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string_view message;
  std::string detail;

  bool IsError() const { return severity == Severity::kError; }
  // "message" or "message: detail".
  std::string Text() const;
};

using Diagnostics = std::vector<Diagnostic>;

// True if any diagnostic in `d` is an error.
bool HasError(const Diagnostics& d);

// Returns the first error in `d`, or nullptr.
const Diagnostic* FirstError(const Diagnostics& d);

// Fills line and column of each diagnostic from its offset into `input`.
// Lines end at LF; a CR before LF belongs to the line. Columns count bytes.
void LocateDiagnostics(std::string_view input, Diagnostics& d);

// Value or failure. A failure carries at least one diagnostic of severity
// error, plus any warnings seen before it.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Diagnostic error) : v_(Diagnostics{std::move(error)}) {}  // NOLINT
  static Result Failure(Diagnostics d) { return Result(std::move(d), 0); }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // The diagnostics of a failure; empty for a value.
  const Diagnostics& diagnostics() const {
    static const Diagnostics kNone;
    return ok() ? kNone : std::get<1>(v_);
  }
  // Mutable access to a failure's diagnostics. Precondition: !ok().
  Diagnostics& mutable_diagnostics() { return std::get<1>(v_); }
  // The first error of a failure. Precondition: !ok().
  const Diagnostic& error() const { return *FirstError(std::get<1>(v_)); }

 private:
  Result(Diagnostics d, int) : v_(std::move(d)) {}
  std::variant<T, Diagnostics> v_;
};

// Shorthand for building a diagnostic; `id` and `message` must be literals.
inline Diagnostic MakeDiag(std::string_view id, Severity sev, std::size_t offset,
                           std::string_view message, std::string detail = {}) {
  Diagnostic d;
  d.id = id;
  d.severity = sev;
  d.offset = static_cast<std::uint32_t>(offset);
  d.message = message;
  d.detail = std::move(detail);
  return d;
}

}  // namespace mxconform
