// FlexAttention (ai.onnx.preview 1): rank-4 scaled dot-product attention with grouped KV heads
// and two optional subgraphs, score_mod (on the scaled scores) and prob_mod (on the softmax
// output), both run on (B, Hq, L, S) tensors of the softmax precision.
#include <cmath>

#include "core/thread_pool.h"
#include "llm/llm_common.h"
#include "mlas/gemm.h"
#include "mlas/llm_softmax.h"

namespace onyx {

namespace {

inline void Gemm(bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, const float* B, float* Cm) {
  mlas::Sgemm(false, trans_b, M, N, K, 1.0f, A, K, B, trans_b ? K : N, 0.0f, Cm, N, nullptr);
}
inline void Gemm(bool trans_b, int64_t M, int64_t N, int64_t K, const double* A, const double* B, double* Cm) {
  mlas::Dgemm(false, trans_b, M, N, K, 1.0, A, K, B, trans_b ? K : N, 0.0, Cm, N, nullptr);
}

class FlexAttention final : public OpKernel {
 public:
  explicit FlexAttention(const KernelInfo& info)
      : has_scale_(info.HasAttribute("scale")),
        scale_(info.GetFloat("scale", 0.0f)),
        softmax_precision_(info.GetInt("softmax_precision", 0)) {
    if (const Graph* g = info.GetGraph("score_mod")) score_mod_ = info.CompileSubgraph(*g);
    if (const Graph* g = info.GetGraph("prob_mod")) prob_mod_ = info.CompileSubgraph(*g);
    if (softmax_precision_ != 0 && softmax_precision_ != 1 && softmax_precision_ != 10 && softmax_precision_ != 11 &&
        softmax_precision_ != 16)
      throw info.MakeError(ErrorCode::InvalidArgument, "softmax_precision must be 1, 10, 11 or 16, got " +
                                                           std::to_string(softmax_precision_));
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& Q = ctx.Input(0);
    RequireFloating(Q, ctx, "Q");
    DataType prec = static_cast<DataType>(softmax_precision_);
    if (softmax_precision_ == 0) prec = Q.dtype() == DataType::Double ? DataType::Double : DataType::Float;
    if (prec == DataType::Double) Run<double>(ctx, prec);
    else Run<float>(ctx, prec);
  }

 private:
  template <typename C>
  void ApplyMod(KernelContext& ctx, const Subgraph& g, std::vector<C>& values, DataType prec,
                const std::vector<int64_t>& shape, const char* name) const {
    Tensor t(prec, shape);
    StoreAs<C>(values.data(), t, 0, t.size());
    std::vector<Value> outs = g.Run(ctx, {Value(t)});
    if (outs.size() != 1 || !outs[0].is_tensor())
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(name) + " must produce exactly one tensor");
    const Tensor& r = outs[0].tensor();
    if (r.shape() != shape)
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(name) + " changed the shape " + ShapeToString(shape) +
                                                          " to " + ShapeToString(r.shape()));
    LoadAs<C>(r, values.data(), 0, r.size(), ctx);
  }

  template <typename C>
  void Run(KernelContext& ctx, DataType prec) const {
    const Tensor& Q = ctx.Input(0);
    const Tensor& K = ctx.Input(1);
    const Tensor& V = ctx.Input(2);
    RequireFloating(K, ctx, "K");
    RequireFloating(V, ctx, "V");
    if (Q.rank() != 4 || K.rank() != 4 || V.rank() != 4)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "Q, K and V must be rank 4");
    const int64_t B = Q.dim(0), Hq = Q.dim(1), L = Q.dim(2), E = Q.dim(3);
    const int64_t Hk = K.dim(1), S = K.dim(2), Ev = V.dim(3);
    if (K.dim(0) != B || V.dim(0) != B || K.dim(3) != E || V.dim(1) != Hk || V.dim(2) != S)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "shapes Q " + ShapeToString(Q.shape()) + ", K " + ShapeToString(K.shape()) +
                                                          ", V " + ShapeToString(V.shape()) + " do not agree");
    if (Hk <= 0 || Hq % Hk != 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "q heads " + std::to_string(Hq) + " must be a multiple of kv heads " +
                                                          std::to_string(Hk));
    const int64_t G = Hq / Hk;
    const double scale = has_scale_ ? scale_ : 1.0 / std::sqrt(static_cast<double>(E));
    const C sq = Q.dtype() == DataType::Double ? static_cast<C>(std::sqrt(static_cast<float>(scale)))
                                               : static_cast<C>(RoundTo(Q.dtype(), std::sqrt(static_cast<float>(scale))));
    std::vector<C> q = LoadAll<C>(Q, ctx), k = LoadAll<C>(K, ctx);
    const std::vector<C> v = LoadAll<C>(V, ctx);
    for (C& x : q) x *= sq;
    for (C& x : k) x *= sq;
    const std::vector<int64_t> sshape = {B, Hq, L, S};
    std::vector<C> scores(static_cast<size_t>(ShapeSize(sshape)));
    ThreadPool* pool = ctx.thread_pool();
    const bool round = prec == DataType::Float16 || prec == DataType::BFloat16;
    ParallelFor(pool, B * Hq, static_cast<double>(L * S * E * 2), [&](int64_t b0, int64_t b1) {
      for (int64_t t = b0; t < b1; ++t) {
        const int64_t b = t / Hq, hk = (t % Hq) / G;
        if (S > 0 && E > 0) Gemm(true, L, S, E, q.data() + t * L * E, k.data() + (b * Hk + hk) * S * E, scores.data() + t * L * S);
      }
    });
    if (round)
      for (C& x : scores) x = static_cast<C>(RoundTo(prec, static_cast<float>(x)));
    if (score_mod_) ApplyMod<C>(ctx, *score_mod_, scores, prec, sshape, "score_mod");
    ParallelFor(pool, B * Hq * L, static_cast<double>(S * 8), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        mlas::LlmSoftmaxRow(scores.data() + r * S, S);
        if (round)
          for (int64_t j = 0; j < S; ++j) scores[r * S + j] = static_cast<C>(RoundTo(prec, static_cast<float>(scores[r * S + j])));
      }
    });
    if (prob_mod_) ApplyMod<C>(ctx, *prob_mod_, scores, prec, sshape, "prob_mod");
    std::vector<C> y(static_cast<size_t>(ShapeSize({B, Hq, L, Ev})), C(0));
    ParallelFor(pool, B * Hq, static_cast<double>(L * S * Ev * 2), [&](int64_t b0, int64_t b1) {
      for (int64_t t = b0; t < b1; ++t) {
        const int64_t b = t / Hq, hk = (t % Hq) / G;
        if (S > 0 && Ev > 0) Gemm(false, L, Ev, S, scores.data() + t * L * S, v.data() + (b * Hk + hk) * S * Ev, y.data() + t * L * Ev);
      }
    });
    StoreAs<C>(y.data(), ctx.Output(0, V.dtype(), {B, Hq, L, Ev}), 0, static_cast<int64_t>(y.size()));
  }

  bool has_scale_;
  float scale_;
  int64_t softmax_precision_;
  std::shared_ptr<Subgraph> score_mod_, prob_mod_;
};

}  // namespace

void RegisterFlexAttentionKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "ai.onnx.preview", "FlexAttention", 1, INT64_MAX, FloatingTypes(), MakeFactory<FlexAttention>()});
}

}  // namespace onyx
