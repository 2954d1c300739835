// RegexFullMatch. ONNX specifies RE2 syntax; onyx has no RE2 dependency and uses std::regex
// (ECMAScript) after rewriting the RE2 forms that ECMAScript spells differently: a leading (?i),
// named groups (?P<name>...) and (?<name>...), \A, \z and \Q...\E. RE2 features with no
// ECMAScript equivalent (Unicode classes \p, other inline flags, \C) are rejected as
// NotImplemented. ECMAScript accepts a few things RE2 rejects (backreferences, lookaround).
#include <regex>

#include "cpu_kernels.h"
#include "kernel_utils.h"
#include "text/text_common.h"

namespace onyx::text {
namespace {

std::string EscapeLiteral(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string("\\^$.|?*+()[]{}/-").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

// Returns the ECMAScript pattern; sets icase when the pattern starts with (?i).
std::string TranslateRe2(const KernelInfo& info, std::string p, bool& icase) {
  icase = false;
  if (p.rfind("(?i)", 0) == 0) {
    icase = true;
    p = p.substr(4);
  }
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char n = p[i + 1];
      if (n == 'A' && !in_class) { out += '^'; ++i; continue; }
      if (n == 'z' && !in_class) { out += '$'; ++i; continue; }
      if (n == 'Q') {
        const size_t end = p.find("\\E", i + 2);
        out += EscapeLiteral(p.substr(i + 2, end == std::string::npos ? std::string::npos : end - i - 2));
        i = end == std::string::npos ? p.size() : end + 1;
        continue;
      }
      if (n == 'p' || n == 'P' || n == 'C')
        throw info.MakeError(ErrorCode::NotImplemented, std::string("RE2 escape \\") + n + " is not supported by onyx's regex engine");
      out += c;
      out += n;
      ++i;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal in RE2.
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']') { out += "\\]"; ++i; }
      continue;
    }
    if (c == '(' && p.compare(i, 2, "(?") == 0) {
      if (p.compare(i, 3, "(?:") == 0) { out += "(?:"; i += 2; continue; }
      size_t name_start = std::string::npos;
      if (p.compare(i, 4, "(?P<") == 0) name_start = i + 4;
      else if (p.compare(i, 3, "(?<") == 0 && i + 3 < p.size() && p[i + 3] != '=' && p[i + 3] != '!') name_start = i + 3;
      if (name_start != std::string::npos) {
        const size_t close = p.find('>', name_start);
        if (close == std::string::npos) throw info.MakeError(ErrorCode::InvalidGraph, "unterminated group name in pattern '" + p + "'");
        out += '(';
        i = close;
        continue;
      }
      if (p.compare(i, 3, "(?=") != 0 && p.compare(i, 3, "(?!") != 0)
        throw info.MakeError(ErrorCode::NotImplemented, "inline flags other than a leading (?i) are not supported in pattern '" + p + "'");
    }
    out += c;
  }
  return out;
}

class RegexFullMatchKernel : public OpKernel {
 public:
  explicit RegexFullMatchKernel(const KernelInfo& info) {
    const std::string pattern = info.Require("pattern", Attribute::Type::String).s;
    bool icase = false;
    const std::string ecma = TranslateRe2(info, pattern, icase);
    try {
      auto flags = std::regex::ECMAScript | std::regex::optimize;
      if (icase) flags |= std::regex::icase;
      re_ = std::regex(ecma, flags);
    } catch (const std::regex_error& e) {
      throw info.MakeError(ErrorCode::InvalidGraph, "pattern '" + pattern + "' is not a valid regular expression: " + e.what());
    }
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    if (x.dtype() != DataType::String)
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("input should be a string tensor, got ") + DataTypeName(x.dtype()));
    Tensor& y = ctx.Output(0, DataType::Bool, x.shape());
    const std::string* in = x.data<std::string>();
    bool* out = y.data<bool>();
    try {
      for (int64_t i = 0; i < x.size(); ++i) out[i] = std::regex_match(in[i], re_);
    } catch (const std::regex_error& e) {
      throw ctx.MakeError(ErrorCode::Fail, std::string("regular expression matching failed: ") + e.what());
    }
  }

 private:
  std::regex re_;
};

}  // namespace

void RegisterRegexKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "", "RegexFullMatch", 20, INT64_MAX, {DataType::String}, MakeFactory<RegexFullMatchKernel>()});
}

}  // namespace onyx::text
