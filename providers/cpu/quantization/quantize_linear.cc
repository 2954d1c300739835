// QuantizeLinear, DequantizeLinear (per tensor, per axis, blocked; integer, 4-bit and float8
// types) and DynamicQuantizeLinear.
#include <algorithm>
#include <cmath>

#include "core/thread_pool.h"
#include "quantization/quantization_common.h"

namespace onyx::quant {

namespace {

template <typename Fn>
void DispatchQuantizeInput(DataType dt, const KernelContext& ctx, Fn&& fn) {
  switch (dt) {
    case DataType::Float: fn(TypeTag<float>{}); return;
    case DataType::Float16: fn(TypeTag<Half>{}); return;
    case DataType::BFloat16: fn(TypeTag<BFloat16>{}); return;
    case DataType::Int32: fn(TypeTag<int32_t>{}); return;
    case DataType::Double: fn(TypeTag<double>{}); return;
    default:
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("x must be float, float16, bfloat16 or int32, got ") +
                                                          DataTypeName(dt));
  }
}

template <typename T>
inline float ToF(T v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) return ToFloat(v);
  else return static_cast<float>(v);
}

// Rounds a float to the precision of `precision` (the opset-23 attribute) the way numpy does
// when computing in that type.
inline float RoundTo(float v, DataType precision) {
  if (precision == DataType::Float16) return HalfToFloat(FloatToHalf(v));
  if (precision == DataType::BFloat16) return BFloat16ToFloat(FloatToBFloat16(v));
  return v;
}

class QuantizeLinearKernel final : public OpKernel {
 public:
  explicit QuantizeLinearKernel(const KernelInfo& info)
      : axis_(info.GetInt("axis", 1)),
        saturate_(info.GetInt("saturate", 1) != 0),
        block_size_(info.GetInt("block_size", 0)),
        output_dtype_(static_cast<DataType>(info.GetInt("output_dtype", 0))),
        precision_(static_cast<DataType>(info.GetInt("precision", 0))) {
    if (block_size_ < 0) throw info.MakeError(ErrorCode::InvalidArgument, "block_size must be >= 0");
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const Tensor& scale = ctx.Input(1);
    const Tensor* zp = ctx.OptionalInput(2);
    DataType out_type = output_dtype_ != DataType::Undefined ? output_dtype_ : DataType::UInt8;
    if (zp) {
      if (output_dtype_ != DataType::Undefined && output_dtype_ != zp->dtype())
        throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("output_dtype ") + DataTypeName(output_dtype_) +
                                                            " differs from the zero point type " + DataTypeName(zp->dtype()));
      out_type = zp->dtype();
      if (zp->shape() != scale.shape() && !(zp->size() == 1 && scale.size() == 1))
        throw ctx.MakeError(ErrorCode::InvalidArgument, "zero point shape " + ShapeToString(zp->shape()) +
                                                            " differs from scale shape " + ShapeToString(scale.shape()));
    }
    int64_t lo = 0, hi = 0;
    const bool is_int = out_type != DataType::Int32 && IntegerRange(out_type, lo, hi);
    const bool is_f4 = out_type == DataType::Float4E2M1;
    if (!is_int && !is_f4 && !float8::IsFloat8(out_type))
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("quantizing to ") + DataTypeName(out_type) + " is not supported");
    const QuantLayout L = MakeQuantLayout(x.shape(), scale.shape(), axis_, block_size_, ctx);
    const std::vector<float> scales = ReadFloats(scale, ctx, "y_scale");
    std::vector<float> zps = zp ? ReadZeroPointsAsFloat(*zp, ctx, "y_zero_point") : std::vector<float>(scales.size(), 0.f);
    Tensor& y = ctx.Output(0, out_type, x.shape());
    if (x.size() == 0) return;
    const DataType prec = precision_;
    DispatchQuantizeInput(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* px = x.data<T>();
      auto run = [&](auto store) {
        const int64_t rows = L.outer * L.dim;
        ParallelFor(ctx.thread_pool(), rows, static_cast<double>(L.inner) * 4, [&](int64_t r0, int64_t r1) {
          for (int64_t r = r0; r < r1; ++r) {
            const int64_t o = r / L.dim, d = r % L.dim;
            const int64_t p0 = L.ParamIndex(o, d), ps = L.InnerStride();
            const int64_t base = r * L.inner;
            for (int64_t i = 0; i < L.inner; ++i) {
              const int64_t p = p0 + i * ps;
              float q;
              if (prec == DataType::Double) {
                q = static_cast<float>(static_cast<double>(ToF(px[base + i])) / static_cast<double>(scales[p]));
              } else if (prec == DataType::Float16 || prec == DataType::BFloat16) {
                q = RoundTo(RoundTo(ToF(px[base + i]), prec) / RoundTo(scales[p], prec), prec);
              } else {
                q = ToF(px[base + i]) / scales[p];
              }
              store(base + i, q, zps[p]);
            }
          }
        });
      };
      if (is_int) {
        auto store_int = [&](auto otag) {
          using O = typename decltype(otag)::type;
          O* py = y.data<O>();
          const float flo = static_cast<float>(lo), fhi = static_cast<float>(hi);
          run([=](int64_t i, float q, float z) {
            float v = std::nearbyint(q) + z;  // exact: both are integers well inside float range
            v = std::isnan(v) ? 0.f : std::min(std::max(v, flo), fhi);
            py[i] = static_cast<O>(v);
          });
        };
        switch (out_type) {
          case DataType::UInt8: case DataType::UInt4: case DataType::UInt2: store_int(TypeTag<uint8_t>{}); break;
          case DataType::Int8: case DataType::Int4: case DataType::Int2: store_int(TypeTag<int8_t>{}); break;
          case DataType::UInt16: store_int(TypeTag<uint16_t>{}); break;
          default: store_int(TypeTag<int16_t>{}); break;
        }
      } else if (is_f4) {
        uint8_t* py = y.data<uint8_t>();
        run([=](int64_t i, float q, float z) { py[i] = float8::Float4FromFloat(q + z); });
      } else {
        uint8_t* py = y.data<uint8_t>();
        const float8::Format f = float8::FormatOf(out_type);
        const bool sat = saturate_;
        run([=](int64_t i, float q, float z) { py[i] = float8::FromFloat(q + z, f, sat); });
      }
    });
  }

 private:
  int64_t axis_;
  bool saturate_;
  int64_t block_size_;
  DataType output_dtype_;
  DataType precision_;
};

class DequantizeLinearKernel final : public OpKernel {
 public:
  explicit DequantizeLinearKernel(const KernelInfo& info)
      : axis_(info.GetInt("axis", 1)),
        block_size_(info.GetInt("block_size", 0)),
        output_dtype_(static_cast<DataType>(info.GetInt("output_dtype", 0))) {
    if (block_size_ < 0) throw info.MakeError(ErrorCode::InvalidArgument, "block_size must be >= 0");
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const Tensor& scale = ctx.Input(1);
    const Tensor* zp = ctx.OptionalInput(2);
    const bool x_f8 = float8::IsFloat8(x.dtype()), x_f4 = x.dtype() == DataType::Float4E2M1;
    int64_t lo, hi;
    if (!x_f8 && !x_f4 && !IntegerRange(x.dtype(), lo, hi))
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("x has unsupported element type ") + DataTypeName(x.dtype()));
    if (zp) {
      if (zp->dtype() != x.dtype())
        throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("zero point type ") + DataTypeName(zp->dtype()) +
                                                            " differs from x type " + DataTypeName(x.dtype()));
      if (zp->shape() != scale.shape() && !(zp->size() == 1 && scale.size() == 1))
        throw ctx.MakeError(ErrorCode::InvalidArgument, "zero point shape " + ShapeToString(zp->shape()) +
                                                            " differs from scale shape " + ShapeToString(scale.shape()));
    }
    DataType out_type = output_dtype_ != DataType::Undefined ? output_dtype_ : scale.dtype();
    if (out_type != DataType::Float && out_type != DataType::Float16 && out_type != DataType::BFloat16 &&
        out_type != DataType::Double)
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("output type must be a float type, got ") +
                                                          DataTypeName(out_type));
    const QuantLayout L = MakeQuantLayout(x.shape(), scale.shape(), axis_, block_size_, ctx);
    const std::vector<float> scales = ReadFloats(scale, ctx, "x_scale");
    const std::vector<float> zps =
        zp ? ReadZeroPointsAsFloat(*zp, ctx, "x_zero_point") : std::vector<float>(scales.size(), 0.f);
    Tensor& y = ctx.Output(0, out_type, x.shape());
    if (x.size() == 0) return;
    const float8::Format f8 = x_f8 ? float8::FormatOf(x.dtype()) : float8::Format::E4M3FN;
    auto load = [&](int64_t i) -> float {
      if (x_f8) return float8::ToFloat(x.data<uint8_t>()[i], f8);
      if (x_f4) return float8::Float4ToFloat(x.data<uint8_t>()[i]);
      return static_cast<float>(LoadInteger(x, i));
    };
    const int64_t rows = L.outer * L.dim;
    ParallelFor(ctx.thread_pool(), rows, static_cast<double>(L.inner) * 4, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t o = r / L.dim, d = r % L.dim;
        const int64_t p0 = L.ParamIndex(o, d), ps = L.InnerStride();
        const int64_t base = r * L.inner;
        for (int64_t i = 0; i < L.inner; ++i) {
          const int64_t p = p0 + i * ps;
          const float v = (load(base + i) - zps[p]) * scales[p];
          switch (out_type) {
            case DataType::Float: y.data<float>()[base + i] = v; break;
            case DataType::Double: y.data<double>()[base + i] = v; break;
            case DataType::Float16: y.data<uint16_t>()[base + i] = FloatToHalf(v); break;
            default: y.data<uint16_t>()[base + i] = FloatToBFloat16(v); break;
          }
        }
      }
    });
  }

 private:
  int64_t axis_;
  int64_t block_size_;
  DataType output_dtype_;
};

// Asymmetric uint8 quantization with the range taken from the data (always including 0).
class DynamicQuantizeLinearKernel final : public OpKernel {
 public:
  explicit DynamicQuantizeLinearKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    if (x.dtype() != DataType::Float)
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("x must be float, got ") + DataTypeName(x.dtype()));
    const float* px = x.data<float>();
    float mx = 0.f, mn = 0.f;
    for (int64_t i = 0; i < x.size(); ++i) {
      mx = std::max(mx, px[i]);
      mn = std::min(mn, px[i]);
    }
    const float scale = (mx == mn ? 1.f : mx - mn) / 255.f;
    const float zp_f = std::min(255.f, std::max(0.f, 0.f - mn / scale));
    const float zp = std::nearbyint(zp_f);
    Tensor& y = ctx.Output(0, DataType::UInt8, x.shape());
    uint8_t* py = y.data<uint8_t>();
    ParallelFor(ctx.thread_pool(), x.size(), 4, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const float v = std::nearbyint(px[i] / scale) + zp;
        py[i] = static_cast<uint8_t>(std::isnan(v) ? 0.f : std::min(255.f, std::max(0.f, v)));
      }
    });
    if (ctx.has_output(1)) ctx.Output(1, DataType::Float, {}).data<float>()[0] = scale;
    if (ctx.has_output(2)) ctx.Output(2, DataType::UInt8, {}).data<uint8_t>()[0] = static_cast<uint8_t>(zp);
  }
};

void Reg(KernelRegistry& r, const char* op, int64_t since, std::vector<DataType> types, KernelFactory f) {
  r.Register({kCpuProvider, "", op, since, INT64_MAX, std::move(types), std::move(f)});
}

}  // namespace

void RegisterQuantizeLinearKernels(KernelRegistry& r) {
  Reg(r, "QuantizeLinear", 10, {DataType::Float, DataType::Float16, DataType::BFloat16, DataType::Int32},
      MakeFactory<QuantizeLinearKernel>());
  Reg(r, "DequantizeLinear", 10,
      {DataType::Int8, DataType::UInt8, DataType::Int16, DataType::UInt16, DataType::Int32, DataType::Int4,
       DataType::UInt4, DataType::Float8E4M3FN, DataType::Float8E4M3FNUZ, DataType::Float8E5M2,
       DataType::Float8E5M2FNUZ, DataType::Int2, DataType::UInt2, DataType::Float4E2M1},
      MakeFactory<DequantizeLinearKernel>());
  Reg(r, "DynamicQuantizeLinear", 11, {DataType::Float}, MakeFactory<DynamicQuantizeLinearKernel>());
}

}  // namespace onyx::quant
