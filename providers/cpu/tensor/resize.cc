// Resize (opset 10+) and Upsample (opset 7-9). Interpolation is separable: each resized axis gets a
// table of taps (source index, weight) per output index and is resampled in its own pass, as the
// ONNX reference does. Nearest needs no arithmetic and becomes one index gather in the input type.
#include <cmath>
#include <limits>
#include <memory>

#include "core/memory_limits.h"
#include "core/thread_pool.h"
#include "math/math_common.h"
#include "tensor/tensor_helpers.h"

namespace onyx {
namespace {

enum class Mode { Nearest, Linear, Cubic };
enum class Coord { HalfPixel, HalfPixelSymmetric, PytorchHalfPixel, AlignCorners, Asymmetric, TfHalfPixelForNn, TfCropAndResize };
// Legacy is opset 10 Resize and Upsample: truncate when upsampling, ceil when downsampling.
enum class Nearest { RoundPreferFloor, RoundPreferCeil, Floor, Ceil, Legacy };

struct AxisPlan {
  int64_t in = 0, out = 0;
  double scale = 1;
  double roi_start = 0, roi_end = 1;
};

// Per axis: for each output index, `taps` source indices (clamped) and weights, and whether the
// output index falls outside the crop box (tf_crop_and_resize only).
struct AxisTaps {
  int64_t taps = 1;
  std::vector<int64_t> index;
  std::vector<double> weight;
  std::vector<bool> extrapolated;
};

double CubicKernel(double x, double a) {
  x = std::fabs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

class ResizeKernel final : public OpKernel {
 public:
  ResizeKernel(const KernelInfo& info, bool upsample) : upsample_(upsample), opset_(info.opset()) {
    const std::string mode = info.GetString("mode", "nearest");
    if (mode == "nearest") mode_ = Mode::Nearest;
    else if (mode == "linear" || (upsample && mode == "bilinear")) mode_ = Mode::Linear;
    else if (mode == "cubic" && !upsample && opset_ >= 11) mode_ = Mode::Cubic;
    else throw info.MakeError(ErrorCode::InvalidGraph, "mode '" + mode + "' is not supported");
    legacy_ = upsample || opset_ < 11;
    if (legacy_) {
      coord_ = Coord::Asymmetric;
      nearest_ = Nearest::Legacy;
    } else {
      const std::string c = info.GetString("coordinate_transformation_mode", "half_pixel");
      if (c == "half_pixel") coord_ = Coord::HalfPixel;
      else if (c == "half_pixel_symmetric") coord_ = Coord::HalfPixelSymmetric;
      else if (c == "pytorch_half_pixel") coord_ = Coord::PytorchHalfPixel;
      else if (c == "align_corners") coord_ = Coord::AlignCorners;
      else if (c == "asymmetric") coord_ = Coord::Asymmetric;
      else if (c == "tf_half_pixel_for_nn") coord_ = Coord::TfHalfPixelForNn;
      else if (c == "tf_crop_and_resize") coord_ = Coord::TfCropAndResize;
      else throw info.MakeError(ErrorCode::InvalidGraph, "coordinate_transformation_mode '" + c + "' is not supported");
      const std::string n = info.GetString("nearest_mode", "round_prefer_floor");
      if (n == "round_prefer_floor") nearest_ = Nearest::RoundPreferFloor;
      else if (n == "round_prefer_ceil") nearest_ = Nearest::RoundPreferCeil;
      else if (n == "floor") nearest_ = Nearest::Floor;
      else if (n == "ceil") nearest_ = Nearest::Ceil;
      else throw info.MakeError(ErrorCode::InvalidGraph, "nearest_mode '" + n + "' is not supported");
    }
    cubic_a_ = info.GetFloat("cubic_coeff_a", -0.75f);
    exclude_outside_ = info.GetInt("exclude_outside", 0) != 0;
    extrapolation_ = info.GetFloat("extrapolation_value", 0.f);
    antialias_ = info.GetInt("antialias", 0) != 0 && mode_ != Mode::Nearest;
    axes_attr_ = info.GetInts("axes");
    const std::string policy = info.GetString("keep_aspect_ratio_policy", "stretch");
    if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
      throw info.MakeError(ErrorCode::InvalidGraph, "keep_aspect_ratio_policy '" + policy + "' is not supported");
    policy_ = policy;
    if (upsample && opset_ < 9) {
      if (!info.HasAttribute("scales")) throw info.MakeError(ErrorCode::InvalidGraph, "required attribute 'scales' is missing");
      scales_attr_ = info.GetFloats("scales");
    }
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    std::vector<AxisPlan> plan = Plan(ctx, x);
    std::vector<int64_t> out_shape(rank);
    for (int64_t k = 0; k < rank; ++k) out_shape[k] = plan[k].out;
    Tensor& y = ctx.Output(0, x.dtype(), out_shape);
    if (y.size() == 0) return;

    std::vector<int64_t> resized;  // axes that change
    for (int64_t k = 0; k < rank; ++k) {
      const AxisPlan& p = plan[k];
      if (p.in == 0)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot resize axis " + std::to_string(k) + " of size 0 to size " + std::to_string(p.out));
      bool same = p.out == p.in && p.scale == 1.0 && (coord_ != Coord::TfCropAndResize || (p.roi_start == 0 && p.roi_end == 1));
      if (!same) resized.push_back(k);
    }
    if (mode_ == Mode::Nearest) {
      ResizeNearest(ctx, x, y, plan);
      return;
    }
    DispatchAll(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool>) {
        throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("linear and cubic resize do not support ") + DataTypeName(x.dtype()));
      } else {
        ResizeInterpolated<T>(ctx, x, y, plan, resized);
      }
    });
  }

 private:
  // Output size, scale and crop box per axis, from the scales or sizes given.
  std::vector<AxisPlan> Plan(const KernelContext& ctx, const Tensor& x) const {
    const int64_t rank = static_cast<int64_t>(x.rank());
    std::vector<double> scales;
    std::vector<int64_t> sizes;
    const Tensor* roi = nullptr;
    auto read_scales = [&](const Tensor& t) {
      for (int64_t i = 0; i < t.size(); ++i) scales.push_back(ReadAsDouble(t, i, ctx));
    };
    if (upsample_ && opset_ < 9) {
      scales.assign(scales_attr_.begin(), scales_attr_.end());
    } else if (legacy_) {
      read_scales(ctx.Input(1));
    } else {
      roi = ctx.OptionalInput(1);
      if (const Tensor* s = ctx.OptionalInput(2)) read_scales(*s);
      if (const Tensor* s = ctx.OptionalInput(3)) sizes = ReadIndices(*s, ctx, "sizes");
    }
    if (scales.empty() == sizes.empty())
      throw ctx.MakeError(ErrorCode::InvalidArgument, "exactly one of scales and sizes should be given");

    std::vector<int64_t> axes;
    if (axes_attr_.empty() || legacy_) {
      for (int64_t k = 0; k < rank; ++k) axes.push_back(k);
    } else {
      std::vector<bool> seen(rank, false);
      for (int64_t a : axes_attr_) {
        int64_t n = CheckedAxis(a, rank, ctx, "resize axis");
        if (seen[n]) throw ctx.MakeError(ErrorCode::InvalidArgument, "axes " + ShapeToString(axes_attr_) + " repeat an axis");
        seen[n] = true;
        axes.push_back(n);
      }
    }
    const size_t n = axes.size();
    if ((!scales.empty() && scales.size() != n) || (!sizes.empty() && sizes.size() != n))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "scales or sizes should have " + std::to_string(n) + " values (one per resized axis), got " +
                                                          std::to_string(scales.empty() ? sizes.size() : scales.size()));
    std::vector<AxisPlan> plan(rank);
    for (int64_t k = 0; k < rank; ++k) plan[k].in = plan[k].out = x.dim(k);
    if (!scales.empty()) {
      for (size_t i = 0; i < n; ++i) {
        const double s = scales[i];
        if (!(s > 0) || !std::isfinite(s))
          throw ctx.MakeError(ErrorCode::InvalidArgument, "scale " + std::to_string(s) + " for axis " + std::to_string(axes[i]) + " should be positive");
        AxisPlan& p = plan[axes[i]];
        p.scale = s;
        const double out = s * static_cast<double>(p.in);
        if (out >= 9.2e18) throw ctx.MakeError(ErrorCode::InvalidArgument, "scale " + std::to_string(s) + " gives an output too large");
        p.out = static_cast<int64_t>(out);
      }
    } else {
      for (size_t i = 0; i < n; ++i) {
        if (sizes[i] < 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "sizes " + ShapeToString(sizes) + " has a negative value");
        AxisPlan& p = plan[axes[i]];
        p.out = sizes[i];
        p.scale = p.in > 0 ? static_cast<double>(sizes[i]) / static_cast<double>(p.in) : 1.0;
      }
      if (policy_ != "stretch") {
        double s = plan[axes[0]].scale;
        for (int64_t a : axes) s = policy_ == "not_larger" ? std::min(s, plan[a].scale) : std::max(s, plan[a].scale);
        for (int64_t a : axes) {
          plan[a].scale = s;
          const double out = s * static_cast<double>(plan[a].in) + 0.5;
          if (!(out < 9.2e18)) throw ctx.MakeError(ErrorCode::InvalidArgument, "sizes give an output too large for axis " + std::to_string(a));
          plan[a].out = static_cast<int64_t>(out);
        }
      }
    }
    if (coord_ == Coord::TfCropAndResize) {
      if (!roi || roi->size() == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "tf_crop_and_resize needs the roi input");
      if (roi->size() != static_cast<int64_t>(2 * n))
        throw ctx.MakeError(ErrorCode::InvalidArgument, "roi should have " + std::to_string(2 * n) + " values, got " + std::to_string(roi->size()));
      for (size_t i = 0; i < n; ++i) {
        plan[axes[i]].roi_start = ReadAsDouble(*roi, static_cast<int64_t>(i), ctx);
        plan[axes[i]].roi_end = ReadAsDouble(*roi, static_cast<int64_t>(i + n), ctx);
      }
    }
    return plan;
  }

  // Source coordinate of output index o.
  double SourceCoord(const AxisPlan& p, int64_t o) const {
    const double in = static_cast<double>(p.in), out_w = p.scale * in, x = static_cast<double>(o);
    switch (coord_) {
      case Coord::AlignCorners: return out_w == 1 ? 0.0 : x * (in - 1) / (out_w - 1);
      case Coord::Asymmetric: return x / p.scale;
      case Coord::TfHalfPixelForNn: return (x + 0.5) / p.scale;
      case Coord::TfCropAndResize: {
        double xo = out_w == 1 ? (p.roi_end - p.roi_start) * (in - 1) / 2 : x * (p.roi_end - p.roi_start) * (in - 1) / (out_w - 1);
        return xo + p.roi_start * (in - 1);
      }
      case Coord::PytorchHalfPixel: return out_w == 1 ? -0.5 : (x + 0.5) / p.scale - 0.5;
      case Coord::HalfPixel: return (x + 0.5) / p.scale - 0.5;
      case Coord::HalfPixelSymmetric: {
        const double adjustment = static_cast<double>(p.out) / out_w, center = in / 2;
        return center * (1 - adjustment) + (x + 0.5) / p.scale - 0.5;
      }
    }
    return 0;
  }

  bool Outside(const AxisPlan& p, double xo) const {
    return coord_ == Coord::TfCropAndResize && (xo < 0 || xo > static_cast<double>(p.in - 1));
  }

  // A source coordinate clamped into [0, n - 1]; NaN (from a NaN roi) reads element 0.
  static int64_t ClampedIndex(double x, int64_t n) {
    if (!(x > 0)) return 0;
    return x >= static_cast<double>(n - 1) ? n - 1 : static_cast<int64_t>(x);
  }

  int64_t NearestIndex(const AxisPlan& p, double xo) const {
    const double fl = std::floor(xo), ratio = xo - fl;
    double pick = xo;
    if (xo != fl) {
      switch (nearest_) {
        case Nearest::RoundPreferFloor: pick = ratio <= 0.5 ? fl : fl + 1; break;
        case Nearest::RoundPreferCeil: pick = ratio < 0.5 ? fl : fl + 1; break;
        case Nearest::Floor: pick = fl; break;
        case Nearest::Ceil: pick = fl + 1; break;
        case Nearest::Legacy: pick = p.scale < 1 ? fl + 1 : std::trunc(xo); break;
      }
    }
    return ClampedIndex(pick, p.in);
  }

  void ResizeNearest(const KernelContext& ctx, const Tensor& x, Tensor& y, const std::vector<AxisPlan>& plan) const {
    const std::vector<int64_t> strides = ContiguousStrides(x.shape());
    std::vector<std::vector<int64_t>> maps(plan.size());
    for (size_t k = 0; k < plan.size(); ++k) {
      const AxisPlan& p = plan[k];
      maps[k].resize(p.out);
      const bool same = p.out == p.in && p.scale == 1.0 && coord_ != Coord::TfCropAndResize;
      for (int64_t o = 0; o < p.out; ++o) {
        if (same) {
          maps[k][o] = o * strides[k];
          continue;
        }
        const double xo = SourceCoord(p, o);
        maps[k][o] = Outside(p, xo) ? -1 : NearestIndex(p, xo) * strides[k];
      }
    }
    Tensor fill(x.dtype(), {});
    DispatchAll(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) fill.data<T>()[0] = FromFloat<T>(extrapolation_);
      else if constexpr (std::is_floating_point_v<T>) fill.data<T>()[0] = static_cast<T>(extrapolation_);
      else if constexpr (std::is_same_v<T, bool>) fill.data<T>()[0] = extrapolation_ != 0;
      else if constexpr (std::is_integral_v<T>) fill.data<T>()[0] = math::FloatToInt<T>(extrapolation_);
    });
    GatherAxisMaps(x, y, maps, fill, ctx.thread_pool());
  }

  AxisTaps Taps(const AxisPlan& p) const {
    AxisTaps t;
    if (p.out == 0) return t;  // (its scale may be 0)
    // Taps i_start .. i_start + n - 1 around floor(x); antialias widens the kernel by 1/scale.
    const double support = mode_ == Mode::Linear ? 1.0 : 2.0;
    const double s = antialias_ ? std::min(p.scale, 1.0) : 1.0;
    const int64_t i_start = static_cast<int64_t>(std::floor(-support / s)) + 1;
    t.taps = 2 - 2 * i_start;
    CheckAllocationSize(p.out * t.taps, sizeof(int64_t) + sizeof(double), "resize taps");
    t.index.resize(p.out * t.taps);
    t.weight.resize(p.out * t.taps);
    t.extrapolated.assign(p.out, false);
    for (int64_t o = 0; o < p.out; ++o) {
      const double xo = SourceCoord(p, o);
      t.extrapolated[o] = Outside(p, xo);
      // An integral x counts as the right end of the cell to its left (ratio 1), as in the reference.
      double base = std::floor(xo);
      if (base == xo) base -= 1;
      double sum = 0;
      for (int64_t j = 0; j < t.taps; ++j) {
        const double idx = base + static_cast<double>(i_start + j);
        const double d = s * (idx - xo);
        double w = mode_ == Mode::Linear ? std::max(0.0, 1.0 - std::fabs(d)) : CubicKernel(d, cubic_a_);
        if (exclude_outside_ && (idx < 0 || idx >= static_cast<double>(p.in))) w = 0;
        t.weight[o * t.taps + j] = w;
        t.index[o * t.taps + j] = ClampedIndex(idx, p.in);
        sum += w;
      }
      if ((antialias_ || exclude_outside_) && sum != 0)
        for (int64_t j = 0; j < t.taps; ++j) t.weight[o * t.taps + j] /= sum;
    }
    return t;
  }

  template <typename T>
  void ResizeInterpolated(const KernelContext& ctx, const Tensor& x, Tensor& y, const std::vector<AxisPlan>& plan,
                          const std::vector<int64_t>& resized) const {
    constexpr bool kHalf = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;
    using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;
    std::vector<int64_t> shape = x.shape();
    // Buffers are written in full by each pass, so they skip zero-initialisation.
    std::unique_ptr<Acc[]> cur(new Acc[static_cast<size_t>(x.size())]);
    for (int64_t i = 0; i < x.size(); ++i) {
      if constexpr (kHalf) cur[i] = ToFloat(x.data<T>()[i]);
      else cur[i] = static_cast<Acc>(x.data<T>()[i]);
    }
    for (int64_t axis : resized) {
      const AxisPlan& p = plan[axis];
      const AxisTaps taps = Taps(p);
      const int64_t nt = taps.taps;
      std::vector<Acc> weight(taps.weight.begin(), taps.weight.end());
      int64_t outer = 1, inner = 1;
      for (int64_t k = 0; k < axis; ++k) outer *= shape[k];
      for (int64_t k = axis + 1; k < static_cast<int64_t>(shape.size()); ++k) inner *= shape[k];
      CheckAllocationSize(outer * p.out * inner, sizeof(Acc), "a resize intermediate");
      std::unique_ptr<Acc[]> next(new Acc[static_cast<size_t>(outer * p.out * inner)]);
      const Acc extrapolation = static_cast<Acc>(extrapolation_);
      const Acc* in_data = cur.get();
      Acc* out_data = next.get();
      if (inner == 1) {
        // The innermost axis: one dot product of nt taps per output element.
        ParallelFor(ctx.thread_pool(), outer, static_cast<double>(p.out * nt), [&](int64_t begin, int64_t end) {
          for (int64_t o = begin; o < end; ++o) {
            const Acc* src = in_data + o * p.in;
            Acc* dst = out_data + o * p.out;
            for (int64_t q = 0; q < p.out; ++q) {
              Acc acc = 0;
              for (int64_t j = 0; j < nt; ++j) acc += weight[q * nt + j] * src[taps.index[q * nt + j]];
              dst[q] = taps.extrapolated[q] ? extrapolation : acc;
            }
          }
        });
      } else {
        ParallelFor(ctx.thread_pool(), outer * p.out, static_cast<double>(inner * nt), [&](int64_t begin, int64_t end) {
          for (int64_t row = begin; row < end; ++row) {
            const int64_t o = row / p.out, q = row % p.out;
            Acc* dst = out_data + row * inner;
            if (taps.extrapolated[q]) {
              std::fill(dst, dst + inner, extrapolation);
              continue;
            }
            std::fill(dst, dst + inner, Acc(0));
            for (int64_t j = 0; j < nt; ++j) {
              const Acc w = weight[q * nt + j];
              if (w == 0) continue;
              const Acc* src = in_data + (o * p.in + taps.index[q * nt + j]) * inner;
              for (int64_t i = 0; i < inner; ++i) dst[i] += w * src[i];
            }
          }
        });
      }
      cur = std::move(next);
      shape[axis] = p.out;
    }
    T* out = y.data<T>();
    for (int64_t i = 0; i < y.size(); ++i) {
      if constexpr (kHalf) {
        out[i] = FromFloat<T>(cur[i]);
      } else if constexpr (std::is_floating_point_v<T>) {
        out[i] = static_cast<T>(cur[i]);
      } else {
        // Rounded and saturated; NaN (a NaN roi or extrapolation_value) gives 0. The upper test is
        // >= because max() of int64 rounds up to 2^63 as a double, which does not convert back.
        const double v = std::nearbyint(static_cast<double>(cur[i]));
        if (!(v == v)) out[i] = 0;
        else if (v >= static_cast<double>(std::numeric_limits<T>::max())) out[i] = std::numeric_limits<T>::max();
        else if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) out[i] = std::numeric_limits<T>::lowest();
        else out[i] = static_cast<T>(v);
      }
    }
  }

  bool upsample_;
  int64_t opset_;
  Mode mode_ = Mode::Nearest;
  bool legacy_ = false;
  Coord coord_ = Coord::HalfPixel;
  Nearest nearest_ = Nearest::RoundPreferFloor;
  float cubic_a_ = -0.75f, extrapolation_ = 0.f;
  bool exclude_outside_ = false, antialias_ = false;
  std::vector<int64_t> axes_attr_;
  std::string policy_;
  std::vector<float> scales_attr_;
};

}  // namespace

void RegisterResizeKernels(KernelRegistry& r) {
  std::vector<DataType> types = AllNumericTypes();
  types.push_back(DataType::Bool);
  RegisterTensorKernel(r, "Resize", 10, INT64_MAX, types, [](const KernelInfo& info) -> std::unique_ptr<OpKernel> {
    return std::make_unique<ResizeKernel>(info, false);
  });
  RegisterTensorKernel(r, "Upsample", 7, 9, types, [](const KernelInfo& info) -> std::unique_ptr<OpKernel> {
    return std::make_unique<ResizeKernel>(info, true);
  });
}

}  // namespace onyx
