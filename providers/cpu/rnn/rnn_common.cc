#include "rnn/rnn_common.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "core/thread_pool.h"
#include "mlas/gemm.h"

namespace onyx::rnn {

namespace {

struct ActivationSpec {
  const char* name;
  mlas::RnnActivation kind;
  int params;  // 0: none, 1: alpha, 2: alpha and beta
  float alpha, beta;
};

// Defaults follow onnxruntime where the spec leaves them open.
constexpr ActivationSpec kActivations[] = {
    {"relu", mlas::RnnActivation::Relu, 0, 0.f, 0.f},
    {"tanh", mlas::RnnActivation::Tanh, 0, 0.f, 0.f},
    {"sigmoid", mlas::RnnActivation::Sigmoid, 0, 0.f, 0.f},
    {"affine", mlas::RnnActivation::Affine, 2, 1.f, 0.f},
    {"leakyrelu", mlas::RnnActivation::LeakyRelu, 1, 0.01f, 0.f},
    {"thresholdedrelu", mlas::RnnActivation::ThresholdedRelu, 1, 1.f, 0.f},
    {"scaledtanh", mlas::RnnActivation::ScaledTanh, 2, 1.f, 1.f},
    {"hardsigmoid", mlas::RnnActivation::HardSigmoid, 2, 0.2f, 0.5f},
    {"elu", mlas::RnnActivation::Elu, 1, 1.f, 0.f},
    {"softsign", mlas::RnnActivation::Softsign, 0, 0.f, 0.f},
    {"softplus", mlas::RnnActivation::Softplus, 0, 0.f, 0.f},
};

std::vector<float> ToFloatVector(const Tensor& t, const KernelContext& ctx, const char* name) {
  std::vector<float> v(static_cast<size_t>(t.size()));
  switch (t.dtype()) {
    case DataType::Float: if (!v.empty()) std::memcpy(v.data(), t.raw_data(), v.size() * 4); break;
    case DataType::Double: for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(t.data<double>()[i]); break;
    case DataType::Float16: for (size_t i = 0; i < v.size(); ++i) v[i] = HalfToFloat(t.data<uint16_t>()[i]); break;
    case DataType::BFloat16: for (size_t i = 0; i < v.size(); ++i) v[i] = BFloat16ToFloat(t.data<uint16_t>()[i]); break;
    default:
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(name) + " must be float, double or float16, got " +
                                                          DataTypeName(t.dtype()));
  }
  return v;
}

// Float tensors are read in place (they outlive the kernel's Compute); others are converted.
FloatValues AsFloats(const Tensor& t, const KernelContext& ctx, const char* name) {
  if (t.dtype() == DataType::Float) return FloatValues(t.data<float>());
  return FloatValues(ToFloatVector(t, ctx, name));
}

void CheckShape(const Tensor& t, const std::vector<int64_t>& want, const KernelContext& ctx, const char* name) {
  if (t.shape() != want)
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(name) + " should have shape " + ShapeToString(want) +
                                                        ", got " + ShapeToString(t.shape()));
}

// [a, b, H] <-> [b, a, H]
std::vector<float> SwapFirstTwo(const std::vector<float>& v, int64_t a, int64_t b, int64_t h) {
  std::vector<float> out(v.size());
  for (int64_t i = 0; i < a; ++i)
    for (int64_t j = 0; j < b; ++j) std::memcpy(&out[(j * a + i) * h], &v[(i * b + j) * h], h * sizeof(float));
  return out;
}

void StoreAs(const std::vector<float>& v, Tensor& t) {
  switch (t.dtype()) {
    case DataType::Float: if (!v.empty()) std::memcpy(t.raw_data(), v.data(), v.size() * 4); break;
    case DataType::Double: for (size_t i = 0; i < v.size(); ++i) t.data<double>()[i] = v[i]; break;
    case DataType::Float16: for (size_t i = 0; i < v.size(); ++i) t.data<uint16_t>()[i] = FloatToHalf(v[i]); break;
    default: for (size_t i = 0; i < v.size(); ++i) t.data<uint16_t>()[i] = FloatToBFloat16(v[i]); break;
  }
}

}  // namespace

RnnAttributes::RnnAttributes(const KernelInfo& info, const std::vector<std::string>& defaults) {
  const std::string dir = info.GetString("direction", "forward");
  if (dir == "forward") {
    forward = true;
  } else if (dir == "reverse") {
    forward = false;
    reverse = true;
  } else if (dir == "bidirectional") {
    reverse = true;
    num_directions = 2;
  } else {
    throw info.MakeError(ErrorCode::InvalidGraph, "direction '" + dir + "' is not forward, reverse or bidirectional");
  }
  hidden_size = info.GetInt("hidden_size", -1);
  if (info.HasAttribute("hidden_size") && hidden_size <= 0)
    throw info.MakeError(ErrorCode::InvalidGraph, "hidden_size must be positive, got " + std::to_string(hidden_size));
  clip = info.GetFloat("clip", 0.f);
  if (info.HasAttribute("clip") && !(clip > 0.f))
    throw info.MakeError(ErrorCode::InvalidGraph, "clip must be positive, got " + std::to_string(clip));
  layout = info.GetInt("layout", 0);
  if (layout != 0 && layout != 1)
    throw info.MakeError(ErrorCode::InvalidGraph, "layout must be 0 or 1, got " + std::to_string(layout));
  std::vector<std::string> names = info.GetStrings("activations");
  const size_t per_dir = defaults.size();
  if (names.empty()) names = defaults;
  if (names.size() == per_dir && num_directions == 2) {
    const std::vector<std::string> one = names;  // one list given: both directions use it
    names.insert(names.end(), one.begin(), one.end());
  }
  if (names.size() != per_dir * static_cast<size_t>(num_directions))
    throw info.MakeError(ErrorCode::InvalidGraph, "expected " + std::to_string(per_dir * num_directions) +
                                                      " activations, got " + std::to_string(names.size()));
  const std::vector<float> alphas = info.GetFloats("activation_alpha"), betas = info.GetFloats("activation_beta");
  size_t ai = 0, bi = 0;
  for (const std::string& n : names) {
    std::string lower = n;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    const ActivationSpec* spec = nullptr;
    for (const auto& s : kActivations)
      if (lower == s.name) spec = &s;
    if (!spec) throw info.MakeError(ErrorCode::NotImplemented, "activation '" + n + "' is not supported");
    Activation a;
    a.kind = spec->kind;
    a.alpha = spec->alpha;
    a.beta = spec->beta;
    // activation_alpha/beta are consumed in order by the activations that take them.
    if (spec->params >= 1 && ai < alphas.size()) a.alpha = alphas[ai++];
    if (spec->params >= 2 && bi < betas.size()) a.beta = betas[bi++];
    activations.push_back(a);
  }
}

RnnInputs ReadRnnInputs(const KernelContext& ctx, const RnnAttributes& attrs, int64_t gates, bool lstm) {
  const Tensor& X = ctx.Input(0);
  const Tensor& W = ctx.Input(1);
  const Tensor& R = ctx.Input(2);
  RnnInputs in;
  in.dtype = X.dtype();
  in.dirs = attrs.num_directions;
  if (X.rank() != 3 || W.rank() != 3 || R.rank() != 3)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "X, W and R must have rank 3, got " + ShapeToString(X.shape()) + ", " +
                                                        ShapeToString(W.shape()) + ", " + ShapeToString(R.shape()));
  if (W.dtype() != X.dtype() || R.dtype() != X.dtype())
    throw ctx.MakeError(ErrorCode::InvalidArgument, "X, W and R must have the same element type");
  in.seq = attrs.layout == 0 ? X.dim(0) : X.dim(1);
  in.batch = attrs.layout == 0 ? X.dim(1) : X.dim(0);
  in.input_size = X.dim(2);
  in.hidden = attrs.hidden_size > 0 ? attrs.hidden_size : R.dim(2);
  const int64_t H = in.hidden, D = in.dirs, Bn = in.batch;
  CheckShape(W, {D, gates * H, in.input_size}, ctx, "W");
  CheckShape(R, {D, gates * H, H}, ctx, "R");
  if (attrs.layout == 1) in.X = FloatValues(SwapFirstTwo(ToFloatVector(X, ctx, "X"), Bn, in.seq, in.input_size));
  else in.X = AsFloats(X, ctx, "X");
  in.W = AsFloats(W, ctx, "W");
  in.R = AsFloats(R, ctx, "R");
  if (const Tensor* B = ctx.OptionalInput(3)) {
    CheckShape(*B, {D, 2 * gates * H}, ctx, "B");
    in.B = AsFloats(*B, ctx, "B");
  } else {
    in.B = FloatValues(std::vector<float>(static_cast<size_t>(D * 2 * gates * H), 0.f));
  }
  in.lens.assign(static_cast<size_t>(Bn), in.seq);
  if (const Tensor* L = ctx.OptionalInput(4)) {
    CheckShape(*L, {Bn}, ctx, "sequence_lens");
    const std::vector<int64_t> v = ReadInt64s(*L, ctx);
    for (int64_t b = 0; b < Bn; ++b) {
      if (v[b] < 0 || v[b] > in.seq)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "sequence_lens[" + std::to_string(b) + "] = " + std::to_string(v[b]) +
                                                            " is outside [0, " + std::to_string(in.seq) + "]");
      in.lens[b] = v[b];
    }
  }
  const std::vector<int64_t> state_shape =
      attrs.layout == 0 ? std::vector<int64_t>{D, Bn, H} : std::vector<int64_t>{Bn, D, H};
  auto read_state = [&](size_t idx, const char* name) {
    if (const Tensor* t = ctx.OptionalInput(idx)) {
      CheckShape(*t, state_shape, ctx, name);
      std::vector<float> v = ToFloatVector(*t, ctx, name);
      return attrs.layout == 0 ? v : SwapFirstTwo(v, Bn, D, H);
    }
    return std::vector<float>(static_cast<size_t>(D * Bn * H), 0.f);
  };
  in.init_h = read_state(5, "initial_h");
  if (lstm) {
    in.init_c = read_state(6, "initial_c");
    if (const Tensor* P = ctx.OptionalInput(7)) {
      CheckShape(*P, {D, 3 * H}, ctx, "P");
      in.P = AsFloats(*P, ctx, "P");
      in.has_peepholes = true;
    }
  }
  return in;
}

void WriteRnnOutputs(KernelContext& ctx, const RnnAttributes& attrs, const RnnInputs& in, const std::vector<float>& y,
                     const std::vector<float>& y_h, const std::vector<float>* y_c) {
  const int64_t S = in.seq, D = in.dirs, Bn = in.batch, H = in.hidden;
  if (ctx.has_output(0)) {
    if (attrs.layout == 0) {
      StoreAs(y, ctx.Output(0, in.dtype, {S, D, Bn, H}));
    } else {
      // [S, D, B, H] -> [B, S, D, H]
      std::vector<float> t(y.size());
      for (int64_t s = 0; s < S; ++s)
        for (int64_t d = 0; d < D; ++d)
          for (int64_t b = 0; b < Bn; ++b)
            std::memcpy(&t[((b * S + s) * D + d) * H], &y[((s * D + d) * Bn + b) * H], H * sizeof(float));
      StoreAs(t, ctx.Output(0, in.dtype, {Bn, S, D, H}));
    }
  }
  auto write_state = [&](size_t idx, const std::vector<float>& v) {
    if (!ctx.has_output(idx)) return;
    if (attrs.layout == 0) StoreAs(v, ctx.Output(idx, in.dtype, {D, Bn, H}));
    else StoreAs(SwapFirstTwo(v, D, Bn, H), ctx.Output(idx, in.dtype, {Bn, D, H}));
  };
  write_state(1, y_h);
  if (y_c) write_state(2, *y_c);
}

std::vector<mlas::PackedB> PackInputWeights(const KernelInfo& info) {
  std::vector<mlas::PackedB> packed;
  const Tensor* W = info.ConstantInput(1);
  // Constant folding creates kernels with every input constant to run them once: no packing then.
  if (!W || info.ConstantInput(0) || !W->on_cpu() || W->dtype() != DataType::Float || W->rank() != 3 || W->size() == 0)
    return packed;
  const int64_t D = W->dim(0), GH = W->dim(1), I = W->dim(2);
  for (int64_t d = 0; d < D; ++d) packed.push_back(mlas::PackB(true, I, GH, W->data<float>() + d * GH * I, I));
  return packed;
}

void ProjectInputs(const float* x, int64_t rows, int64_t input_size, const float* w, int64_t gh, const float* bias,
                   float* gx, ThreadPool* pool, const mlas::PackedB* packed) {
  if (rows == 0) return;
  for (int64_t r = 0; r < rows; ++r) {
    if (bias) std::memcpy(gx + r * gh, bias, gh * sizeof(float));
    else std::fill(gx + r * gh, gx + (r + 1) * gh, 0.f);
  }
  // One GEMM for every step. A single row is left to Sgemm's matrix-vector path.
  if (packed && rows > 1 && packed->K() == input_size && packed->N() == gh)
    return mlas::SgemmPacked(false, rows, gh, input_size, 1.f, x, input_size, *packed, 1.f, gx, gh, pool);
  // W is read as stored, transposed by the packing.
  mlas::Sgemm(false, true, rows, gh, input_size, 1.f, x, input_size, w, input_size, 1.f, gx, gh, pool);
}

}  // namespace onyx::rnn
