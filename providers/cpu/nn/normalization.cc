// BatchNormalization, InstanceNormalization, GroupNormalization, LRN and
// MeanVarianceNormalization. Per-channel parameters are small and read as doubles; the data
// is processed in its own type (float16/bfloat16 in float).
#include <algorithm>
#include <cmath>

#include "core/thread_pool.h"
#include "cpu_kernels.h"
#include "mlas/nn_reduce.h"
#include "nn/nn_common.h"

namespace onyx {

namespace {

// A small parameter tensor (scale, bias, mean...) of any float type as doubles.
std::vector<double> ReadParams(const Tensor& t, const KernelContext& ctx) {
  std::vector<double> v(static_cast<size_t>(t.size()));
  switch (t.dtype()) {
    case DataType::Float: for (int64_t i = 0; i < t.size(); ++i) v[i] = t.data<float>()[i]; break;
    case DataType::Double: for (int64_t i = 0; i < t.size(); ++i) v[i] = t.data<double>()[i]; break;
    case DataType::Float16: for (int64_t i = 0; i < t.size(); ++i) v[i] = HalfToFloat(t.data<uint16_t>()[i]); break;
    case DataType::BFloat16: for (int64_t i = 0; i < t.size(); ++i) v[i] = BFloat16ToFloat(t.data<uint16_t>()[i]); break;
    default:
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(t.dtype()) + " is not supported");
  }
  return v;
}

// Writes doubles into a tensor of a float type.
void WriteParams(const std::vector<double>& v, Tensor& t) {
  for (int64_t i = 0; i < t.size(); ++i) {
    switch (t.dtype()) {
      case DataType::Float: t.data<float>()[i] = static_cast<float>(v[i]); break;
      case DataType::Double: t.data<double>()[i] = v[i]; break;
      case DataType::Float16: t.data<uint16_t>()[i] = FloatToHalf(static_cast<float>(v[i])); break;
      case DataType::BFloat16: t.data<uint16_t>()[i] = FloatToBFloat16(static_cast<float>(v[i])); break;
      default: break;
    }
  }
}

void CheckFloatType(const Tensor& X, const KernelContext& ctx) {
  const DataType dt = X.dtype();
  if (dt != DataType::Float && dt != DataType::Double && !IsHalfType(dt))
    throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(dt) + " is not supported");
}

// Runs fn(float or double pointer in, pointer out) on X's data, through float copies for the
// 16-bit types.
template <typename Fn>
void WithFloatData(const Tensor& X, Tensor& Y, Fn&& fn) {
  if (X.dtype() == DataType::Double) {
    fn(X.data<double>(), Y.data<double>());
  } else if (X.dtype() == DataType::Float) {
    fn(X.data<float>(), Y.data<float>());
  } else {
    Tensor xf = ToFloatTensor(X), yf(DataType::Float, X.shape());
    fn(xf.data<float>(), yf.data<float>());
    FromFloatTensor(yf, Y);
  }
}

// y = x * a[c] + b[c] over `planes` planes of `n` elements, channel c = plane % channels.
template <typename T>
void ApplyChannelAffine(const T* x, T* y, int64_t planes, int64_t channels, int64_t n, const std::vector<double>& a,
                        const std::vector<double>& b, ThreadPool* pool) {
  ParallelFor(pool, planes, static_cast<double>(n), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t c = p % channels;
      if constexpr (std::is_same_v<T, float>) {
        mlas::RowAffine(x + p * n, n, static_cast<float>(a[c]), static_cast<float>(b[c]), y + p * n);
      } else {
        const T ac = static_cast<T>(a[c]), bc = static_cast<T>(b[c]);
        for (int64_t i = 0; i < n; ++i) y[p * n + i] = x[p * n + i] * ac + bc;
      }
    }
  });
}

// Mean and population variance of one contiguous block.
template <typename T>
void MeanVariance(const T* x, int64_t n, double* mean, double* var) {
  if (n == 0) {
    *mean = 0;
    *var = 0;
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    const float m = mlas::RowSum(x, n) / static_cast<float>(n);
    *mean = m;
    *var = mlas::RowSumSquaredDiff(x, n, m) / static_cast<float>(n);
  } else {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += x[i];
    const double m = s / static_cast<double>(n);
    double v = 0;
    for (int64_t i = 0; i < n; ++i) v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *var = v / static_cast<double>(n);
  }
}

// ---------------------------------------------------------------------------------------------
class BatchNormalization final : public OpKernel {
 public:
  explicit BatchNormalization(const KernelInfo& info)
      : epsilon_(info.GetFloat("epsilon", 1e-5f)),
        momentum_(info.GetFloat("momentum", 0.9f)),
        spatial_(info.GetInt("spatial", 1) != 0),
        training_(info.GetInt("training_mode", 0) != 0),
        opset_(info.opset()) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    CheckFloatType(X, ctx);
    if (X.rank() < 2)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input X should have rank >= 2 (N, C, ...), got shape " + ShapeToString(X.shape()));
    const int64_t N = X.dim(0), C = X.dim(1), spatial = X.size() / std::max<int64_t>(N * C, 1);
    // Before opset 9, spatial=0 gives every element of a sample its own parameters.
    const bool per_element = !spatial_ && opset_ < 9;
    const int64_t P = per_element ? C * spatial : C;
    std::vector<double> p[4];
    for (int i = 0; i < 4; ++i) {
      const Tensor& t = ctx.Input(static_cast<size_t>(i) + 1);
      if (t.size() != P)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "input " + std::to_string(i + 1) + " of shape " + ShapeToString(t.shape()) +
                                                            " should have " + std::to_string(P) + " elements");
      p[i] = ReadParams(t, ctx);
    }
    std::vector<double>&scale = p[0], &bias = p[1], &mean = p[2], &var = p[3];
    Tensor& Y = ctx.Output(0, X.dtype(), X.shape());
    ThreadPool* pool = ctx.thread_pool();
    const bool training = training_ && opset_ >= 14;
    std::vector<double> batch_mean, batch_var;
    if (training) {
      // Statistics of this batch per channel.
      batch_mean.assign(C, 0.0);
      batch_var.assign(C, 0.0);
      WithFloatData(X, Y, [&](const auto* x, auto*) {
        ParallelFor(pool, C, static_cast<double>(N * spatial) * 2, [&](int64_t c0, int64_t c1) {
          for (int64_t c = c0; c < c1; ++c) {
            double s = 0, ss = 0;
            for (int64_t n = 0; n < N; ++n)
              for (int64_t i = 0; i < spatial; ++i) s += x[(n * C + c) * spatial + i];
            const double cnt = static_cast<double>(std::max<int64_t>(N * spatial, 1));
            const double m = s / cnt;
            for (int64_t n = 0; n < N; ++n)
              for (int64_t i = 0; i < spatial; ++i) {
                const double d = x[(n * C + c) * spatial + i] - m;
                ss += d * d;
              }
            batch_mean[c] = m;
            batch_var[c] = ss / cnt;
          }
        });
      });
    }
    const std::vector<double>& use_mean = training ? batch_mean : mean;
    const std::vector<double>& use_var = training ? batch_var : var;
    std::vector<double> a(P), b(P);
    for (int64_t i = 0; i < P; ++i) {
      a[i] = scale[i] / std::sqrt(use_var[i] + static_cast<double>(epsilon_));
      b[i] = bias[i] - use_mean[i] * a[i];
    }
    WithFloatData(X, Y, [&](const auto* x, auto* y) {
      if (per_element) {
        using T = std::remove_cv_t<std::remove_pointer_t<decltype(y)>>;
        ParallelFor(pool, N, static_cast<double>(P), [&](int64_t n0, int64_t n1) {
          for (int64_t n = n0; n < n1; ++n)
            for (int64_t i = 0; i < P; ++i) y[n * P + i] = static_cast<T>(x[n * P + i] * a[i] + b[i]);
        });
      } else {
        ApplyChannelAffine(x, y, N * C, C, spatial, a, b, pool);
      }
    });
    if (training) {
      // Running statistics: input * momentum + batch * (1 - momentum).
      for (size_t o = 1; o <= 2; ++o) {
        if (!ctx.has_output(o)) continue;
        const Tensor& src = ctx.Input(o == 1 ? 3 : 4);
        Tensor& out = ctx.Output(o, src.dtype(), src.shape());
        const std::vector<double>& cur = o == 1 ? batch_mean : batch_var;
        const std::vector<double>& run = o == 1 ? mean : var;
        std::vector<double> v(static_cast<size_t>(C));
        for (int64_t c = 0; c < C; ++c) v[c] = run[c] * momentum_ + cur[c] * (1.0 - momentum_);
        WriteParams(v, out);
      }
    }
  }

 private:
  float epsilon_, momentum_;
  bool spatial_, training_;
  int64_t opset_;
};

// ---------------------------------------------------------------------------------------------
class InstanceNormalization final : public OpKernel {
 public:
  explicit InstanceNormalization(const KernelInfo& info) : epsilon_(info.GetFloat("epsilon", 1e-5f)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    CheckFloatType(X, ctx);
    if (X.rank() < 2)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input X should have rank >= 2 (N, C, ...), got shape " + ShapeToString(X.shape()));
    const int64_t N = X.dim(0), C = X.dim(1), spatial = X.size() / std::max<int64_t>(N * C, 1);
    const Tensor& S = ctx.Input(1);
    const Tensor& B = ctx.Input(2);
    if (S.size() != C || B.size() != C)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "scale " + ShapeToString(S.shape()) + " and B " + ShapeToString(B.shape()) +
                                                          " should have " + std::to_string(C) + " elements");
    const std::vector<double> scale = ReadParams(S, ctx), bias = ReadParams(B, ctx);
    Tensor& Y = ctx.Output(0, X.dtype(), X.shape());
    WithFloatData(X, Y, [&](const auto* x, auto* y) {
      using T = std::remove_cv_t<std::remove_pointer_t<decltype(y)>>;
      ParallelFor(ctx.thread_pool(), N * C, static_cast<double>(spatial) * 3, [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
          double m, v;
          MeanVariance(x + p * spatial, spatial, &m, &v);
          const int64_t c = p % C;
          const double a = scale[c] / std::sqrt(v + static_cast<double>(epsilon_));
          const double b = bias[c] - m * a;
          if constexpr (std::is_same_v<T, float>) {
            mlas::RowAffine(x + p * spatial, spatial, static_cast<float>(a), static_cast<float>(b), y + p * spatial);
          } else {
            for (int64_t i = 0; i < spatial; ++i) y[p * spatial + i] = static_cast<T>(x[p * spatial + i] * a + b);
          }
        }
      });
    });
  }

 private:
  float epsilon_;
};

// ---------------------------------------------------------------------------------------------
class GroupNormalization final : public OpKernel {
 public:
  explicit GroupNormalization(const KernelInfo& info)
      : epsilon_(info.GetFloat("epsilon", 1e-5f)), groups_(info.RequireInt("num_groups")) {
    if (groups_ <= 0) throw info.MakeError(ErrorCode::InvalidGraph, "num_groups should be positive");
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    CheckFloatType(X, ctx);
    if (X.rank() < 2)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input X should have rank >= 2 (N, C, ...), got shape " + ShapeToString(X.shape()));
    const int64_t N = X.dim(0), C = X.dim(1), spatial = X.size() / std::max<int64_t>(N * C, 1);
    if (C % groups_ != 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "channels " + std::to_string(C) + " should be divisible by num_groups " +
                                                          std::to_string(groups_));
    const Tensor& S = ctx.Input(1);
    const Tensor& B = ctx.Input(2);
    // Opset 18 has one scale per group, opset 21 one per channel; accept either by size.
    if (S.size() != B.size() || (S.size() != C && S.size() != groups_))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "scale " + ShapeToString(S.shape()) + " and bias " + ShapeToString(B.shape()) +
                                                          " should have " + std::to_string(C) + " (or num_groups) elements");
    const bool per_channel = S.size() == C;
    const std::vector<double> scale = ReadParams(S, ctx), bias = ReadParams(B, ctx);
    const int64_t cg = C / groups_, block = cg * spatial;
    Tensor& Y = ctx.Output(0, X.dtype(), X.shape());
    WithFloatData(X, Y, [&](const auto* x, auto* y) {
      using T = std::remove_cv_t<std::remove_pointer_t<decltype(y)>>;
      ParallelFor(ctx.thread_pool(), N * groups_, static_cast<double>(block) * 3, [&](int64_t g0, int64_t g1) {
        for (int64_t gi = g0; gi < g1; ++gi) {
          double m, v;
          MeanVariance(x + gi * block, block, &m, &v);
          const double inv = 1.0 / std::sqrt(v + static_cast<double>(epsilon_));
          const int64_t grp = gi % groups_;
          for (int64_t k = 0; k < cg; ++k) {
            const int64_t c = grp * cg + k, pi = per_channel ? c : grp;
            const double a = scale[pi] * inv, b = bias[pi] - m * a;
            const T* xs = x + gi * block + k * spatial;
            T* ys = y + gi * block + k * spatial;
            if constexpr (std::is_same_v<T, float>) {
              mlas::RowAffine(xs, spatial, static_cast<float>(a), static_cast<float>(b), ys);
            } else {
              for (int64_t i = 0; i < spatial; ++i) ys[i] = static_cast<T>(xs[i] * a + b);
            }
          }
        }
      });
    });
  }

 private:
  float epsilon_;
  int64_t groups_;
};

// ---------------------------------------------------------------------------------------------
class Lrn final : public OpKernel {
 public:
  explicit Lrn(const KernelInfo& info)
      : alpha_(info.GetFloat("alpha", 1e-4f)),
        beta_(info.GetFloat("beta", 0.75f)),
        bias_(info.GetFloat("bias", 1.0f)),
        size_(info.RequireInt("size")) {
    if (size_ <= 0) throw info.MakeError(ErrorCode::InvalidGraph, "size should be positive");
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    CheckFloatType(X, ctx);
    if (X.rank() < 2)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input X should have rank >= 2 (N, C, ...), got shape " + ShapeToString(X.shape()));
    const int64_t N = X.dim(0), C = X.dim(1), spatial = X.size() / std::max<int64_t>(N * C, 1);
    const int64_t before = (size_ - 1) / 2, after = size_ - 1 - before;
    const double scale = static_cast<double>(alpha_) / static_cast<double>(size_);
    Tensor& Y = ctx.Output(0, X.dtype(), X.shape());
    WithFloatData(X, Y, [&](const auto* x, auto* y) {
      using T = std::remove_cv_t<std::remove_pointer_t<decltype(y)>>;
      ParallelFor(ctx.thread_pool(), N * C, static_cast<double>(spatial * size_), [&](int64_t p0, int64_t p1) {
        std::vector<double> sq(static_cast<size_t>(spatial));
        for (int64_t p = p0; p < p1; ++p) {
          const int64_t n = p / C, c = p % C;
          std::fill(sq.begin(), sq.end(), 0.0);
          for (int64_t cc = std::max<int64_t>(0, c - before); cc <= std::min(C - 1, c + after); ++cc) {
            const T* xs = x + (n * C + cc) * spatial;
            for (int64_t i = 0; i < spatial; ++i) sq[i] += static_cast<double>(xs[i]) * xs[i];
          }
          const T* xs = x + p * spatial;
          T* ys = y + p * spatial;
          for (int64_t i = 0; i < spatial; ++i)
            ys[i] = static_cast<T>(xs[i] / std::pow(static_cast<double>(bias_) + scale * sq[i], static_cast<double>(beta_)));
        }
      });
    });
  }

 private:
  float alpha_, beta_, bias_;
  int64_t size_;
};

// ---------------------------------------------------------------------------------------------
class MeanVarianceNormalization final : public OpKernel {
 public:
  explicit MeanVarianceNormalization(const KernelInfo& info) : axes_(info.GetInts("axes", {0, 2, 3})) {
    if (info.opset() < 9) {  // the first form: flags instead of axes
      if (info.GetInt("across_channels", 0) != 0) axes_ = {0, 1, 2, 3};
      normalize_variance_ = info.GetInt("normalize_variance", 1) != 0;
    }
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    CheckFloatType(X, ctx);
    const int64_t rank = static_cast<int64_t>(X.rank());
    std::vector<bool> reduced(static_cast<size_t>(rank), false);
    for (int64_t a : axes_) reduced[NormalizeAxis(a, rank, ctx)] = true;
    // Offsets of the kept and the reduced index combinations.
    std::vector<int64_t> kept = {0}, red = {0};
    for (int64_t d = rank - 1, stride = 1; d >= 0; --d) {
      std::vector<int64_t>& v = reduced[d] ? red : kept;
      const size_t n0 = v.size();
      std::vector<int64_t> next;
      next.reserve(n0 * static_cast<size_t>(X.dim(d)));
      for (int64_t i = 0; i < X.dim(d); ++i)
        for (size_t j = 0; j < n0; ++j) next.push_back(v[j] + i * stride);
      v.swap(next);
      stride *= X.dim(d);
    }
    Tensor& Y = ctx.Output(0, X.dtype(), X.shape());
    if (X.size() == 0) return;
    const double count = static_cast<double>(red.size());
    WithFloatData(X, Y, [&](const auto* x, auto* y) {
      using T = std::remove_cv_t<std::remove_pointer_t<decltype(y)>>;
      ParallelFor(ctx.thread_pool(), static_cast<int64_t>(kept.size()), count * 4, [&](int64_t k0, int64_t k1) {
        for (int64_t k = k0; k < k1; ++k) {
          const int64_t base = kept[k];
          double s = 0, ss = 0;
          for (int64_t r : red) {
            const double v = x[base + r];
            s += v;
            ss += v * v;
          }
          const double mean = s / count;
          const double var = std::max(0.0, ss / count - mean * mean);
          const double denom = normalize_variance_ ? std::sqrt(var) + 1e-9 : 1.0;
          for (int64_t r : red) y[base + r] = static_cast<T>((x[base + r] - mean) / denom);
        }
      });
    });
  }

 private:
  std::vector<int64_t> axes_;
  bool normalize_variance_ = true;
};

}  // namespace

void RegisterNormalizationKernels(KernelRegistry& r) {
  const std::vector<DataType> floats = {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16};
  r.Register({kCpuProvider, "", "BatchNormalization", 1, INT64_MAX, floats, MakeFactory<BatchNormalization>()});
  r.Register({kCpuProvider, "", "InstanceNormalization", 1, INT64_MAX, floats, MakeFactory<InstanceNormalization>()});
  r.Register({kCpuProvider, "", "GroupNormalization", 18, INT64_MAX, floats, MakeFactory<GroupNormalization>()});
  r.Register({kCpuProvider, "", "LRN", 1, INT64_MAX, floats, MakeFactory<Lrn>()});
  r.Register({kCpuProvider, "", "MeanVarianceNormalization", 1, INT64_MAX, floats,
              MakeFactory<MeanVarianceNormalization>()});
}

}  // namespace onyx
