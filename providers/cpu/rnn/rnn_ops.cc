// RNN, GRU and LSTM (ai.onnx 1..22): forward, reverse and bidirectional, both layouts,
// sequence_lens, initial states, peepholes, clip. Each direction projects the inputs of every
// step with one GEMM, then runs the recurrence with one GEMM per step for the hidden state.
#include <algorithm>
#include <cstring>
#include <functional>

#include "core/thread_pool.h"
#include "mlas/gemm.h"
#include "mlas/rnn_gemm.h"
#include "mlas/rnn_lstm.h"
#include "rnn/rnn_common.h"

namespace onyx::rnn {

namespace {

// Per-direction views into the stacked weights of direction d.
struct DirectionWeights {
  const float* W;
  const float* R;
  const float* Wb;
  const float* Rb;
};

DirectionWeights Weights(const RnnInputs& in, int64_t d, int64_t gates) {
  const int64_t GH = gates * in.hidden;
  return {in.W.data() + d * GH * in.input_size, in.R.data() + d * GH * in.hidden, in.B.data() + d * 2 * GH,
          in.B.data() + d * 2 * GH + GH};
}

// The recurrent weights R of one direction ([rows, H], gate blocks stacked) and each step's
// product with the hidden state. One batch row makes it a matrix-vector product that streams
// R's rows as stored (mlas::Sgemm's GEMV path); with more rows R is transposed once, so that
// RnnGemmAccumulate streams contiguous rows of R^T.
class RecurrentWeights {
 public:
  RecurrentWeights(const float* r, int64_t rows, int64_t h, int64_t batch) : r_(r), rows_(rows), h_(h) {
    if (batch <= 1) return;
    rt_.resize(static_cast<size_t>(rows * h));
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < h; ++j) rt_[j * rows + i] = r[i * h + j];
  }

  // c[Bn, n] (row stride ldc) += x[Bn, H] * R[row0 : row0 + n, :]^T.
  void Accumulate(int64_t Bn, int64_t row0, int64_t n, const float* x, float* c, int64_t ldc, ThreadPool* pool) const {
    if (rt_.empty()) mlas::Sgemm(false, true, Bn, n, h_, 1.f, x, h_, r_ + row0 * h_, h_, 1.f, c, ldc, pool);
    else mlas::RnnGemmAccumulate(Bn, n, h_, x, h_, rt_.data() + row0, rows_, c, ldc, pool);
  }

 private:
  const float* r_;
  int64_t rows_, h_;
  std::vector<float> rt_;
};

// Time step of iteration s for a direction.
inline int64_t StepTime(int64_t s, int64_t seq, bool reverse) { return reverse ? seq - 1 - s : s; }

inline void MaybeClip(float* x, int64_t n, float clip) {
  if (clip > 0.f) mlas::ClipF32(x, n, clip);
}

// Row b of output Y ([seq, dirs, batch, H]) at time t for direction d.
inline float* YRow(std::vector<float>& y, const RnnInputs& in, int64_t t, int64_t d, int64_t b) {
  return y.data() + ((t * in.dirs + d) * in.batch + b) * in.hidden;
}

// Runs fn(b) over the batch rows, in parallel when the rows are heavy enough.
template <typename Fn>
void ForRows(ThreadPool* pool, int64_t batch, int64_t hidden, Fn&& fn) {
  ParallelFor(pool, batch, static_cast<double>(hidden) * 40, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) fn(b);
  });
}

class RnnKernel final : public OpKernel {
 public:
  explicit RnnKernel(const KernelInfo& info) : attrs_(info, {"Tanh"}) {}

  void Compute(KernelContext& ctx) const override {
    RnnInputs in = ReadRnnInputs(ctx, attrs_, 1, false);
    const int64_t S = in.seq, Bn = in.batch, H = in.hidden;
    std::vector<float> y(static_cast<size_t>(ShapeSize({S, in.dirs, Bn, H})), 0.f);
    std::vector<float> y_h(in.init_h);
    std::vector<float> gx(static_cast<size_t>(S * Bn * H)), gates(static_cast<size_t>(Bn * H)), bias(H);
    ThreadPool* pool = ctx.thread_pool();
    for (int64_t d = 0; d < in.dirs && Bn > 0 && H > 0; ++d) {  // (empty batch or state: nothing to run)
      const bool reverse = d == 1 || !attrs_.forward;
      const DirectionWeights w = Weights(in, d, 1);
      const Activation& f = attrs_.activations[d];
      for (int64_t i = 0; i < H; ++i) bias[i] = w.Wb[i] + w.Rb[i];
      ProjectInputs(in.X.data(), S * Bn, in.input_size, w.W, H, bias.data(), gx.data(), pool);
      const RecurrentWeights rw(w.R, H, H, Bn);
      float* h = y_h.data() + d * Bn * H;
      for (int64_t s = 0; s < S; ++s) {
        const int64_t t = StepTime(s, S, reverse);
        std::memcpy(gates.data(), gx.data() + t * Bn * H, Bn * H * sizeof(float));
        rw.Accumulate(Bn, 0, H, h, gates.data(), H, pool);
        ForRows(pool, Bn, H, [&](int64_t b) {
          if (t >= in.lens[b]) return;
          float* g = gates.data() + b * H;
          MaybeClip(g, H, attrs_.clip);
          f.Apply(g, H);
          std::memcpy(h + b * H, g, H * sizeof(float));
          std::memcpy(YRow(y, in, t, d, b), g, H * sizeof(float));
        });
      }
    }
    WriteRnnOutputs(ctx, attrs_, in, y, y_h, nullptr);
  }

 private:
  RnnAttributes attrs_;
};

// Gates stacked as z (update), r (reset), h (candidate).
class GruKernel final : public OpKernel {
 public:
  explicit GruKernel(const KernelInfo& info)
      : attrs_(info, {"Sigmoid", "Tanh"}), linear_before_reset_(info.GetInt("linear_before_reset", 0) != 0) {}

  void Compute(KernelContext& ctx) const override {
    RnnInputs in = ReadRnnInputs(ctx, attrs_, 3, false);
    const int64_t S = in.seq, Bn = in.batch, H = in.hidden, GH = 3 * H;
    std::vector<float> y(static_cast<size_t>(ShapeSize({S, in.dirs, Bn, H})), 0.f);
    std::vector<float> y_h(in.init_h);
    std::vector<float> gx(static_cast<size_t>(S * Bn * GH)), gates(static_cast<size_t>(Bn * GH));
    std::vector<float> rec(static_cast<size_t>(Bn * H)), rh(static_cast<size_t>(Bn * H), 0.f), bias(GH);
    ThreadPool* pool = ctx.thread_pool();
    for (int64_t d = 0; d < in.dirs && Bn > 0 && H > 0; ++d) {  // (empty batch or state: nothing to run)
      const bool reverse = d == 1 || !attrs_.forward;
      const DirectionWeights w = Weights(in, d, 3);
      const Activation& f = attrs_.activations[2 * d];
      const Activation& g = attrs_.activations[2 * d + 1];
      // With linear_before_reset the candidate's recurrent bias sits inside the reset product.
      for (int64_t i = 0; i < GH; ++i) bias[i] = w.Wb[i] + (linear_before_reset_ && i >= 2 * H ? 0.f : w.Rb[i]);
      ProjectInputs(in.X.data(), S * Bn, in.input_size, w.W, GH, bias.data(), gx.data(), pool);
      const RecurrentWeights rw(w.R, GH, H, Bn);
      const float* Rbh = w.Rb + 2 * H;
      float* h = y_h.data() + d * Bn * H;
      for (int64_t s = 0; s < S; ++s) {
        const int64_t t = StepTime(s, S, reverse);
        std::memcpy(gates.data(), gx.data() + t * Bn * GH, Bn * GH * sizeof(float));
        rw.Accumulate(Bn, 0, 2 * H, h, gates.data(), GH, pool);
        ForRows(pool, Bn, H, [&](int64_t b) {
          if (t >= in.lens[b]) return;
          float* zr = gates.data() + b * GH;
          MaybeClip(zr, 2 * H, attrs_.clip);
          f.Apply(zr, 2 * H);
          if (!linear_before_reset_) {
            const float* r = zr + H;
            const float* hp = h + b * H;
            for (int64_t i = 0; i < H; ++i) rh[b * H + i] = r[i] * hp[i];
          }
        });
        // rec = (r * h) Rh^T, or h Rh^T when the reset applies after the product.
        std::fill(rec.begin(), rec.end(), 0.f);
        rw.Accumulate(Bn, 2 * H, H, linear_before_reset_ ? h : rh.data(), rec.data(), H, pool);
        ForRows(pool, Bn, H, [&](int64_t b) {
          if (t >= in.lens[b]) return;
          float* z = gates.data() + b * GH;
          const float* r = z + H;
          float* c = z + 2 * H;
          const float* rc = rec.data() + b * H;
          if (linear_before_reset_) {
            for (int64_t i = 0; i < H; ++i) c[i] += r[i] * (rc[i] + Rbh[i]);
          } else {
            for (int64_t i = 0; i < H; ++i) c[i] += rc[i];
          }
          MaybeClip(c, H, attrs_.clip);
          g.Apply(c, H);
          float* hb = h + b * H;
          for (int64_t i = 0; i < H; ++i) hb[i] = (1.f - z[i]) * c[i] + z[i] * hb[i];
          std::memcpy(YRow(y, in, t, d, b), hb, H * sizeof(float));
        });
      }
    }
    WriteRnnOutputs(ctx, attrs_, in, y, y_h, nullptr);
  }

 private:
  RnnAttributes attrs_;
  bool linear_before_reset_;
};

// Gates stacked as i (input), o (output), f (forget), c (cell); peepholes as i, o, f.
class LstmKernel final : public OpKernel {
 public:
  explicit LstmKernel(const KernelInfo& info)
      : attrs_(info, {"Sigmoid", "Tanh", "Tanh"}),
        input_forget_(info.GetInt("input_forget", 0) != 0),
        packed_w_(PackInputWeights(info)) {}

  void Compute(KernelContext& ctx) const override {
    RnnInputs in = ReadRnnInputs(ctx, attrs_, 4, true);
    const int64_t S = in.seq, Bn = in.batch, H = in.hidden, GH = 4 * H;
    std::vector<float> y(static_cast<size_t>(ShapeSize({S, in.dirs, Bn, H})), 0.f);
    std::vector<float> y_h(in.init_h), y_c(in.init_c);
    std::vector<float> gx(static_cast<size_t>(S * Bn * GH)), gates(static_cast<size_t>(Bn * GH)), bias(GH);
    std::vector<float> act_c(static_cast<size_t>(Bn * H));
    ThreadPool* pool = ctx.thread_pool();
    for (int64_t d = 0; d < in.dirs && Bn > 0 && H > 0; ++d) {  // (empty batch or state: nothing to run)
      const bool reverse = d == 1 || !attrs_.forward;
      const DirectionWeights w = Weights(in, d, 4);
      const float* P = in.has_peepholes ? in.P.data() + d * 3 * H : nullptr;
      for (int64_t i = 0; i < GH; ++i) bias[i] = w.Wb[i] + w.Rb[i];
      ProjectInputs(in.X.data(), S * Bn, in.input_size, w.W, GH, bias.data(), gx.data(), pool,
                    d < static_cast<int64_t>(packed_w_.size()) ? &packed_w_[d] : nullptr);
      float* h = y_h.data() + d * Bn * H;
      float* c = y_c.data() + d * Bn * H;
      const bool fused = FusedCell(d);
      if (fused && Bn == 1) {
        RunOneRow(in, d, reverse, w.R, P, gx.data(), h, c, gates.data(), y, pool);
        continue;
      }
      const RecurrentWeights rw(w.R, GH, H, Bn);
      for (int64_t s = 0; s < S; ++s) {
        const int64_t t = StepTime(s, S, reverse);
        std::memcpy(gates.data(), gx.data() + t * Bn * GH, Bn * GH * sizeof(float));
        rw.Accumulate(Bn, 0, GH, h, gates.data(), GH, pool);
        ForRows(pool, Bn, H, [&](int64_t b) {
          if (t >= in.lens[b]) return;
          float* gi = gates.data() + b * GH;
          if (fused) {
            mlas::LstmCell(CellArgs(gi, H, c + b * H, h + b * H, YRow(y, in, t, d, b), P), H);
            return;
          }
          GenericCell(d, gi, H, c + b * H, h + b * H, act_c.data() + b * H, P);
          std::memcpy(YRow(y, in, t, d, b), h + b * H, H * sizeof(float));
        });
      }
    }
    WriteRnnOutputs(ctx, attrs_, in, y, y_h, &y_c);
  }

 private:
  // Whether direction d's cell is the one mlas::LstmCell computes: sigmoid gates, tanh for the
  // cell and hidden state (the defaults), the forget gate of its own.
  bool FusedCell(int64_t d) const {
    if (input_forget_) return false;
    const Activation* a = &attrs_.activations[3 * d];
    return a[0].kind == mlas::RnnActivation::Sigmoid && a[1].kind == mlas::RnnActivation::Tanh &&
           a[2].kind == mlas::RnnActivation::Tanh;
  }

  mlas::LstmCellArgs CellArgs(float* gi, int64_t H, float* c, float* h_out, float* y_out, const float* P) const {
    mlas::LstmCellArgs a{gi, gi + H, gi + 2 * H, gi + 3 * H, c, h_out, y_out};
    if (P) a.p_i = P, a.p_o = P + H, a.p_f = P + 2 * H;
    a.clip = attrs_.clip;
    return a;
  }

  // Batch 1 with the fused cell: each step is one matrix-vector product with R as stored, plus
  // the cell. The pool splits the hidden units into blocks: a block computes its rows of the four
  // gates and then their cells, so a step is one parallel section, and each thread keeps reading
  // the same rows of R (about half of R per thread with two, which then stays in its core's L2).
  // The hidden state is double-buffered: every block reads all of the previous one.
  void RunOneRow(const RnnInputs& in, int64_t d, bool reverse, const float* R, const float* P, const float* gx,
                 float* h, float* c, float* gates, std::vector<float>& y, ThreadPool* pool) const {
    const int64_t S = in.seq, H = in.hidden, GH = 4 * H;
    constexpr int64_t kUnit = 8;  // hidden units per item: whole vectors for the cell
    const int64_t units = (H + kUnit - 1) / kUnit;
    std::vector<float> other(static_cast<size_t>(H));
    float* h_prev = h;
    float* h_next = other.data();
    const float* g_in = nullptr;
    float* y_row = nullptr;
    auto block = [&](int64_t u0, int64_t u1) {
      const int64_t j0 = u0 * kUnit, n = std::min(H, u1 * kUnit) - j0;
      for (int64_t g = 0; g < 4; ++g)
        mlas::RnnGemv(R + (g * H + j0) * H, H, n, H, h_prev, g_in + g * H + j0, gates + g * H + j0);
      mlas::LstmCellArgs a = CellArgs(gates + j0, H, c + j0, h_next + j0, y_row + j0, P ? P + j0 : nullptr);
      mlas::LstmCell(a, n);
    };
    const std::function<void(int64_t, int64_t)> fn = block;
    const double cost = 2.0 * 4 * static_cast<double>(H) * kUnit;
    for (int64_t s = 0; s < S; ++s) {
      const int64_t t = StepTime(s, S, reverse);
      if (t >= in.lens[0]) continue;
      g_in = gx + t * GH;
      y_row = YRow(y, in, t, d, 0);
      ParallelFor(pool, units, cost, fn);
      std::swap(h_prev, h_next);
    }
    if (h_prev != h) std::memcpy(h, h_prev, H * sizeof(float));
  }

  // The cell for any activations, in separate passes.
  void GenericCell(int64_t d, float* gi, int64_t H, float* cb, float* hb, float* ac, const float* P) const {
    const Activation& f = attrs_.activations[3 * d];
    const Activation& g = attrs_.activations[3 * d + 1];
    const Activation& hact = attrs_.activations[3 * d + 2];
    float* go = gi + H;
    float* gf = gi + 2 * H;
    float* gc = gi + 3 * H;
    if (P) {
      for (int64_t i = 0; i < H; ++i) {
        gi[i] += P[i] * cb[i];
        gf[i] += P[2 * H + i] * cb[i];
      }
    }
    MaybeClip(gi, H, attrs_.clip);
    f.Apply(gi, H);
    if (input_forget_) {
      for (int64_t i = 0; i < H; ++i) gf[i] = 1.f - gi[i];
    } else {
      MaybeClip(gf, H, attrs_.clip);
      f.Apply(gf, H);
    }
    MaybeClip(gc, H, attrs_.clip);
    g.Apply(gc, H);
    for (int64_t i = 0; i < H; ++i) cb[i] = gf[i] * cb[i] + gi[i] * gc[i];
    if (P)
      for (int64_t i = 0; i < H; ++i) go[i] += P[H + i] * cb[i];
    MaybeClip(go, H, attrs_.clip);
    f.Apply(go, H);
    std::memcpy(ac, cb, H * sizeof(float));
    hact.Apply(ac, H);
    for (int64_t i = 0; i < H; ++i) hb[i] = go[i] * ac[i];
  }

  RnnAttributes attrs_;
  bool input_forget_;
  std::vector<mlas::PackedB> packed_w_;  // per direction, when W is a float initializer
};

void Reg(KernelRegistry& r, const char* op, KernelFactory f) {
  r.Register({kCpuProvider, "", op, 1, INT64_MAX, {DataType::Float, DataType::Double, DataType::Float16}, std::move(f)});
}

}  // namespace

void RegisterRnnOps(KernelRegistry& r) {
  Reg(r, "RNN", MakeFactory<RnnKernel>());
  Reg(r, "GRU", MakeFactory<GruKernel>());
  Reg(r, "LSTM", MakeFactory<LstmKernel>());
}

}  // namespace onyx::rnn
