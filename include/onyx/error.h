#pragma once
#include <stdexcept>
#include <string>

namespace onyx {

// Error codes mirror onnxruntime's status codes so that the Python layer can raise
// exception classes of the same names.
enum class ErrorCode {
  Fail,              // a kernel or the runtime failed while running
  InvalidArgument,   // a bad feed, option or argument from the caller
  NoSuchFile,        // a path that does not exist or cannot be read
  NoModel,           // no model was given
  InvalidProtobuf,   // bytes that do not parse as an ONNX model
  InvalidGraph,      // a model that parses but is not a valid graph
  NotImplemented,    // an op, type or feature onyx does not support (yet)
  RuntimeException,  // an internal error
};

const char* ErrorCodeName(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace onyx
