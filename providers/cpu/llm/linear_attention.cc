// Recurrent LLM blocks (ai.onnx 27): LinearAttention (linear / gated / delta / gated_delta
// state recurrences with grouped KV heads) and CausalConvWithState (depthwise causal conv1d
// that carries its last k-1 inputs). Both compute in float (double for double inputs).
#include <cmath>

#include "core/thread_pool.h"
#include "llm/llm_common.h"

namespace onyx {

namespace {

class LinearAttention final : public OpKernel {
 public:
  explicit LinearAttention(const KernelInfo& info)
      : q_heads_(info.GetInt("q_num_heads", 0)),
        kv_heads_(info.GetInt("kv_num_heads", 0)),
        scale_(info.GetFloat("scale", 0.0f)),
        rule_(info.GetString("update_rule", "gated_delta")) {
    if (rule_ != "linear" && rule_ != "gated" && rule_ != "delta" && rule_ != "gated_delta")
      throw info.MakeError(ErrorCode::InvalidArgument, "update_rule must be linear, gated, delta or gated_delta, got '" + rule_ + "'");
    if (q_heads_ <= 0 || kv_heads_ <= 0 || q_heads_ % kv_heads_ != 0)
      throw info.MakeError(ErrorCode::InvalidArgument, "q_num_heads (" + std::to_string(q_heads_) +
                                                           ") must be a positive multiple of kv_num_heads (" +
                                                           std::to_string(kv_heads_) + ")");
  }

  void Compute(KernelContext& ctx) const override {
    if (ctx.Input(0).dtype() == DataType::Double) Run<double>(ctx);
    else Run<float>(ctx);
  }

 private:
  template <typename C>
  void Run(KernelContext& ctx) const {
    const Tensor& Qt = ctx.Input(0);
    const Tensor& Kt = ctx.Input(1);
    const Tensor& Vt = ctx.Input(2);
    const Tensor* past = ctx.OptionalInput(3);
    const Tensor* decay_t = ctx.OptionalInput(4);
    const Tensor* beta_t = ctx.OptionalInput(5);
    RequireFloating(Qt, ctx, "query");
    RequireFloating(Kt, ctx, "key");
    RequireFloating(Vt, ctx, "value");
    const bool gating = rule_ == "gated" || rule_ == "gated_delta";
    const bool delta = rule_ == "delta" || rule_ == "gated_delta";
    if (gating != (decay_t != nullptr))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "update_rule '" + rule_ + (gating ? "' requires" : "' forbids") + " the decay input");
    if (delta != (beta_t != nullptr))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "update_rule '" + rule_ + (delta ? "' requires" : "' forbids") + " the beta input");
    if (Qt.rank() != 3 || Kt.rank() != 3 || Vt.rank() != 3)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "query, key and value must be rank 3 (B, T, H*D)");
    const int64_t B = Qt.dim(0), T = Qt.dim(1), Hq = q_heads_, Hk = kv_heads_, G = Hq / Hk;
    if (Qt.dim(2) % Hq != 0 || Kt.dim(2) % Hk != 0 || Vt.dim(2) % Hk != 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "hidden sizes are not divisible by the head counts");
    const int64_t dk = Qt.dim(2) / Hq, dv = Vt.dim(2) / Hk;
    if (Kt.shape() != std::vector<int64_t>{B, T, Hk * dk} || Vt.dim(0) != B || Vt.dim(1) != T)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "key " + ShapeToString(Kt.shape()) + " / value " +
                                                          ShapeToString(Vt.shape()) + " do not match query " +
                                                          ShapeToString(Qt.shape()));
    int64_t decay_width = 0, beta_width = 0;
    if (decay_t) {
      if (decay_t->rank() != 3 || decay_t->dim(0) != B || decay_t->dim(1) != T ||
          (decay_t->dim(2) != Hk && decay_t->dim(2) != Hk * dk))
        throw ctx.MakeError(ErrorCode::InvalidArgument, "decay must be (B, T, kv_heads) or (B, T, kv_heads*d_k), got " +
                                                            ShapeToString(decay_t->shape()));
      decay_width = decay_t->dim(2);
    }
    if (beta_t) {
      if (beta_t->rank() != 3 || beta_t->dim(0) != B || beta_t->dim(1) != T || (beta_t->dim(2) != Hk && beta_t->dim(2) != 1))
        throw ctx.MakeError(ErrorCode::InvalidArgument, "beta must be (B, T, kv_heads) or (B, T, 1), got " +
                                                            ShapeToString(beta_t->shape()));
      beta_width = beta_t->dim(2);
    }
    const std::vector<int64_t> state_shape = {B, Hk, dk, dv};
    std::vector<C> state(static_cast<size_t>(ShapeSize(state_shape)), C(0));
    if (past) {
      if (past->shape() != state_shape)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "past_state must have shape " + ShapeToString(state_shape) + ", got " +
                                                            ShapeToString(past->shape()));
      RequireFloating(*past, ctx, "past_state");
      LoadAs<C>(*past, state.data(), 0, past->size(), ctx);
    }
    const std::vector<C> q = LoadAll<C>(Qt, ctx), k = LoadAll<C>(Kt, ctx), v = LoadAll<C>(Vt, ctx);
    const std::vector<C> decay = decay_t ? LoadAll<C>(*decay_t, ctx) : std::vector<C>();
    const std::vector<C> beta = beta_t ? LoadAll<C>(*beta_t, ctx) : std::vector<C>();
    const C scale = scale_ == 0.0f ? C(1) / std::sqrt(static_cast<C>(dk)) : static_cast<C>(scale_);
    std::vector<C> out(static_cast<size_t>(B * T * Hq * dv), C(0));
    ParallelFor(ctx.thread_pool(), B * Hk, static_cast<double>(T * dk * dv * (4 + G)), [&](int64_t begin, int64_t end) {
      std::vector<C> vt(static_cast<size_t>(dv)), gate(static_cast<size_t>(dk));
      for (int64_t bh = begin; bh < end; ++bh) {
        const int64_t b = bh / Hk, h = bh % Hk;
        C* S = state.data() + bh * dk * dv;
        for (int64_t t = 0; t < T; ++t) {
          const int64_t bt = b * T + t;
          const C* kt = k.data() + (bt * Hk + h) * dk;
          const C* vin = v.data() + (bt * Hk + h) * dv;
          if (gating) {
            for (int64_t d = 0; d < dk; ++d)
              gate[d] = std::exp(decay_width == Hk ? decay[bt * Hk + h] : decay[(bt * Hk + h) * dk + d]);
            for (int64_t d = 0; d < dk; ++d)
              for (int64_t m = 0; m < dv; ++m) S[d * dv + m] *= gate[d];
          }
          if (delta) {
            const C bv = beta[bt * beta_width + (beta_width == 1 ? 0 : h)];
            for (int64_t m = 0; m < dv; ++m) {
              C r = 0;
              for (int64_t d = 0; d < dk; ++d) r += S[d * dv + m] * kt[d];
              vt[m] = bv * (vin[m] - r);
            }
          } else {
            std::copy(vin, vin + dv, vt.begin());
          }
          for (int64_t d = 0; d < dk; ++d)
            for (int64_t m = 0; m < dv; ++m) S[d * dv + m] += kt[d] * vt[m];
          for (int64_t g = 0; g < G; ++g) {
            const int64_t hq = h * G + g;
            const C* qt = q.data() + (bt * Hq + hq) * dk;
            C* o = out.data() + (bt * Hq + hq) * dv;
            for (int64_t m = 0; m < dv; ++m) {
              C acc = 0;
              for (int64_t d = 0; d < dk; ++d) acc += qt[d] * S[d * dv + m];
              o[m] = scale * acc;
            }
          }
        }
      }
    });
    StoreAs<C>(out.data(), ctx.Output(0, Qt.dtype(), {B, T, Hq * dv}), 0, static_cast<int64_t>(out.size()));
    if (ctx.has_output(1))
      StoreAs<C>(state.data(), ctx.Output(1, past ? past->dtype() : Qt.dtype(), state_shape), 0,
                 static_cast<int64_t>(state.size()));
  }

  int64_t q_heads_, kv_heads_;
  float scale_;
  std::string rule_;
};

class CausalConvWithState final : public OpKernel {
 public:
  explicit CausalConvWithState(const KernelInfo& info) : activation_(info.GetString("activation", "none")) {
    if (activation_ != "none" && activation_ != "silu" && activation_ != "swish")
      throw info.MakeError(ErrorCode::InvalidArgument, "activation must be none, silu or swish, got '" + activation_ + "'");
  }

  void Compute(KernelContext& ctx) const override {
    if (ctx.Input(0).dtype() == DataType::Double) Run<double>(ctx);
    else Run<float>(ctx);
  }

 private:
  template <typename C>
  void Run(KernelContext& ctx) const {
    const Tensor& X = ctx.Input(0);
    const Tensor& W = ctx.Input(1);
    const Tensor* bias_t = ctx.OptionalInput(2);
    const Tensor* past = ctx.OptionalInput(3);
    RequireFloating(X, ctx, "input");
    RequireFloating(W, ctx, "weight");
    if (X.rank() != 3) throw ctx.MakeError(ErrorCode::InvalidArgument, "input must be rank 3 (B, C, L), got " + ShapeToString(X.shape()));
    const int64_t B = X.dim(0), Ch = X.dim(1), L = X.dim(2);
    if (W.rank() != 3 || W.dim(0) != Ch || W.dim(1) != 1 || W.dim(2) < 1)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "weight must be (channels, 1, k) with channels " + std::to_string(Ch) +
                                                          ", got " + ShapeToString(W.shape()));
    const int64_t K = W.dim(2), P = K - 1, Lp = L + P;
    if (bias_t && (bias_t->rank() != 1 || bias_t->dim(0) != Ch))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "bias must be (channels,), got " + ShapeToString(bias_t->shape()));
    if (past && past->shape() != std::vector<int64_t>{B, Ch, P})
      throw ctx.MakeError(ErrorCode::InvalidArgument, "past_state must be " + ShapeToString({B, Ch, P}) + ", got " +
                                                          ShapeToString(past->shape()));
    const std::vector<C> w = LoadAll<C>(W, ctx);
    const std::vector<C> bias = bias_t ? LoadAll<C>(*bias_t, ctx) : std::vector<C>(static_cast<size_t>(Ch), C(0));
    // Padded rows (past state, then input) per (batch, channel).
    std::vector<C> padded(static_cast<size_t>(ShapeSize({B, Ch, Lp})), C(0));
    for (int64_t bc = 0; bc < B * Ch; ++bc) {
      if (past) LoadAs<C>(*past, padded.data() + bc * Lp, bc * P, P, ctx);
      LoadAs<C>(X, padded.data() + bc * Lp + P, bc * L, L, ctx);
    }
    std::vector<C> out(static_cast<size_t>(B * Ch * L));
    const bool silu = activation_ != "none";
    const bool half = X.dtype() == DataType::Float16 || X.dtype() == DataType::BFloat16;
    ParallelFor(ctx.thread_pool(), B * Ch, static_cast<double>(L * K * 2), [&](int64_t begin, int64_t end) {
      for (int64_t bc = begin; bc < end; ++bc) {
        const int64_t c = bc % Ch;
        const C* row = padded.data() + bc * Lp;
        const C* wc = w.data() + c * K;
        for (int64_t t = 0; t < L; ++t) {
          C acc = bias[c];
          for (int64_t i = 0; i < K; ++i) acc += wc[i] * row[t + i];
          // The reference rounds the convolution to the input type before the activation.
          if (half) acc = static_cast<C>(RoundTo(X.dtype(), static_cast<float>(acc)));
          if (silu) acc = acc / (C(1) + std::exp(-acc));
          out[bc * L + t] = acc;
        }
      }
    });
    StoreAs<C>(out.data(), ctx.Output(0, X.dtype(), X.shape()), 0, static_cast<int64_t>(out.size()));
    if (ctx.has_output(1)) {
      Tensor& st = ctx.Output(1, X.dtype(), {B, Ch, P});
      for (int64_t bc = 0; bc < B * Ch; ++bc) StoreAs<C>(padded.data() + bc * Lp + L, st, bc * P, P);
    }
  }

  std::string activation_;
};

}  // namespace

void RegisterRecurrentLlmKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "", "LinearAttention", 27, INT64_MAX, FloatingTypes(), MakeFactory<LinearAttention>()});
  r.Register({kCpuProvider, "", "CausalConvWithState", 27, INT64_MAX, FloatingTypes(), MakeFactory<CausalConvWithState>()});
}

}  // namespace onyx
