// GridSample (opset 16: 4-D, bilinear/nearest/bicubic; opset 20: N-D, linear/nearest/cubic) and
// AffineGrid. Interpolation is separable: each spatial dim contributes 1, 2 or 4 taps with
// weights, and the output sums the products over every combination of taps.
#include <cmath>
#include <vector>

#include "core/thread_pool.h"
#include "detection/detection_common.h"
#include "detection/detection_kernels.h"

namespace onyx {
namespace {

using detection::AccOf;
using detection::Load;
using detection::Store;

enum class Interp { Nearest, Linear, Cubic };
enum class Padding { Zeros, Border, Reflection };

constexpr int kMaxSpatial = 3;

// Folds x into [lo, hi] by mirroring at the borders as many times as needed.
double Reflect(double x, double lo, double hi) {
  const double range = hi - lo;
  if (range <= 0) return lo;
  if (x < lo) {
    const double dx = lo - x;
    const int64_t n = static_cast<int64_t>(dx / range);
    const double r = dx - static_cast<double>(n) * range;
    return n % 2 == 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const double dx = x - hi;
    const int64_t n = static_cast<int64_t>(dx / range);
    const double r = dx - static_cast<double>(n) * range;
    return n % 2 == 0 ? hi - r : lo + r;
  }
  return x;
}

void CubicCoeffs(double t, double c[4]) {
  constexpr double a = -0.75;
  t = std::abs(t);
  c[0] = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a;
  c[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
  c[2] = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1;
  c[3] = ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a;
}

class GridSampleKernel final : public OpKernel {
 public:
  explicit GridSampleKernel(const KernelInfo& info) : align_corners_(info.GetInt("align_corners", 0) != 0) {
    const std::string mode = info.GetString("mode", info.opset() >= 20 ? "linear" : "bilinear");
    if (mode == "bilinear" || mode == "linear") interp_ = Interp::Linear;
    else if (mode == "nearest") interp_ = Interp::Nearest;
    else if (mode == "bicubic" || mode == "cubic") interp_ = Interp::Cubic;
    else throw info.MakeError(ErrorCode::InvalidGraph, "mode should be linear, nearest or cubic (or bilinear/bicubic), got " + mode);
    const std::string pad = info.GetString("padding_mode", "zeros");
    if (pad == "zeros") padding_ = Padding::Zeros;
    else if (pad == "border") padding_ = Padding::Border;
    else if (pad == "reflection") padding_ = Padding::Reflection;
    else throw info.MakeError(ErrorCode::InvalidGraph, "padding_mode should be zeros, border or reflection, got " + pad);
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const Tensor& grid = ctx.Input(1);
    const int64_t r = static_cast<int64_t>(x.rank()) - 2;
    if (r < 1 || r > kMaxSpatial)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "X should have 1 to 3 spatial dims ([N, C, D1...]), got " + ShapeToString(x.shape()));
    if (static_cast<int64_t>(grid.rank()) != r + 2 || grid.dim(0) != x.dim(0) || grid.dim(r + 1) != r)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "grid should have shape [" + std::to_string(x.dim(0)) + ", spatial..., " +
                                                          std::to_string(r) + "] for X " + ShapeToString(x.shape()) + ", got " +
                                                          ShapeToString(grid.shape()));
    std::vector<int64_t> out_shape = {x.dim(0), x.dim(1)};
    for (int64_t i = 0; i < r; ++i) out_shape.push_back(grid.dim(i + 1));
    Tensor& y = ctx.Output(0, x.dtype(), out_shape);
    if (y.size() == 0) return;
    const int64_t n = x.dim(0), c = x.dim(1);
    int64_t in_dims[kMaxSpatial], in_strides[kMaxSpatial];
    int64_t plane = 1;
    for (int64_t i = r - 1; i >= 0; --i) {
      in_dims[i] = x.dim(i + 2);
      in_strides[i] = plane;
      plane *= in_dims[i];
    }
    const int64_t points = y.size() / (n * c);
    // Grid values as double, whatever their float type.
    std::vector<double> g(static_cast<size_t>(grid.size()));
    DispatchFloating(grid.dtype(), ctx, [&](auto tag) {
      using G = typename decltype(tag)::type;
      for (int64_t i = 0; i < grid.size(); ++i) g[i] = Load(grid.data<G>()[i]);
    });
    DispatchFloating(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* xd = x.data<T>();
      T* yd = y.data<T>();
      const int taps = interp_ == Interp::Nearest ? 1 : interp_ == Interp::Linear ? 2 : 4;
      ParallelFor(ctx.thread_pool(), n * points, static_cast<double>(c * 8 * taps * r), [&](int64_t begin, int64_t end) {
        int64_t idx[kMaxSpatial][4];
        double w[kMaxSpatial][4];
        for (int64_t np = begin; np < end; ++np) {
          const int64_t b = np / points, p = np % points;
          const double* gp = g.data() + np * r;
          bool any_zero_dim = false;
          for (int64_t d = 0; d < r; ++d) {
            if (in_dims[d] == 0) any_zero_dim = true;
            Taps(gp[r - 1 - d], in_dims[d], idx[d], w[d]);
          }
          for (int64_t ch = 0; ch < c; ++ch) {
            const T* src = xd + (b * c + ch) * plane;
            double acc = 0.0;
            if (!any_zero_dim) {
              int t[kMaxSpatial] = {0, 0, 0};
              while (true) {
                double weight = 1.0;
                int64_t off = 0;
                for (int64_t d = 0; d < r; ++d) {
                  const int64_t i = idx[d][t[d]];
                  if (i < 0) {  // a zero-padded tap
                    weight = 0.0;
                    break;
                  }
                  weight *= w[d][t[d]];
                  off += i * in_strides[d];
                }
                if (weight != 0.0) acc += weight * static_cast<double>(Load(src[off]));
                int64_t d = r - 1;
                while (d >= 0 && ++t[d] == taps) t[d--] = 0;
                if (d < 0) break;
              }
            }
            yd[(b * c + ch) * points + p] = Store<T>(static_cast<AccOf<T>>(acc));
          }
        }
      });
    });
  }

 private:
  // Source index for tap position i along a dim of length len: -1 means zero padding.
  int64_t PadIndex(int64_t i, int64_t len, double lo, double hi) const {
    if (i >= 0 && i < len) return i;
    switch (padding_) {
      case Padding::Zeros: return -1;
      case Padding::Border: return i < 0 ? 0 : len - 1;
      case Padding::Reflection: {
        const int64_t j = static_cast<int64_t>(Reflect(static_cast<double>(i), lo, hi));
        return std::clamp<int64_t>(j, 0, len - 1);
      }
    }
    return -1;
  }

  void Taps(double gv, int64_t len, int64_t* idx, double* w) const {
    if (len == 0) return;
    const double lo = align_corners_ ? 0.0 : -0.5;
    const double hi = align_corners_ ? static_cast<double>(len) - 1.0 : static_cast<double>(len) - 0.5;
    double v = align_corners_ ? (gv + 1.0) / 2.0 * static_cast<double>(len - 1) : ((gv + 1.0) * static_cast<double>(len) - 1.0) / 2.0;
    if (!std::isfinite(v)) v = 0.0;
    // Keeps the integer conversions below defined for absurd grid values.
    v = std::clamp(v, -1e9, 1e9);
    if (interp_ == Interp::Nearest) v = std::nearbyint(v);
    if (v < lo || v > hi) {
      if (padding_ == Padding::Border) v = std::clamp(v, 0.0, static_cast<double>(len - 1));
      else if (padding_ == Padding::Reflection) v = Reflect(v, lo, hi);
    }
    switch (interp_) {
      case Interp::Nearest:
        idx[0] = PadIndex(static_cast<int64_t>(v), len, lo, hi);
        w[0] = 1.0;
        break;
      case Interp::Linear: {
        const double f = std::floor(v);
        const int64_t i0 = static_cast<int64_t>(f);
        const double t = v - f;
        idx[0] = PadIndex(i0, len, lo, hi);
        idx[1] = PadIndex(i0 + 1, len, lo, hi);
        w[0] = 1.0 - t;
        w[1] = t;
        break;
      }
      case Interp::Cubic: {
        const double f = std::floor(v);
        const int64_t i0 = static_cast<int64_t>(f);
        CubicCoeffs(v - f, w);
        for (int k = 0; k < 4; ++k) idx[k] = PadIndex(i0 - 1 + k, len, lo, hi);
        break;
      }
    }
  }

  bool align_corners_;
  Interp interp_ = Interp::Linear;
  Padding padding_ = Padding::Zeros;
};

class AffineGridKernel final : public OpKernel {
 public:
  explicit AffineGridKernel(const KernelInfo& info) : align_corners_(info.GetInt("align_corners", 0) != 0) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& theta = ctx.Input(0);
    const std::vector<int64_t> size = ReadInt64s(ctx.Input(1), ctx);
    if (size.size() != 4 && size.size() != 5)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "size should have 4 ([N, C, H, W]) or 5 ([N, C, D, H, W]) values, got " +
                                                          std::to_string(size.size()));
    const int64_t r = static_cast<int64_t>(size.size()) - 2;
    const int64_t n = size[0];
    if (theta.rank() != 3 || theta.dim(0) != n || theta.dim(1) != r || theta.dim(2) != r + 1)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "theta should have shape [" + std::to_string(n) + ", " + std::to_string(r) + ", " +
                                                          std::to_string(r + 1) + "], got " + ShapeToString(theta.shape()));
    std::vector<int64_t> out_shape = {n};
    for (int64_t i = 0; i < r; ++i) out_shape.push_back(size[i + 2]);
    out_shape.push_back(r);
    Tensor& y = ctx.Output(0, theta.dtype(), out_shape);
    if (y.size() == 0) return;
    // Base coordinates per spatial dim (in X order: D, H, W).
    std::vector<std::vector<double>> base(static_cast<size_t>(r));
    for (int64_t d = 0; d < r; ++d) {
      const int64_t len = size[d + 2];
      base[d].resize(static_cast<size_t>(len));
      for (int64_t i = 0; i < len; ++i) {
        if (align_corners_) base[d][i] = len == 1 ? -1.0 : -1.0 + 2.0 * static_cast<double>(i) / static_cast<double>(len - 1);
        else base[d][i] = (2.0 * static_cast<double>(i) + 1.0) / static_cast<double>(len) - 1.0;
      }
    }
    const int64_t points = y.size() / (n * r);
    DispatchFloating(theta.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* yd = y.data<T>();
      for (int64_t b = 0; b < n; ++b) {
        const T* th = theta.data<T>() + b * r * (r + 1);
        for (int64_t p = 0; p < points; ++p) {
          // Homogeneous point (x, y[, z], 1): x is the last spatial dim.
          double hp[kMaxSpatial + 1];
          int64_t rem = p;
          for (int64_t d = r - 1; d >= 0; --d) {
            const int64_t len = size[d + 2];
            hp[r - 1 - d] = base[d][rem % len];
            rem /= len;
          }
          hp[r] = 1.0;
          for (int64_t k = 0; k < r; ++k) {
            double acc = 0.0;
            for (int64_t j = 0; j <= r; ++j) acc += static_cast<double>(Load(th[k * (r + 1) + j])) * hp[j];
            yd[(b * points + p) * r + k] = Store<T>(static_cast<AccOf<T>>(acc));
          }
        }
      }
    });
  }

 private:
  bool align_corners_;
};

}  // namespace

void RegisterGridSampleKernels(KernelRegistry& r) {
  const std::vector<DataType> types = {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16};
  r.Register({kCpuProvider, "", "GridSample", 16, INT64_MAX, types, MakeFactory<GridSampleKernel>()});
  r.Register({kCpuProvider, "", "AffineGrid", 20, INT64_MAX, types, MakeFactory<AffineGridKernel>()});
}

}  // namespace onyx
