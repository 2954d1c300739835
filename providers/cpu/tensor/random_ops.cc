// The ONNX random ops: RandomUniform, RandomNormal, RandomUniformLike, RandomNormalLike, Bernoulli,
// Multinomial.
//
// Generator state. Each kernel owns a std::mt19937_64 behind a mutex, and every run continues its
// sequence (as onnxruntime does):
//   - with the `seed` attribute, the generator starts from that seed, so a fresh session (or two
//     sessions with the same seed) produces the same values, run after run: the first run gives the
//     same tensor in every such session, the second run the next values, and so on;
//   - without `seed`, the generator is seeded at kernel creation from a process-wide source
//     (std::random_device mixed into a shared generator), so sessions differ from one another.
// Values never match numpy's (and so ONNX's backend tests); only the distributions do.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <random>

#include "tensor/tensor_helpers.h"

namespace onyx {
namespace {

// The seed of a generator from the float `seed` attribute: its integer part mixed with its bits,
// so that e.g. 1.0 and 1.5 give different streams.
uint64_t SeedFromFloat(float seed) {
  const uint32_t bits = std::bit_cast<uint32_t>(seed);
  const int64_t whole = std::isfinite(seed) ? static_cast<int64_t>(std::clamp(seed, -9e18f, 9e18f)) : 0;
  std::seed_seq seq{static_cast<uint32_t>(static_cast<uint64_t>(whole)), static_cast<uint32_t>(static_cast<uint64_t>(whole) >> 32),
                    bits};
  uint32_t words[2];
  seq.generate(words, words + 2);
  return (static_cast<uint64_t>(words[0]) << 32) | words[1];
}

// A seed from the process-wide random source, for kernels without a `seed` attribute.
uint64_t ProcessRandomSeed() {
  static std::mutex mu;
  static std::mt19937_64 source = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  std::lock_guard<std::mutex> lock(mu);
  return source();
}

// The kernel's generator; draws are serialised by the mutex so concurrent runs stay well defined.
class RandomState {
 public:
  explicit RandomState(const KernelInfo& info)
      : rng_(info.HasAttribute("seed") ? SeedFromFloat(info.GetFloat("seed", 0.f)) : ProcessRandomSeed()) {}
  std::mutex& mutex() const { return mu_; }
  std::mt19937_64& rng() const { return rng_; }
  // Uniform in [0, 1) with 53 random bits.
  double Uniform() const { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  // Standard normal (Box-Muller; the second value of each pair is kept for the next call).
  double Normal() const {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - Uniform();  // (0, 1]: log is finite
    const double u2 = Uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double a = 2.0 * 3.14159265358979323846 * u2;
    spare_ = r * std::sin(a);
    has_spare_ = true;
    return r * std::cos(a);
  }

 private:
  mutable std::mutex mu_;
  mutable std::mt19937_64 rng_;
  mutable double spare_ = 0;
  mutable bool has_spare_ = false;
};

// Stores v into element i of a floating tensor of type T.
template <typename T>
void StoreFloating(T* out, int64_t i, double v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) out[i] = FromFloat<T>(static_cast<float>(v));
  else out[i] = static_cast<T>(v);
}

bool IsFloatingType(DataType dt) {
  return dt == DataType::Float || dt == DataType::Double || dt == DataType::Float16 || dt == DataType::BFloat16;
}

// Reads the optional `dtype` attribute; Undefined when absent.
DataType ReadDtype(const KernelInfo& info) {
  if (!info.HasAttribute("dtype")) return DataType::Undefined;
  const int64_t v = info.GetInt("dtype", 0);
  if (!IsKnownDataType(static_cast<int32_t>(v)) || v == 0)
    throw info.MakeError(ErrorCode::InvalidGraph, "dtype " + std::to_string(v) + " is not a known type");
  return static_cast<DataType>(v);
}

enum class Dist { Uniform, Normal };

// RandomUniform / RandomNormal (no input, `shape` attribute) and their *Like variants (the
// input's shape, and its type unless `dtype` is given).
template <Dist kDist, bool kLike>
class RandomFillKernel final : public OpKernel {
 public:
  explicit RandomFillKernel(const KernelInfo& info) : state_(info), dtype_(ReadDtype(info)) {
    if constexpr (kDist == Dist::Uniform) {
      a_ = info.GetFloat("low", 0.f);
      b_ = info.GetFloat("high", 1.f);
    } else {
      a_ = info.GetFloat("mean", 0.f);
      b_ = info.GetFloat("scale", 1.f);
    }
    if constexpr (!kLike) {
      if (!info.HasAttribute("shape")) throw info.MakeError(ErrorCode::InvalidGraph, "the shape attribute is required");
      shape_ = info.GetInts("shape");
      for (int64_t d : shape_)
        if (d < 0) throw info.MakeError(ErrorCode::InvalidGraph, "shape " + ShapeToString(shape_) + " has a negative dimension");
      if (dtype_ == DataType::Undefined) dtype_ = DataType::Float;
    }
    if (dtype_ != DataType::Undefined && !IsFloatingType(dtype_))
      throw info.MakeError(ErrorCode::InvalidGraph, std::string("dtype should be a floating type, got ") + DataTypeName(dtype_));
  }

  void Compute(KernelContext& ctx) const override {
    DataType dt = dtype_;
    std::vector<int64_t> shape = shape_;
    if constexpr (kLike) {
      const Tensor& x = ctx.Input(0);
      shape = x.shape();
      if (dt == DataType::Undefined) {
        dt = x.dtype();
        if (!IsFloatingType(dt))
          throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("without a dtype attribute the input should be a floating type, got ") +
                                                              DataTypeName(dt));
      }
    }
    Tensor& y = ctx.Output(0, dt, shape);
    const int64_t n = y.size();
    DispatchFloating(dt, ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* out = y.data<T>();
      std::lock_guard<std::mutex> lock(state_.mutex());
      if constexpr (kDist == Dist::Uniform) {
        const double low = a_, range = static_cast<double>(b_) - a_;
        for (int64_t i = 0; i < n; ++i) StoreFloating(out, i, low + range * state_.Uniform());
      } else {
        for (int64_t i = 0; i < n; ++i) StoreFloating(out, i, a_ + static_cast<double>(b_) * state_.Normal());
      }
    });
  }

 private:
  RandomState state_;
  DataType dtype_;
  float a_ = 0, b_ = 1;
  std::vector<int64_t> shape_;
};

// Bernoulli: y[i] = 1 with probability x[i], else 0, in `dtype` (default: the input's type).
class BernoulliKernel final : public OpKernel {
 public:
  explicit BernoulliKernel(const KernelInfo& info) : state_(info), dtype_(ReadDtype(info)) {
    if (dtype_ == DataType::String) throw info.MakeError(ErrorCode::InvalidGraph, "dtype should be numeric or bool, got string");
  }
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const DataType dt = dtype_ == DataType::Undefined ? x.dtype() : dtype_;
    const int64_t n = x.size();
    std::vector<uint8_t> draws(static_cast<size_t>(n));
    DispatchFloating(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* p = x.data<T>();
      std::lock_guard<std::mutex> lock(state_.mutex());
      for (int64_t i = 0; i < n; ++i) {
        double pi;
        if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) pi = ToFloat(p[i]);
        else pi = static_cast<double>(p[i]);
        // u in [0, 1): p = 0 always gives 0 and p = 1 always gives 1.
        draws[i] = state_.Uniform() < pi ? 1 : 0;
      }
    });
    Tensor& y = ctx.Output(0, dt, x.shape());
    DispatchAll(dt, ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* out = y.data<T>();
      if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
        for (int64_t i = 0; i < n; ++i) out[i] = FromFloat<T>(draws[i] ? 1.f : 0.f);
      } else if constexpr (std::is_arithmetic_v<T>) {
        for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(draws[i]);
      } else {
        throw ctx.MakeError(ErrorCode::InvalidArgument, "Bernoulli does not support string outputs");
      }
    });
  }

 private:
  RandomState state_;
  DataType dtype_;
};

// Multinomial: x is [batch, class] unnormalised log-probabilities; y is [batch, sample_size] of
// class indices drawn with probabilities softmax(x[b]), int32 (default) or int64.
class MultinomialKernel final : public OpKernel {
 public:
  explicit MultinomialKernel(const KernelInfo& info)
      : state_(info), sample_size_(info.GetInt("sample_size", 1)), dtype_(ReadDtype(info)) {
    if (dtype_ == DataType::Undefined) dtype_ = DataType::Int32;
    if (dtype_ != DataType::Int32 && dtype_ != DataType::Int64)
      throw info.MakeError(ErrorCode::InvalidGraph, std::string("dtype should be int32 or int64, got ") + DataTypeName(dtype_));
    if (sample_size_ < 0) throw info.MakeError(ErrorCode::InvalidGraph, "sample_size " + std::to_string(sample_size_) + " is negative");
  }
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    if (x.rank() != 2)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input should be 2-D [batch_size, class_size], got shape " + ShapeToString(x.shape()));
    const int64_t batch = x.dim(0), classes = x.dim(1);
    if (classes == 0 && batch > 0 && sample_size_ > 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot sample from 0 classes");
    std::vector<double> logits(static_cast<size_t>(x.size()));
    DispatchFloating(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* p = x.data<T>();
      for (int64_t i = 0; i < x.size(); ++i) {
        if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) logits[i] = ToFloat(p[i]);
        else logits[i] = static_cast<double>(p[i]);
      }
    });
    Tensor& y = ctx.Output(0, dtype_, {batch, sample_size_});
    std::vector<int64_t> samples(static_cast<size_t>(batch * sample_size_));
    std::vector<double> cdf(static_cast<size_t>(classes));
    {
      std::lock_guard<std::mutex> lock(state_.mutex());
      for (int64_t b = 0; b < batch && sample_size_ > 0; ++b) {
        const double* row = logits.data() + b * classes;
        const double mx = *std::max_element(row, row + classes);
        if (!std::isfinite(mx))
          throw ctx.MakeError(ErrorCode::InvalidArgument, "row " + std::to_string(b) +
                                                              " has no finite maximum log-probability (all -inf, +inf or NaN)");
        double total = 0;
        int64_t last_positive = 0;
        for (int64_t c = 0; c < classes; ++c) {
          const double w = std::exp(row[c] - mx);  // -inf gives 0; NaN stays NaN
          if (std::isnan(w)) throw ctx.MakeError(ErrorCode::InvalidArgument, "row " + std::to_string(b) + " has a NaN log-probability");
          if (w > 0) last_positive = c;
          total += w;
          cdf[c] = total;
        }
        for (int64_t s = 0; s < sample_size_; ++s) {
          const double r = state_.Uniform() * total;
          int64_t k = std::upper_bound(cdf.begin(), cdf.end(), r) - cdf.begin();
          if (k >= classes) k = last_positive;  // r rounded up to total
          samples[b * sample_size_ + s] = k;
        }
      }
    }
    if (dtype_ == DataType::Int32) {
      for (size_t i = 0; i < samples.size(); ++i) y.data<int32_t>()[i] = static_cast<int32_t>(samples[i]);
    } else {
      std::copy(samples.begin(), samples.end(), y.data<int64_t>());
    }
  }

 private:
  RandomState state_;
  int64_t sample_size_;
  DataType dtype_;
};

}  // namespace

void RegisterRandomKernels(KernelRegistry& r) {
  const std::vector<DataType> floating = {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16};
  RegisterTensorKernel(r, "RandomUniform", 1, INT64_MAX, floating, MakeFactory<RandomFillKernel<Dist::Uniform, false>>());
  RegisterTensorKernel(r, "RandomNormal", 1, INT64_MAX, floating, MakeFactory<RandomFillKernel<Dist::Normal, false>>());
  // The *Like ops accept an input of any type (only its shape, and type by default, are used).
  RegisterTensorKernel(r, "RandomUniformLike", 1, INT64_MAX, AllTensorTypes(), MakeFactory<RandomFillKernel<Dist::Uniform, true>>());
  RegisterTensorKernel(r, "RandomNormalLike", 1, INT64_MAX, AllTensorTypes(), MakeFactory<RandomFillKernel<Dist::Normal, true>>());
  RegisterTensorKernel(r, "Bernoulli", 15, INT64_MAX, floating, MakeFactory<BernoulliKernel>());
  RegisterTensorKernel(r, "Multinomial", 7, INT64_MAX, {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16},
                       MakeFactory<MultinomialKernel>());
}

}  // namespace onyx
