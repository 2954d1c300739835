// com.microsoft MultiHeadAttention (float), as onnxruntime's contrib op defines it, for the
// self- and cross-attention that the optimizer's AttentionFusion writes in place of the
// Reshape/Transpose/MatMul/Softmax chain of BERT- and GPT-style exports:
//   query [B, S, N*H], key [B, T, N*H], value [B, T, N*Hv], optional bias [N*H + N*H + N*Hv]
//   added to them, key_padding_mask int32 [B, T] (0: the key is masked with mask_filter_value),
//   attention_bias [B or 1, N or 1, S, T] added to the scaled scores, unidirectional (a query
//   attends to keys up to its own position, aligned at the end of the keys), scale (0: 1/sqrt(H)).
// Output [B, S, N*Hv]. The KV cache inputs and outputs and packed/BNSH layouts are not supported.
// Every (batch, head) pair is one task: scale * Q K^T by the packed GEMM straight on the strided
// head columns of query and key (no transposed copies), the bias, mask and softmax row by row in
// vectorised passes, then probabilities x V written into the head's columns of the output.
#include <cmath>
#include <limits>

#include "core/memory_limits.h"
#include "core/thread_pool.h"
#include "llm/llm_common.h"
#include "mlas/gemm.h"
#include "mlas/math_activations.h"

namespace onyx {

namespace {

class MultiHeadAttention final : public OpKernel {
 public:
  explicit MultiHeadAttention(const KernelInfo& info)
      : num_heads_(info.GetInt("num_heads", 0)),
        scale_(info.GetFloat("scale", 0.0f)),
        mask_filter_value_(info.GetFloat("mask_filter_value", -10000.0f)),
        unidirectional_(info.GetInt("unidirectional", 0) != 0) {
    if (num_heads_ <= 0)
      throw info.MakeError(ErrorCode::InvalidArgument, "num_heads must be positive, got " + std::to_string(num_heads_));
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& Q = ctx.Input(0);
    const Tensor* K = ctx.OptionalInput(1);
    const Tensor* V = ctx.OptionalInput(2);
    const Tensor* bias = ctx.OptionalInput(3);
    const Tensor* padding = ctx.OptionalInput(4);
    const Tensor* attn_bias = ctx.OptionalInput(5);
    for (size_t i = 6; i < ctx.node().inputs.size(); ++i)
      if (!ctx.node().inputs[i].empty())
        throw ctx.MakeError(ErrorCode::NotImplemented, "past_key, past_value and the other cache inputs are not supported");
    for (size_t i = 1; i < ctx.node().outputs.size(); ++i)
      if (ctx.has_output(i))
        throw ctx.MakeError(ErrorCode::NotImplemented, "present_key, present_value and qk outputs are not supported");
    if (!K || !V) throw ctx.MakeError(ErrorCode::NotImplemented, "packed QKV (query without key and value) is not supported");
    for (const Tensor* t : {&Q, K, V})
      if (t->dtype() != DataType::Float)
        throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(t->dtype()) + " is not supported");
    if (Q.rank() != 3 || K->rank() != 3 || V->rank() != 3)
      throw ctx.MakeError(ErrorCode::NotImplemented, "query, key and value must be 3-D [batch, sequence, hidden], got " +
                                                         ShapeToString(Q.shape()) + ", " + ShapeToString(K->shape()) + " and " +
                                                         ShapeToString(V->shape()));
    const int64_t B = Q.dim(0), S = Q.dim(1), D = Q.dim(2), T = K->dim(1), Dv = V->dim(2), N = num_heads_;
    if (K->dim(0) != B || V->dim(0) != B || V->dim(1) != T || K->dim(2) != D)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "key " + ShapeToString(K->shape()) + " and value " +
                                                          ShapeToString(V->shape()) + " do not fit query " + ShapeToString(Q.shape()));
    if (D % N != 0 || Dv % N != 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "hidden sizes " + std::to_string(D) + " and " + std::to_string(Dv) +
                                                          " must be divisible by num_heads " + std::to_string(N));
    const int64_t H = D / N, Hv = Dv / N;

    // The bias is added to copies of the inputs (the fusion itself passes biased inputs).
    std::vector<float> qb, kb, vb;
    const float* q = Q.data<float>();
    const float* k = K->data<float>();
    const float* v = V->data<float>();
    if (bias) {
      if (bias->dtype() != DataType::Float || bias->rank() != 1 || bias->dim(0) != 2 * D + Dv)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "bias must be float [" + std::to_string(2 * D + Dv) + "], got " +
                                                            ShapeToString(bias->shape()));
      const float* b = bias->data<float>();
      auto add = [](const float* x, int64_t rows, int64_t cols, const float* bb, std::vector<float>& out) {
        out.resize(static_cast<size_t>(rows * cols));
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c) out[static_cast<size_t>(r * cols + c)] = x[r * cols + c] + bb[c];
        return out.data();
      };
      q = add(q, B * S, D, b, qb);
      k = add(k, B * T, D, b + D, kb);
      v = add(v, B * T, Dv, b + 2 * D, vb);
    }

    const int32_t* pad = nullptr;
    if (padding) {
      if (padding->dtype() != DataType::Int32 || padding->rank() != 2 || padding->dim(0) != B || padding->dim(1) != T)
        throw ctx.MakeError(ErrorCode::NotImplemented, "key_padding_mask must be int32 [" + std::to_string(B) + ", " +
                                                           std::to_string(T) + "], got " + DataTypeName(padding->dtype()) + " " +
                                                           ShapeToString(padding->shape()));
      pad = padding->data<int32_t>();
    }
    // attention_bias broadcast over batch and heads: element strides of those two dims.
    const float* ab = nullptr;
    int64_t ab_batch_stride = 0, ab_head_stride = 0;
    if (attn_bias) {
      const auto& s = attn_bias->shape();
      if (attn_bias->dtype() != DataType::Float || s.size() != 4 || (s[0] != B && s[0] != 1) || (s[1] != N && s[1] != 1) ||
          s[2] != S || s[3] != T)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "attention_bias must be float [" + std::to_string(B) + " or 1, " +
                                                            std::to_string(N) + " or 1, " + std::to_string(S) + ", " +
                                                            std::to_string(T) + "], got " + ShapeToString(s));
      ab = attn_bias->data<float>();
      ab_head_stride = s[1] == 1 ? 0 : S * T;
      ab_batch_stride = s[0] == 1 ? 0 : s[1] * S * T;
    }

    Tensor& Y = ctx.Output(0, DataType::Float, {B, S, Dv});
    float* y = Y.data<float>();
    if (Y.size() == 0) return;
    if (T == 0 || Hv == 0) {
      std::fill(y, y + Y.size(), 0.f);  // no key to attend to: the weighted sum is empty
      return;
    }
    const float scale = scale_ != 0.f ? scale_ : static_cast<float>(1.0 / std::sqrt(static_cast<double>(H)));
    CheckAllocationSize(S * T, sizeof(float), "MultiHeadAttention scores");

    auto task = [&](int64_t begin, int64_t end) {
      std::vector<float> scores(static_cast<size_t>(S * T));
      std::vector<float> row_bias(static_cast<size_t>(T));
      for (int64_t t = begin; t < end; ++t) {
        const int64_t b = t / N, h = t % N;
        const float* qh = q + b * S * D + h * H;
        const float* kh = k + b * T * D + h * H;
        const float* vh = v + b * T * Dv + h * Hv;
        float* sc = scores.data();
        if (H > 0) mlas::Sgemm(false, true, S, T, H, scale, qh, D, kh, D, 0.f, sc, T, nullptr);
        else std::fill(scores.begin(), scores.end(), 0.f);
        // The key padding row is the same for every query: built once per task.
        const bool any_row_bias = pad != nullptr;
        if (pad)
          for (int64_t j = 0; j < T; ++j) row_bias[j] = pad[b * T + j] == 0 ? mask_filter_value_ : 0.f;
        const float* abh = ab ? ab + b * ab_batch_stride + h * ab_head_stride : nullptr;
        for (int64_t i = 0; i < S; ++i) {
          float* row = sc + i * T;
          if (abh) {
            const float* a = abh + i * T;
            for (int64_t j = 0; j < T; ++j) row[j] += a[j];
          }
          if (any_row_bias)
            for (int64_t j = 0; j < T; ++j) row[j] += row_bias[j];
          int64_t len = T;
          if (unidirectional_) {
            // Keys after the query's own position (aligned at the end of the keys) get weight 0.
            len = std::min<int64_t>(T, std::max<int64_t>(0, i + 1 + (T - S)));
            std::fill(row + len, row + T, 0.f);
          }
          if (len == 0) continue;
          const float mx = mlas::ReduceMaxF32(row, len);
          const float sum = mlas::ExpShiftSumF32(row, row, len, mx);
          mlas::ScaleF32(row, len, 1.f / sum);
        }
        mlas::Sgemm(false, false, S, Hv, T, 1.f, sc, T, vh, Dv, 0.f, y + b * S * Dv + h * Hv, Dv, nullptr);
      }
    };
    ParallelFor(ctx.thread_pool(), B * N, static_cast<double>(S * T * (H + Hv + 8)) * 2, task);
  }

 private:
  int64_t num_heads_;
  float scale_, mask_filter_value_;
  bool unidirectional_;
};

}  // namespace

void RegisterMultiHeadAttentionKernels(KernelRegistry& r) {
  KernelDef def;
  def.provider = kCpuProvider;
  def.domain = "com.microsoft";
  def.op_type = "MultiHeadAttention";
  def.since_version = 1;
  def.end_version = INT64_MAX;
  def.types = {DataType::Float};
  def.factory = MakeFactory<MultiHeadAttention>();
  r.Register(std::move(def));
}

}  // namespace onyx
