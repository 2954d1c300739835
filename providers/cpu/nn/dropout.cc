// Dropout (ai.onnx 1, 6, 7, 10, 12, 13, 22). In inference it is the identity with an all-true
// mask; with training_mode (opset 12+) it zeroes elements with probability `ratio` and scales
// the rest by 1 / (1 - ratio).
#include <cstring>
#include <random>

#include "cpu_kernels.h"
#include "nn/nn_common.h"

namespace onyx {

namespace {

class Dropout final : public OpKernel {
 public:
  explicit Dropout(const KernelInfo& info)
      : opset_(info.opset()), ratio_(info.GetFloat("ratio", 0.5f)), has_seed_(info.HasAttribute("seed")),
        seed_(info.GetInt("seed", 0)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    const DataType dt = X.dtype();
    if (DataTypeSize(dt) == 0)
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(dt) + " is not supported");
    bool training = false;
    double ratio = ratio_;
    if (opset_ >= 12) {
      if (const Tensor* r = ctx.OptionalInput(1)) {
        if (r->size() != 1) throw ctx.MakeError(ErrorCode::InvalidArgument, "ratio should be a scalar");
        switch (r->dtype()) {
          case DataType::Float: ratio = r->data<float>()[0]; break;
          case DataType::Double: ratio = r->data<double>()[0]; break;
          case DataType::Float16: ratio = HalfToFloat(r->data<uint16_t>()[0]); break;
          case DataType::BFloat16: ratio = BFloat16ToFloat(r->data<uint16_t>()[0]); break;
          default: throw ctx.MakeError(ErrorCode::InvalidArgument, "ratio should be a float scalar");
        }
      } else {
        ratio = 0.5;
      }
      if (const Tensor* t = ctx.OptionalInput(2)) {
        if (t->size() != 1 || t->dtype() != DataType::Bool)
          throw ctx.MakeError(ErrorCode::InvalidArgument, "training_mode should be a bool scalar");
        training = t->data<bool>()[0];
      }
    }
    if (training && (ratio < 0 || ratio >= 1))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "ratio should be in [0, 1), got " + std::to_string(ratio));
    Tensor& Y = ctx.Output(0, dt, X.shape());
    // Before opset 10 the mask has the input's type; since then it is bool.
    const DataType mask_type = opset_ < 10 ? dt : DataType::Bool;
    Tensor* mask = ctx.has_output(1) ? &ctx.Output(1, mask_type, X.shape()) : nullptr;
    if (!training || ratio == 0) {
      if (X.size() > 0) std::memcpy(Y.raw_data(), X.raw_data(), X.nbytes());
      if (mask) FillMask(*mask, [](int64_t) { return true; });
      return;
    }
    if (dt != DataType::Float && dt != DataType::Double && !IsHalfType(dt))
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("training mode for element type ") + DataTypeName(dt) + " is not supported");
    std::mt19937_64 rng(has_seed_ ? static_cast<uint64_t>(seed_) : std::random_device{}());
    std::bernoulli_distribution keep(1.0 - ratio);
    std::vector<bool> kept(static_cast<size_t>(X.size()));
    for (int64_t i = 0; i < X.size(); ++i) kept[i] = keep(rng);
    const double scale = 1.0 / (1.0 - ratio);
    for (int64_t i = 0; i < X.size(); ++i) {
      switch (dt) {
        case DataType::Float: Y.data<float>()[i] = kept[i] ? static_cast<float>(X.data<float>()[i] * scale) : 0.0f; break;
        case DataType::Double: Y.data<double>()[i] = kept[i] ? X.data<double>()[i] * scale : 0.0; break;
        case DataType::Float16:
          Y.data<uint16_t>()[i] = FloatToHalf(kept[i] ? static_cast<float>(HalfToFloat(X.data<uint16_t>()[i]) * scale) : 0.0f);
          break;
        default:
          Y.data<uint16_t>()[i] =
              FloatToBFloat16(kept[i] ? static_cast<float>(BFloat16ToFloat(X.data<uint16_t>()[i]) * scale) : 0.0f);
          break;
      }
    }
    if (mask) FillMask(*mask, [&](int64_t i) { return static_cast<bool>(kept[i]); });
  }

 private:
  template <typename Fn>
  static void FillMask(Tensor& m, Fn&& on) {
    for (int64_t i = 0; i < m.size(); ++i) {
      const bool v = on(i);
      switch (m.dtype()) {
        case DataType::Bool: m.data<bool>()[i] = v; break;
        case DataType::Float: m.data<float>()[i] = v ? 1.0f : 0.0f; break;
        case DataType::Double: m.data<double>()[i] = v ? 1.0 : 0.0; break;
        case DataType::Float16: m.data<uint16_t>()[i] = FloatToHalf(v ? 1.0f : 0.0f); break;
        case DataType::BFloat16: m.data<uint16_t>()[i] = FloatToBFloat16(v ? 1.0f : 0.0f); break;
        default: break;
      }
    }
  }

  int64_t opset_;
  float ratio_;
  bool has_seed_;
  int64_t seed_;
};

}  // namespace

void RegisterDropoutKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "", "Dropout", 1, INT64_MAX, {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16},
              MakeFactory<Dropout>()});
}

}  // namespace onyx
