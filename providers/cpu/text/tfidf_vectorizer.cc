// TfIdfVectorizer. The pool lists n-grams grouped by length (ngram_counts[i] is where the
// (i+1)-grams start); the j-th pool n-gram counts into output column ngram_indexes[j]. Strings
// are mapped to pool ids first so that both input kinds match n-grams as int64 keys. Unigrams do
// not depend on the skip distance, so they are counted on the first (skip 0) pass only.
// weights_ holds the weight of each output column.
#include <cstring>
#include <algorithm>
#include <map>
#include <unordered_map>

#include "cpu_kernels.h"
#include "kernel_utils.h"
#include "core/thread_pool.h"
#include "text/text_common.h"

namespace onyx::text {
namespace {

class TfIdfVectorizerKernel : public OpKernel {
 public:
  explicit TfIdfVectorizerKernel(const KernelInfo& info) {
    min_gram_ = info.RequireInt("min_gram_length");
    max_gram_ = info.RequireInt("max_gram_length");
    max_skip_ = info.RequireInt("max_skip_count");
    if (min_gram_ < 1 || max_gram_ < min_gram_ || max_skip_ < 0)
      throw info.MakeError(ErrorCode::InvalidGraph, "need 1 <= min_gram_length <= max_gram_length and max_skip_count >= 0, got " +
                                                        std::to_string(min_gram_) + ", " + std::to_string(max_gram_) + ", " + std::to_string(max_skip_));
    const std::string mode = info.Require("mode", Attribute::Type::String).s;
    if (mode == "TF") mode_ = Mode::TF;
    else if (mode == "IDF") mode_ = Mode::IDF;
    else if (mode == "TFIDF") mode_ = Mode::TFIDF;
    else throw info.MakeError(ErrorCode::InvalidGraph, "mode must be TF, IDF or TFIDF, got '" + mode + "'");

    const std::vector<int64_t> counts = info.GetInts("ngram_counts");
    const std::vector<int64_t> indexes = info.GetInts("ngram_indexes");
    std::vector<int64_t> pool = info.GetInts("pool_int64s");
    const std::vector<std::string> strings = info.GetStrings("pool_strings");
    strings_ = info.HasAttribute("pool_strings");
    if (strings_ == info.HasAttribute("pool_int64s"))
      throw info.MakeError(ErrorCode::InvalidGraph, "exactly one of pool_strings and pool_int64s must be given");
    if (strings_) {
      pool.clear();
      for (const std::string& s : strings) pool.push_back(string_ids_.emplace(s, static_cast<int64_t>(string_ids_.size())).first->second);
    }
    const int64_t pool_size = static_cast<int64_t>(pool.size());

    for (int64_t idx : indexes) {
      if (idx < 0) throw info.MakeError(ErrorCode::InvalidGraph, "ngram_indexes must be non-negative, got " + std::to_string(idx));
      width_ = std::max(width_, idx + 1);
    }
    // weights follow the pool's n-gram order (as the spec and onnxruntime have it; the ONNX
    // Python reference indexes them by output column instead).
    const std::vector<float> weights = info.GetFloats("weights");
    if (!weights.empty()) {
      if (weights.size() < indexes.size())
        throw info.MakeError(ErrorCode::InvalidGraph, "weights has " + std::to_string(weights.size()) + " values for " +
                                                          std::to_string(indexes.size()) + " n-grams");
      weights_.assign(static_cast<size_t>(width_), 1.0f);
      for (size_t j = 0; j < indexes.size(); ++j) weights_[indexes[j]] = weights[j];
    }

    size_t ngram_number = 0;
    for (size_t level = 0; level < counts.size(); ++level) {
      const int64_t n = static_cast<int64_t>(level) + 1;
      const int64_t begin = counts[level];
      const int64_t end = level + 1 < counts.size() ? counts[level + 1] : pool_size;
      if (begin < 0 || end < begin || end > pool_size || (end - begin) % n != 0)
        throw info.MakeError(ErrorCode::InvalidGraph, "ngram_counts " + std::to_string(begin) + ".." + std::to_string(end) +
                                                          " do not describe whole " + std::to_string(n) + "-grams of a pool of " + std::to_string(pool_size));
      for (int64_t k = begin; k < end; k += n, ++ngram_number) {
        if (ngram_number >= indexes.size())
          throw info.MakeError(ErrorCode::InvalidGraph, "the pool has more n-grams than ngram_indexes has entries (" + std::to_string(indexes.size()) + ")");
        if (n < min_gram_ || n > max_gram_) continue;
        pool_[std::vector<int64_t>(pool.begin() + k, pool.begin() + k + n)] = indexes[ngram_number];
      }
    }
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const bool is_string = x.dtype() == DataType::String;
    if (is_string != strings_ || (!is_string && x.dtype() != DataType::Int32 && x.dtype() != DataType::Int64))
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("input type ") + DataTypeName(x.dtype()) + " does not match the " +
                                                          (strings_ ? "string" : "int64") + " pool");
    if (x.rank() != 1 && x.rank() != 2)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input must be [C] or [N, C], got " + ShapeToString(x.shape()));
    const int64_t rows = x.rank() == 2 ? x.dim(0) : 1;
    const int64_t cols = x.rank() == 2 ? x.dim(1) : x.dim(0);
    Tensor& y = ctx.Output(0, DataType::Float, x.rank() == 2 ? std::vector<int64_t>{rows, width_} : std::vector<int64_t>{width_});
    if (y.size() == 0) return;
    std::memset(y.raw_data(), 0, y.nbytes());  // counts are added up

    // Input items as int64 keys; strings outside the pool become a key no n-gram contains.
    std::vector<int64_t> ids(static_cast<size_t>(x.size()));
    for (int64_t i = 0; i < x.size(); ++i) {
      if (is_string) {
        auto it = string_ids_.find(x.data<std::string>()[i]);
        ids[i] = it == string_ids_.end() ? -1 : it->second;
      } else {
        ids[i] = x.dtype() == DataType::Int32 ? x.data<int32_t>()[i] : x.data<int64_t>()[i];
      }
    }
    float* out = y.data<float>();
    ParallelFor(ctx.thread_pool(), rows, static_cast<double>(cols) * static_cast<double>(max_gram_ * (max_skip_ + 1)) * 20.0,
                [&](int64_t r0, int64_t r1) {
                  std::vector<int64_t> key;
                  for (int64_t r = r0; r < r1; ++r) CountRow(ids.data() + r * cols, cols, out + r * width_, key);
                });
  }

 private:
  void CountRow(const int64_t* row, int64_t cols, float* out, std::vector<int64_t>& key) const {
    for (int64_t skip = 0; skip <= max_skip_; ++skip) {
      const int64_t step = skip + 1;
      const int64_t first_n = skip > 0 ? std::max<int64_t>(min_gram_, 2) : min_gram_;
      if (first_n > max_gram_) break;
      for (int64_t start = 0; start < cols; ++start) {
        key.clear();
        for (int64_t n = 1; n <= max_gram_; ++n) {
          const int64_t pos = start + (n - 1) * step;
          if (pos >= cols) break;
          key.push_back(row[pos]);
          if (n < first_n) continue;
          auto it = pool_.find(key);
          if (it != pool_.end()) out[it->second] += 1.0f;
        }
      }
    }
    for (int64_t c = 0; c < width_; ++c) {
      const float w = weights_.empty() ? 1.0f : weights_[c];
      if (mode_ == Mode::IDF) out[c] = out[c] > 0 ? w : 0.0f;
      else if (mode_ == Mode::TFIDF) out[c] *= w;
    }
  }

  enum class Mode { TF, IDF, TFIDF };
  Mode mode_ = Mode::TF;
  int64_t min_gram_ = 1, max_gram_ = 1, max_skip_ = 0, width_ = 0;
  bool strings_ = false;
  std::vector<float> weights_;
  std::unordered_map<std::string, int64_t> string_ids_;
  std::map<std::vector<int64_t>, int64_t> pool_;
};

}  // namespace

void RegisterTfIdfKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "", "TfIdfVectorizer", 9, INT64_MAX, {DataType::String, DataType::Int32, DataType::Int64},
              MakeFactory<TfIdfVectorizerKernel>()});
}

}  // namespace onyx::text
