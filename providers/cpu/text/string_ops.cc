// StringNormalizer, StringSplit and StringConcat.
#include <algorithm>
#include <unordered_set>

#include "cpu_kernels.h"
#include "kernel_utils.h"
#include "text/text_common.h"

namespace onyx::text {
namespace {

const Tensor& StringInput(const KernelContext& ctx, size_t i) {
  const Tensor& t = ctx.Input(i);
  if (t.dtype() != DataType::String)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "input " + std::to_string(i) + " should be a string tensor, got " + DataTypeName(t.dtype()));
  return t;
}

class StringNormalizerKernel : public OpKernel {
 public:
  explicit StringNormalizerKernel(const KernelInfo& info) : case_sensitive_(info.GetInt("is_case_sensitive", 0) != 0) {
    const std::string action = info.GetString("case_change_action", "NONE");
    if (action == "LOWER") action_ = Action::Lower;
    else if (action == "UPPER") action_ = Action::Upper;
    else if (action != "NONE")
      throw info.MakeError(ErrorCode::InvalidGraph, "case_change_action must be NONE, LOWER or UPPER, got '" + action + "'");
    for (const std::string& w : info.GetStrings("stopwords")) stopwords_.insert(case_sensitive_ ? w : Utf8ToLower(w));
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = StringInput(ctx, 0);
    const bool two_d = x.rank() == 2;
    if (!(x.rank() == 1 || (two_d && x.dim(0) == 1)))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input must have shape [C] or [1, C], got " + ShapeToString(x.shape()));
    std::vector<std::string> kept;
    const std::string* in = x.data<std::string>();
    for (int64_t i = 0; i < x.size(); ++i) {
      if (!stopwords_.empty() && stopwords_.count(case_sensitive_ ? in[i] : Utf8ToLower(in[i]))) continue;
      kept.push_back(action_ == Action::Lower ? Utf8ToLower(in[i]) : action_ == Action::Upper ? Utf8ToUpper(in[i]) : in[i]);
    }
    // Everything filtered out still yields one (empty) string, as onnxruntime does.
    if (kept.empty()) kept.emplace_back();
    const int64_t c = static_cast<int64_t>(kept.size());
    Tensor& y = ctx.Output(0, DataType::String, two_d ? std::vector<int64_t>{1, c} : std::vector<int64_t>{c});
    std::move(kept.begin(), kept.end(), y.data<std::string>());
  }

 private:
  enum class Action { None, Lower, Upper };
  Action action_ = Action::None;
  bool case_sensitive_;
  std::unordered_set<std::string> stopwords_;
};

// Python's str.split(): with no separator, runs of whitespace separate and leading/trailing
// whitespace is dropped; with one, every occurrence separates. maxsplit < 0 means no limit.
bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f'); }

std::vector<std::string> SplitWhitespace(const std::string& s, int64_t maxsplit) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (true) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    if (i == s.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
      parts.push_back(s.substr(i));
      break;
    }
    size_t j = i;
    while (j < s.size() && !IsSpace(s[j])) ++j;
    parts.push_back(s.substr(i, j - i));
    i = j;
  }
  return parts;
}

std::vector<std::string> SplitSeparator(const std::string& s, const std::string& sep, int64_t maxsplit) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
    const size_t j = s.find(sep, i);
    if (j == std::string::npos) break;
    parts.push_back(s.substr(i, j - i));
    i = j + sep.size();
  }
  parts.push_back(s.substr(i));
  return parts;
}

class StringSplitKernel : public OpKernel {
 public:
  explicit StringSplitKernel(const KernelInfo& info)
      : delimiter_(info.GetString("delimiter", "")), maxsplit_(info.GetInt("maxsplit", -1)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = StringInput(ctx, 0);
    std::vector<std::vector<std::string>> parts(static_cast<size_t>(x.size()));
    int64_t widest = 0;
    for (int64_t i = 0; i < x.size(); ++i) {
      const std::string& s = x.data<std::string>()[i];
      parts[i] = delimiter_.empty() ? SplitWhitespace(s, maxsplit_) : SplitSeparator(s, delimiter_, maxsplit_);
      widest = std::max<int64_t>(widest, static_cast<int64_t>(parts[i].size()));
    }
    std::vector<int64_t> shape = x.shape();
    shape.push_back(widest);
    if (ctx.has_output(0)) {
      Tensor& y = ctx.Output(0, DataType::String, shape);
      std::string* out = y.data<std::string>();
      for (size_t i = 0; i < parts.size(); ++i)
        std::move(parts[i].begin(), parts[i].end(), out + static_cast<int64_t>(i) * widest);
    }
    if (ctx.has_output(1)) {
      Tensor& z = ctx.Output(1, DataType::Int64, x.shape());
      for (size_t i = 0; i < parts.size(); ++i) z.data<int64_t>()[i] = static_cast<int64_t>(parts[i].size());
    }
  }

 private:
  std::string delimiter_;
  int64_t maxsplit_;
};

class StringConcatKernel : public OpKernel {
 public:
  explicit StringConcatKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& a = StringInput(ctx, 0);
    const Tensor& b = StringInput(ctx, 1);
    const std::vector<int64_t> shape = BroadcastShapes(a.shape(), b.shape(), ctx);
    Tensor& y = ctx.Output(0, DataType::String, shape);
    const int64_t n = y.size();
    if (n == 0) return;
    std::string* out = y.data<std::string>();
    const std::string* pa = a.data<std::string>();
    const std::string* pb = b.data<std::string>();
    if (a.shape() == b.shape()) {
      for (int64_t i = 0; i < n; ++i) out[i] = pa[i] + pb[i];
      return;
    }
    const std::vector<int64_t> sa = BroadcastStrides(a.shape(), shape), sb = BroadcastStrides(b.shape(), shape);
    const size_t rank = shape.size();
    std::vector<int64_t> idx(rank, 0);
    int64_t oa = 0, ob = 0;
    for (int64_t i = 0; i < n; ++i) {
      out[i] = pa[oa] + pb[ob];
      for (size_t d = rank; d-- > 0;) {  // odometer step over the output index
        oa += sa[d];
        ob += sb[d];
        if (++idx[d] < shape[d]) break;
        oa -= sa[d] * shape[d];
        ob -= sb[d] * shape[d];
        idx[d] = 0;
      }
    }
  }
};

}  // namespace

void RegisterStringKernels(KernelRegistry& r) {
  const std::vector<DataType> s = {DataType::String};
  r.Register({kCpuProvider, "", "StringNormalizer", 10, INT64_MAX, s, MakeFactory<StringNormalizerKernel>()});
  r.Register({kCpuProvider, "", "StringSplit", 20, INT64_MAX, s, MakeFactory<StringSplitKernel>()});
  r.Register({kCpuProvider, "", "StringConcat", 20, INT64_MAX, s, MakeFactory<StringConcatKernel>()});
}

}  // namespace onyx::text
