// Element-wise LLM building blocks: RotaryEmbedding (23), RMSNormalization (23), SwiGLU (28) and
// TensorScatter (24, the KV-cache write). float16/bfloat16 compute in float, double in double.
#include <cmath>
#include <cstring>

#include "core/thread_pool.h"
#include "llm/llm_common.h"

namespace onyx {

namespace {

// Values of `src` (shape src_shape) broadcast unidirectionally to `target`.
template <typename C>
std::vector<C> ExpandTo(const std::vector<C>& src, const std::vector<int64_t>& src_shape, const std::vector<int64_t>& target,
                        const KernelContext& ctx, const char* what) {
  bool ok = src_shape.size() <= target.size();
  for (size_t k = 0; ok && k < src_shape.size(); ++k) {
    const int64_t t = target[target.size() - src_shape.size() + k];
    ok = src_shape[k] == 1 || src_shape[k] == t;
  }
  if (!ok)
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(what) + " of shape " + ShapeToString(src_shape) +
                                                        " does not broadcast to " + ShapeToString(target));
  const int64_t n = ShapeSize(target);
  if (static_cast<int64_t>(src.size()) == n) return src;
  const std::vector<int64_t> strides = BroadcastStrides(src_shape, target);
  std::vector<C> out(static_cast<size_t>(n));
  std::vector<int64_t> idx(target.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (size_t d = 0; d < target.size(); ++d) off += idx[d] * strides[d];
    out[i] = src[off];
    for (size_t d = target.size(); d-- > 0;) {
      if (++idx[d] < target[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

class RotaryEmbedding final : public OpKernel {
 public:
  explicit RotaryEmbedding(const KernelInfo& info)
      : interleaved_(info.GetInt("interleaved", 0) != 0),
        rotary_dim_(info.GetInt("rotary_embedding_dim", 0)),
        num_heads_(info.GetInt("num_heads", 0)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    RequireFloating(X, ctx, "X");
    if (X.dtype() == DataType::Double) Run<double>(ctx);
    else Run<float>(ctx);
  }

 private:
  template <typename C>
  void Run(KernelContext& ctx) const {
    const Tensor& X = ctx.Input(0);
    const Tensor& cos_t = ctx.Input(1);
    const Tensor& sin_t = ctx.Input(2);
    const Tensor* pos_t = ctx.OptionalInput(3);
    int64_t B, H, S, D;
    const bool three_d = X.rank() == 3;
    if (X.rank() == 4) {
      B = X.dim(0), H = X.dim(1), S = X.dim(2), D = X.dim(3);
    } else if (three_d) {
      if (num_heads_ <= 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "3-D input needs a positive num_heads attribute");
      if (X.dim(2) % num_heads_ != 0)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "hidden size " + std::to_string(X.dim(2)) +
                                                            " is not divisible by num_heads " + std::to_string(num_heads_));
      B = X.dim(0), S = X.dim(1), H = num_heads_, D = X.dim(2) / num_heads_;
    } else {
      throw ctx.MakeError(ErrorCode::InvalidArgument, "X must be 3-D or 4-D, got " + ShapeToString(X.shape()));
    }
    const int64_t rd = rotary_dim_ == 0 ? D : rotary_dim_;
    if (rd < 0 || rd > D || rd % 2 != 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "rotary_embedding_dim " + std::to_string(rd) +
                                                          " must be even and at most the head size " + std::to_string(D));
    const int64_t half = rd / 2;
    std::vector<int64_t> pos;
    if (pos_t) {
      pos = ReadInt64s(*pos_t, ctx);
      if (pos_t->shape() != std::vector<int64_t>{B, S})
        throw ctx.MakeError(ErrorCode::InvalidArgument, "position_ids must have shape (batch, seq) = " + ShapeToString({B, S}) +
                                                            ", got " + ShapeToString(pos_t->shape()));
      if (cos_t.rank() != 2 || cos_t.dim(1) != half || sin_t.shape() != cos_t.shape())
        throw ctx.MakeError(ErrorCode::InvalidArgument, "with position_ids, cos_cache and sin_cache must be (max_pos, " +
                                                            std::to_string(half) + "), got " + ShapeToString(cos_t.shape()) +
                                                            " and " + ShapeToString(sin_t.shape()));
      for (int64_t p : pos)
        if (p < 0 || p >= cos_t.dim(0))
          throw ctx.MakeError(ErrorCode::InvalidArgument, "position id " + std::to_string(p) + " is outside [0, " +
                                                              std::to_string(cos_t.dim(0)) + ")");
    } else {
      const std::vector<int64_t> want = {B, S, half};
      if (cos_t.shape() != want || sin_t.shape() != want)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "without position_ids, cos_cache and sin_cache must be " +
                                                            ShapeToString(want) + ", got " + ShapeToString(cos_t.shape()) +
                                                            " and " + ShapeToString(sin_t.shape()));
    }
    const std::vector<C> x = LoadAll<C>(X, ctx);
    const std::vector<C> cs = LoadAll<C>(cos_t, ctx);
    const std::vector<C> sn = LoadAll<C>(sin_t, ctx);
    std::vector<C> y(x);
    ParallelFor(ctx.thread_pool(), B * S, static_cast<double>(H * rd * 4), [&](int64_t begin, int64_t end) {
      for (int64_t bs = begin; bs < end; ++bs) {
        const int64_t b = bs / S, s = bs % S;
        const int64_t row = pos_t ? pos[bs] : bs;
        const C* c = cs.data() + row * half;
        const C* si = sn.data() + row * half;
        for (int64_t h = 0; h < H; ++h) {
          const int64_t base = three_d ? (bs * H + h) * D : ((b * H + h) * S + s) * D;
          const C* xi = x.data() + base;
          C* yo = y.data() + base;
          for (int64_t i = 0; i < half; ++i) {
            const int64_t i1 = interleaved_ ? 2 * i : i, i2 = interleaved_ ? 2 * i + 1 : i + half;
            const C x1 = xi[i1], x2 = xi[i2];
            yo[i1] = c[i] * x1 - si[i] * x2;
            yo[i2] = si[i] * x1 + c[i] * x2;
          }
        }
      }
    });
    StoreAs<C>(y.data(), ctx.Output(0, X.dtype(), X.shape()), 0, static_cast<int64_t>(y.size()));
  }

  bool interleaved_;
  int64_t rotary_dim_, num_heads_;
};

class RMSNormalization final : public OpKernel {
 public:
  explicit RMSNormalization(const KernelInfo& info)
      : axis_(info.GetInt("axis", -1)), epsilon_(info.GetFloat("epsilon", 1e-5f)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    RequireFloating(X, ctx, "X");
    RequireFloating(ctx.Input(1), ctx, "scale");
    if (X.dtype() == DataType::Double) Run<double>(ctx);
    else Run<float>(ctx);
  }

 private:
  template <typename C>
  void Run(KernelContext& ctx) const {
    const Tensor& X = ctx.Input(0);
    const Tensor& S = ctx.Input(1);
    const int64_t rank = static_cast<int64_t>(X.rank());
    if (rank == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "X must have rank >= 1");
    const int64_t axis = NormalizeAxis(axis_, rank, ctx);
    int64_t n = 1;
    for (int64_t d = axis; d < rank; ++d) n *= X.dim(d);
    const int64_t rows = n == 0 ? 0 : X.size() / n;
    // Scale usually varies only over the normalized dims; then one row of it serves every row.
    bool per_row = true;
    for (int64_t k = 0; k + (rank - axis) < static_cast<int64_t>(S.rank()); ++k) per_row = per_row && S.dim(k) == 1;
    const std::vector<C> x = LoadAll<C>(X, ctx);
    std::vector<C> scale;
    if (per_row) {
      const std::vector<int64_t> inner(X.shape().begin() + axis, X.shape().end());
      std::vector<int64_t> sshape = S.shape();
      while (sshape.size() > inner.size()) sshape.erase(sshape.begin());
      scale = ExpandTo<C>(LoadAll<C>(S, ctx), sshape, inner, ctx, "scale");
    } else {
      scale = ExpandTo<C>(LoadAll<C>(S, ctx), S.shape(), X.shape(), ctx, "scale");
    }
    std::vector<C> y(x.size());
    const C eps = static_cast<C>(epsilon_);
    ParallelFor(ctx.thread_pool(), rows, static_cast<double>(n) * 4, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const C* xr = x.data() + r * n;
        const C* sr = scale.data() + (per_row ? 0 : r * n);
        C ss = 0;
        for (int64_t i = 0; i < n; ++i) ss += xr[i] * xr[i];
        const C inv = C(1) / std::sqrt(ss / static_cast<C>(n) + eps);
        for (int64_t i = 0; i < n; ++i) y[r * n + i] = xr[i] * inv * sr[i];
      }
    });
    StoreAs<C>(y.data(), ctx.Output(0, S.dtype(), X.shape()), 0, static_cast<int64_t>(y.size()));
  }

  int64_t axis_;
  float epsilon_;
};

class SwiGLU final : public OpKernel {
 public:
  explicit SwiGLU(const KernelInfo& info) : alpha_(info.GetFloat("alpha", 1.0f)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& A = ctx.Input(0);
    const Tensor& B = ctx.Input(1);
    RequireFloating(A, ctx, "A");
    if (A.shape() != B.shape() || A.dtype() != B.dtype())
      throw ctx.MakeError(ErrorCode::InvalidArgument, "A and B must have the same shape and type, got " +
                                                          ShapeToString(A.shape()) + " and " + ShapeToString(B.shape()));
    Tensor& Y = ctx.Output(0, A.dtype(), A.shape());
    if (A.dtype() == DataType::Double) {
      const double* a = A.data<double>();
      const double* b = B.data<double>();
      double* y = Y.data<double>();
      for (int64_t i = 0; i < A.size(); ++i) y[i] = a[i] / (1.0 + std::exp(-alpha_ * a[i])) * b[i];
      return;
    }
    const std::vector<float> a = LoadAll<float>(A, ctx), b = LoadAll<float>(B, ctx);
    std::vector<float> y(a.size());
    ParallelFor(ctx.thread_pool(), A.size(), 16, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) y[i] = a[i] / (1.0f + std::exp(-alpha_ * a[i])) * b[i];
    });
    StoreAs<float>(y.data(), Y, 0, A.size());
  }

 private:
  float alpha_;
};

class TensorScatter final : public OpKernel {
 public:
  explicit TensorScatter(const KernelInfo& info) : axis_(info.GetInt("axis", -2)), mode_(info.GetString("mode", "linear")) {
    if (mode_ != "linear" && mode_ != "circular")
      throw info.MakeError(ErrorCode::InvalidArgument, "mode must be 'linear' or 'circular', got '" + mode_ + "'");
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& past = ctx.Input(0);
    const Tensor& update = ctx.Input(1);
    const Tensor* wi_t = ctx.OptionalInput(2);
    const int64_t rank = static_cast<int64_t>(past.rank());
    if (rank < 2) throw ctx.MakeError(ErrorCode::InvalidArgument, "past_cache must have rank >= 2, got " + ShapeToString(past.shape()));
    const int64_t axis = NormalizeAxis(axis_, rank, ctx);
    if (axis == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "axis cannot be the batch dimension");
    if (update.dtype() != past.dtype() || update.rank() != past.rank())
      throw ctx.MakeError(ErrorCode::InvalidArgument, "update must have the type and rank of past_cache");
    for (int64_t d = 0; d < rank; ++d)
      if (d == axis ? update.dim(d) > past.dim(d) : update.dim(d) != past.dim(d))
        throw ctx.MakeError(ErrorCode::InvalidArgument, "update shape " + ShapeToString(update.shape()) +
                                                            " is not compatible with past_cache shape " + ShapeToString(past.shape()));
    if (past.dtype() == DataType::String)
      throw ctx.MakeError(ErrorCode::NotImplemented, "string caches are not supported");
    const int64_t batch = past.dim(0), max_len = past.dim(axis), len = update.dim(axis);
    std::vector<int64_t> wi(static_cast<size_t>(batch), 0);
    if (wi_t) {
      wi = ReadInt64s(*wi_t, ctx);
      if (static_cast<int64_t>(wi.size()) != batch)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "write_indices must have shape (batch,) = (" + std::to_string(batch) +
                                                            "), got " + ShapeToString(wi_t->shape()));
    }
    const bool circular = mode_ == "circular";
    for (int64_t b = 0; b < batch; ++b) {
      if (!circular && (wi[b] < 0 || wi[b] > max_len - len))
        throw ctx.MakeError(ErrorCode::InvalidArgument, "write index " + std::to_string(wi[b]) + " of batch " + std::to_string(b) +
                                                            " is out of range: with an update length of " + std::to_string(len) +
                                                            " and a cache length of " + std::to_string(max_len) +
                                                            " it should be in [0, " + std::to_string(max_len - len) + "]");
    }
    Tensor out = past.Clone();
    int64_t inner = 1, prefix_per_batch = 1;
    for (int64_t d = axis + 1; d < rank; ++d) inner *= past.dim(d);
    for (int64_t d = 1; d < axis; ++d) prefix_per_batch *= past.dim(d);
    const size_t esize = DataTypeSize(past.dtype());
    const size_t block = static_cast<size_t>(inner) * esize;
    char* dst = static_cast<char*>(out.raw_data());
    const char* src = static_cast<const char*>(update.raw_data());
    if (max_len > 0 && block > 0) {
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t p = 0; p < prefix_per_batch; ++p) {
          const int64_t prefix = b * prefix_per_batch + p;
          for (int64_t s = 0; s < len; ++s) {
            // Circular: reduce the write index first, so that a huge one cannot overflow wi + s.
            const int64_t c = circular ? ((wi[b] % max_len) + max_len + s) % max_len : wi[b] + s;
            std::memcpy(dst + (prefix * max_len + c) * block, src + (prefix * len + s) * block, block);
          }
        }
    }
    ctx.SetOutput(0, std::move(out));
  }

 private:
  int64_t axis_;
  std::string mode_;
};

}  // namespace

void RegisterLlmElementwiseKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "", "RotaryEmbedding", 23, INT64_MAX, FloatingTypes(), MakeFactory<RotaryEmbedding>()});
  r.Register({kCpuProvider, "", "RMSNormalization", 23, INT64_MAX, FloatingTypes(), MakeFactory<RMSNormalization>()});
  r.Register({kCpuProvider, "", "SwiGLU", 28, INT64_MAX, FloatingTypes(), MakeFactory<SwiGLU>()});
  std::vector<DataType> all = AllNumericTypes();
  all.push_back(DataType::Bool);
  r.Register({kCpuProvider, "", "TensorScatter", 24, INT64_MAX, all, MakeFactory<TensorScatter>()});
}

}  // namespace onyx
