// Attention (ai.onnx 23, 24, 25): scaled dot-product attention over 3-D (packed heads) or 4-D
// inputs with grouped KV heads, an internal KV cache (past/present), boolean or additive masks,
// causal and sliding-window masks aligned at the cache offset, nonpad_kv_seqlen padding, softcap
// and the optional qk_matmul_output. float16/bfloat16 compute in float, double in double.
// Every (batch, query head) pair is an independent task: two GEMMs around a row softmax.
#include <cmath>
#include <limits>

#include "core/thread_pool.h"
#include "llm/llm_common.h"
#include "mlas/gemm.h"
#include "mlas/llm_softmax.h"

namespace onyx {

namespace {

// C = A * B^T (trans_b) or A * B, row-major.
inline void Gemm(bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                 int64_t ldb, float* Cm, int64_t ldc) {
  mlas::Sgemm(false, trans_b, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, Cm, ldc, nullptr);
}
inline void Gemm(bool trans_b, int64_t M, int64_t N, int64_t K, const double* A, int64_t lda, const double* B,
                 int64_t ldb, double* Cm, int64_t ldc) {
  mlas::Dgemm(false, trans_b, M, N, K, 1.0, A, lda, B, ldb, 0.0, Cm, ldc, nullptr);
}

// Softmax with every intermediate rounded by R, as numpy computes it on 16-bit arrays: float16
// sums accumulate in float, bfloat16 (ml_dtypes) sums round after every addition.
template <typename C, typename Round>
void SoftmaxRowRounded(C* row, int64_t n, bool round_sum, const Round& R) {
  C m = -std::numeric_limits<C>::infinity();
  for (int64_t j = 0; j < n; ++j) m = std::isnan(row[j]) || row[j] > m ? row[j] : m;
  if (std::isinf(m) && m < 0) m = 0;
  C sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    row[j] = R(std::exp(R(row[j] - m)));
    sum = round_sum ? R(sum + row[j]) : sum + row[j];
  }
  sum = R(sum);
  if (sum == 0) sum = 1;
  for (int64_t j = 0; j < n; ++j) row[j] = R(row[j] / sum);
}

struct AttentionDims {
  int64_t batch = 0, q_heads = 0, kv_heads = 0, q_len = 0, kv_len = 0, past_len = 0, total_len = 0;
  int64_t head_size = 0, v_head_size = 0;
  bool three_d = false;
};

// The attention mask broadcast to (batch, q_heads, q_len, total_len): element strides per dim
// (0 where broadcast) and the length of its last dim (keys past it are masked out).
struct MaskLayout {
  int64_t strides[3] = {0, 0, 0};
  int64_t last = 0;
};

class Attention final : public OpKernel {
 public:
  explicit Attention(const KernelInfo& info)
      : is_causal_(info.GetInt("is_causal", 0) != 0),
        q_num_heads_(info.GetInt("q_num_heads", 0)),
        kv_num_heads_(info.GetInt("kv_num_heads", 0)),
        has_scale_(info.HasAttribute("scale")),
        scale_(info.GetFloat("scale", 0.0f)),
        softcap_(info.GetFloat("softcap", 0.0f)),
        qk_mode_(info.GetInt("qk_matmul_output_mode", 0)),
        softmax_precision_(info.GetInt("softmax_precision", 0)),
        left_window_(info.GetInt("left_window_size", -1)),
        right_window_(info.GetInt("right_window_size", -1)) {
    if (qk_mode_ < 0 || qk_mode_ > 3)
      throw info.MakeError(ErrorCode::InvalidArgument,
                           "qk_matmul_output_mode must be 0, 1, 2 or 3, got " + std::to_string(qk_mode_));
    if (left_window_ < -1 || right_window_ < -1)
      throw info.MakeError(ErrorCode::InvalidArgument, "window sizes must be -1 or nonnegative");
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& Q = ctx.Input(0);
    RequireFloating(Q, ctx, "Q");
    if (Q.dtype() == DataType::Double) Run<double>(ctx);
    else Run<float>(ctx);
  }

 private:
  AttentionDims CheckShapes(const KernelContext& ctx) const {
    const Tensor& Q = ctx.Input(0);
    const Tensor& K = ctx.Input(1);
    const Tensor& V = ctx.Input(2);
    RequireFloating(K, ctx, "K");
    RequireFloating(V, ctx, "V");
    const Tensor* past_k = ctx.OptionalInput(4);
    const Tensor* past_v = ctx.OptionalInput(5);
    AttentionDims d;
    const size_t r = Q.rank();
    if ((r != 3 && r != 4) || K.rank() != r || V.rank() != r)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "Q, K and V must all be 3-D or all be 4-D, got " +
                                                          ShapeToString(Q.shape()) + ", " + ShapeToString(K.shape()) +
                                                          " and " + ShapeToString(V.shape()));
    d.batch = Q.dim(0);
    if (K.dim(0) != d.batch || V.dim(0) != d.batch)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "Q, K and V must have the same batch size");
    if (r == 3) {
      d.three_d = true;
      d.q_heads = q_num_heads_;
      d.kv_heads = kv_num_heads_;
      if (d.q_heads <= 0 || d.kv_heads <= 0)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "3-D inputs need positive q_num_heads and kv_num_heads attributes");
      if (Q.dim(2) % d.q_heads != 0 || K.dim(2) % d.kv_heads != 0 || V.dim(2) % d.kv_heads != 0)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "hidden sizes of Q " + ShapeToString(Q.shape()) + ", K " +
                                                            ShapeToString(K.shape()) + " and V " + ShapeToString(V.shape()) +
                                                            " must be divisible by the head counts");
      d.q_len = Q.dim(1);
      d.kv_len = K.dim(1);
      d.head_size = Q.dim(2) / d.q_heads;
      if (K.dim(2) / d.kv_heads != d.head_size)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "K head size " + std::to_string(K.dim(2) / d.kv_heads) +
                                                            " differs from the Q head size " + std::to_string(d.head_size));
      d.v_head_size = V.dim(2) / d.kv_heads;
      if (V.dim(1) != d.kv_len) throw ctx.MakeError(ErrorCode::InvalidArgument, "K and V sequence lengths differ");
    } else {
      d.q_heads = Q.dim(1);
      d.kv_heads = K.dim(1);
      d.q_len = Q.dim(2);
      d.kv_len = K.dim(2);
      d.head_size = Q.dim(3);
      d.v_head_size = V.dim(3);
      if (K.dim(3) != d.head_size)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "K head size " + std::to_string(K.dim(3)) +
                                                            " differs from the Q head size " + std::to_string(d.head_size));
      if (V.dim(1) != d.kv_heads || V.dim(2) != d.kv_len)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "V shape " + ShapeToString(V.shape()) + " does not match K shape " +
                                                            ShapeToString(K.shape()));
    }
    if (d.kv_heads <= 0 || d.q_heads % d.kv_heads != 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "q_num_heads " + std::to_string(d.q_heads) +
                                                          " must be a multiple of kv_num_heads " + std::to_string(d.kv_heads));
    if ((past_k == nullptr) != (past_v == nullptr))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "past_key and past_value must be given together");
    if (past_k) {
      if (ctx.has_input(6))
        throw ctx.MakeError(ErrorCode::InvalidArgument, "nonpad_kv_seqlen cannot be combined with past_key/past_value");
      const std::vector<int64_t> ek = {d.batch, d.kv_heads, past_k->rank() == 4 ? past_k->dim(2) : -1, d.head_size};
      if (past_k->shape() != ek)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "past_key must have shape (batch, kv_heads, past_len, head_size), got " +
                                                            ShapeToString(past_k->shape()));
      d.past_len = past_k->dim(2);
      const std::vector<int64_t> ev = {d.batch, d.kv_heads, d.past_len, d.v_head_size};
      if (past_v->shape() != ev)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "past_value must have shape " + ShapeToString(ev) + ", got " +
                                                            ShapeToString(past_v->shape()));
      if (past_k->dtype() != K.dtype() || past_v->dtype() != V.dtype())
        throw ctx.MakeError(ErrorCode::InvalidArgument, "past_key/past_value element types must match K/V");
    }
    d.total_len = d.past_len + d.kv_len;
    ShapeSize({d.batch, d.q_heads, d.q_len, d.total_len});
    return d;
  }

  MaskLayout CheckMask(const Tensor& m, const AttentionDims& d, const KernelContext& ctx) const {
    if (m.rank() > 4)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "attn_mask must have rank <= 4, got " + ShapeToString(m.shape()));
    std::vector<int64_t> md(4 - m.rank(), 1);
    md.insert(md.end(), m.shape().begin(), m.shape().end());
    MaskLayout l;
    l.last = m.rank() == 0 ? d.total_len : md[3];
    if (m.rank() > 0 && l.last > d.total_len)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "attn_mask " + ShapeToString(m.shape()) + " is longer than the total sequence length " +
                                                          std::to_string(d.total_len));
    const int64_t target[3] = {d.batch, d.q_heads, d.q_len};
    int64_t stride = m.rank() == 0 ? 0 : l.last;
    for (int k = 2; k >= 0; --k) {
      if (md[k] != 1 && md[k] != target[k])
        throw ctx.MakeError(ErrorCode::InvalidArgument, "attn_mask " + ShapeToString(m.shape()) +
                                                            " does not broadcast to (batch, q_heads, q_len, total_len) = " +
                                                            ShapeToString({d.batch, d.q_heads, d.q_len, d.total_len}));
      l.strides[k] = md[k] == 1 ? 0 : stride;
      stride *= md[k];
    }
    return l;
  }

  // Loads a (batch, heads, len, size) view of a 3-D (batch, len, heads*size) or 4-D input into
  // dst laid out (batch, heads, dst_len, size) starting at sequence position dst_pos.
  template <typename C>
  static void LoadHeads(const Tensor& t, bool three_d, int64_t batch, int64_t heads, int64_t len, int64_t size,
                        C* dst, int64_t dst_len, int64_t dst_pos, const KernelContext& ctx) {
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t h = 0; h < heads; ++h) {
        C* out = dst + ((b * heads + h) * dst_len + dst_pos) * size;
        if (three_d) {
          for (int64_t s = 0; s < len; ++s) LoadAs<C>(t, out + s * size, (b * len + s) * heads * size + h * size, size, ctx);
        } else {
          LoadAs<C>(t, out, (b * heads + h) * len * size, len * size, ctx);
        }
      }
  }

  template <typename C>
  void Run(KernelContext& ctx) const {
    const AttentionDims d = CheckShapes(ctx);
    const Tensor& Q = ctx.Input(0);
    const Tensor& K = ctx.Input(1);
    const Tensor& V = ctx.Input(2);
    const Tensor* mask = ctx.OptionalInput(3);
    const Tensor* past_k = ctx.OptionalInput(4);
    const Tensor* past_v = ctx.OptionalInput(5);
    const Tensor* nonpad = ctx.OptionalInput(6);
    const DataType qt = Q.dtype();
    const bool half = qt == DataType::Float16 || qt == DataType::BFloat16;
    const int64_t B = d.batch, Hq = d.q_heads, Hkv = d.kv_heads, Sq = d.q_len, T = d.total_len, Dk = d.head_size,
                  Dv = d.v_head_size;

    std::vector<int64_t> nonpad_len;
    if (nonpad) {
      nonpad_len = ReadInt64s(*nonpad, ctx);
      if (static_cast<int64_t>(nonpad_len.size()) != B)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "nonpad_kv_seqlen must have shape (batch,) = (" + std::to_string(B) +
                                                            "), got " + ShapeToString(nonpad->shape()));
    }
    MaskLayout ml;
    std::vector<C> mask_values;
    if (mask) {
      ml = CheckMask(*mask, d, ctx);
      if (mask->dtype() == DataType::Bool) {
        mask_values.resize(static_cast<size_t>(mask->size()));
        const bool* mb = mask->data<bool>();
        for (int64_t i = 0; i < mask->size(); ++i) mask_values[i] = mb[i] ? C(0) : -std::numeric_limits<C>::infinity();
      } else {
        mask_values = LoadAll<C>(*mask, ctx);
      }
    }

    std::vector<C> q(static_cast<size_t>(ShapeSize({B, Hq, Sq, Dk})));
    std::vector<C> k(static_cast<size_t>(ShapeSize({B, Hkv, T, Dk})));
    std::vector<C> v(static_cast<size_t>(ShapeSize({B, Hkv, T, Dv})));
    LoadHeads<C>(Q, d.three_d, B, Hq, Sq, Dk, q.data(), Sq, 0, ctx);
    if (past_k) {
      LoadHeads<C>(*past_k, false, B, Hkv, d.past_len, Dk, k.data(), T, 0, ctx);
      LoadHeads<C>(*past_v, false, B, Hkv, d.past_len, Dv, v.data(), T, 0, ctx);
    }
    LoadHeads<C>(K, d.three_d, B, Hkv, d.kv_len, Dk, k.data(), T, d.past_len, ctx);
    LoadHeads<C>(V, d.three_d, B, Hkv, d.kv_len, Dv, v.data(), T, d.past_len, ctx);
    if (ctx.has_output(1)) StoreAs<C>(k.data(), ctx.Output(1, K.dtype(), {B, Hkv, T, Dk}), 0, static_cast<int64_t>(k.size()));
    if (ctx.has_output(2)) StoreAs<C>(v.data(), ctx.Output(2, V.dtype(), {B, Hkv, T, Dv}), 0, static_cast<int64_t>(v.size()));

    // The reference scales Q and K each by sqrt(scale), held in the input type.
    const double scale = has_scale_ ? static_cast<double>(scale_) : 1.0 / std::sqrt(static_cast<double>(Dk));
    const C sqrt_scale = static_cast<C>(RoundTo(qt, static_cast<float>(std::sqrt(scale))));
    const C sq = qt == DataType::Double ? static_cast<C>(std::sqrt(scale)) : sqrt_scale;
    // 16-bit results are only reproducible by rounding where the reference holds intermediates
    // in the input type (one bfloat16 ulp exceeds the usual tolerance).
    const bool emulate = half;
    auto R = [&](C x) { return emulate ? static_cast<C>(RoundTo(qt, static_cast<float>(x))) : x; };
    for (C& x : q) x = R(x * sq);
    std::vector<C> ks(k.size());
    for (size_t i = 0; i < k.size(); ++i) ks[i] = R(k[i] * sq);

    std::vector<int64_t> y_shape = d.three_d ? std::vector<int64_t>{B, Sq, Hq * Dv} : std::vector<int64_t>{B, Hq, Sq, Dv};
    std::vector<C> y(static_cast<size_t>(ShapeSize(y_shape)));
    const bool want_qk = ctx.has_output(3);
    std::vector<C> qk(want_qk ? static_cast<size_t>(B * Hq * Sq * T) : 0);
    const C neg_inf = -std::numeric_limits<C>::infinity();
    const int64_t group = Hq / Hkv;
    const bool round_probs = half || (softmax_precision_ == 10 || softmax_precision_ == 16);
    const DataType prob_type = half ? qt : static_cast<DataType>(softmax_precision_);

    auto task = [&](int64_t begin, int64_t end) {
      std::vector<C> scores(static_cast<size_t>(Sq * T));
      std::vector<C> bias(static_cast<size_t>(T));
      for (int64_t t = begin; t < end; ++t) {
        const int64_t b = t / Hq, h = t % Hq, hk = h / group;
        const C* qh = q.data() + t * Sq * Dk;
        const C* kh = ks.data() + (b * Hkv + hk) * T * Dk;
        const C* vh = v.data() + (b * Hkv + hk) * T * Dv;
        if (T > 0 && Dk > 0) Gemm(true, Sq, T, Dk, qh, Dk, kh, Dk, scores.data(), T);
        else std::fill(scores.begin(), scores.end(), C(0));
        const int64_t offset = nonpad ? nonpad_len[b] - Sq : d.past_len;
        for (int64_t i = 0; i < Sq; ++i) {
          C* row = scores.data() + i * T;
          C* qk_row = want_qk ? qk.data() + (t * Sq + i) * T : nullptr;
          if (emulate)
            for (int64_t j = 0; j < T; ++j) row[j] = R(row[j]);
          if (softcap_ > 0) {
            const C cap = static_cast<C>(softcap_);
            for (int64_t j = 0; j < T; ++j) row[j] = R(cap * R(std::tanh(R(row[j] / cap))));
          }
          if (qk_row && qk_mode_ <= 1) std::copy(row, row + T, qk_row);
          const C* mrow = mask ? mask_values.data() + b * ml.strides[0] + h * ml.strides[1] + i * ml.strides[2] : nullptr;
          const int64_t pos = i + offset;
          bool all_masked = true;
          for (int64_t j = 0; j < T; ++j) {
            C bj = 0;
            if (mrow) bj = j < ml.last ? mrow[mask->rank() == 0 ? 0 : j] : neg_inf;
            if (is_causal_ && j > pos) bj = neg_inf;
            if (left_window_ >= 0 && pos - j > left_window_) bj = neg_inf;
            if (right_window_ >= 0 && j - pos > right_window_) bj = neg_inf;
            if (nonpad && j >= nonpad_len[b]) bj = neg_inf;
            bias[j] = bj;
            all_masked = all_masked && std::isinf(bj) && bj < 0;
          }
          for (int64_t j = 0; j < T; ++j) row[j] = R(row[j] + bias[j]);
          if (qk_row && qk_mode_ == 2) std::copy(row, row + T, qk_row);
          // A row with no attendable key yields zeros (decided on the bias, not on the logits).
          if (all_masked) std::fill(row, row + T, C(0));
          else if (emulate) SoftmaxRowRounded(row, T, qt == DataType::BFloat16, R);
          else mlas::LlmSoftmaxRow(row, T);
          if (round_probs)
            for (int64_t j = 0; j < T; ++j) row[j] = static_cast<C>(RoundTo(prob_type, static_cast<float>(row[j])));
          if (qk_row && qk_mode_ == 3) std::copy(row, row + T, qk_row);
        }
        C* yh = d.three_d ? y.data() + b * Sq * Hq * Dv + h * Dv : y.data() + t * Sq * Dv;
        const int64_t ldy = d.three_d ? Hq * Dv : Dv;
        if (Dv == 0) continue;
        if (T > 0) {
          Gemm(false, Sq, Dv, T, scores.data(), T, vh, Dv, yh, ldy);
        } else {
          for (int64_t i = 0; i < Sq; ++i) std::fill(yh + i * ldy, yh + i * ldy + Dv, C(0));
        }
      }
    };
    ParallelFor(ctx.thread_pool(), B * Hq, static_cast<double>(Sq * T * (Dk + Dv + 8)) * 2, task);

    StoreAs<C>(y.data(), ctx.Output(0, qt, y_shape), 0, static_cast<int64_t>(y.size()));
    if (want_qk) StoreAs<C>(qk.data(), ctx.Output(3, qt, {B, Hq, Sq, T}), 0, static_cast<int64_t>(qk.size()));
  }

  bool is_causal_;
  int64_t q_num_heads_, kv_num_heads_;
  bool has_scale_;
  float scale_, softcap_;
  int64_t qk_mode_, softmax_precision_, left_window_, right_window_;
};

}  // namespace

void RegisterAttentionKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "", "Attention", 23, INT64_MAX, FloatingTypes(), MakeFactory<Attention>()});
}

}  // namespace onyx
