// Pooling: MaxPool (with Indices), AveragePool, LpPool and their Global forms, over 1 to 3
// spatial dims. Windows are described per dim by tables of valid taps, so padding, ceil_mode
// and dilations cost nothing in the inner loops. 16-bit floats compute in float.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/thread_pool.h"
#include "cpu_kernels.h"
#include "mlas/nn_pool.h"
#include "mlas/nn_reduce.h"
#include "nn/nn_common.h"

namespace onyx {

namespace {

// For each output index o of one dim: the first input coordinate of the window and the
// range [k0, k1) of taps that land inside the input; `padded` counts taps inside the padded
// extent (for count_include_pad).
struct DimWindows {
  int64_t dilation = 1, extent = 1;  // extent: input size of the dim
  std::vector<int64_t> start, k0, k1, padded;
};

DimWindows MakeDimWindows(int64_t in, int64_t out, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe) {
  DimWindows w;
  w.dilation = d;
  w.extent = in;
  w.start.resize(out);
  w.k0.resize(out);
  w.k1.resize(out);
  w.padded.resize(out);
  for (int64_t o = 0; o < out; ++o) {
    const int64_t st = o * s - pb;
    int64_t a = st >= 0 ? 0 : (-st + d - 1) / d;
    int64_t b = in - 1 - st < 0 ? 0 : (in - 1 - st) / d + 1;
    a = std::min(a, k);
    b = std::clamp(b, a, k);
    const int64_t limit = in + pe - 1 - st;  // last padded coordinate relative to start
    const int64_t pc = limit < 0 ? 0 : std::min(k, limit / d + 1);
    w.start[o] = st;
    w.k0[o] = a;
    w.k1[o] = b;
    w.padded[o] = pc;
  }
  return w;
}

// Spatial dims lifted to exactly three (leading dims of size 1).
struct Windows3 {
  DimWindows dim[3];
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1};
  int64_t in_size = 1, out_size = 1;
};

Windows3 MakeWindows(const WindowGeometry& g) {
  Windows3 w;
  const size_t off = 3 - g.rank();
  for (size_t i = 0; i < 3; ++i) {
    if (i < off) {
      w.dim[i] = MakeDimWindows(1, 1, 1, 1, 1, 0, 0);
      continue;
    }
    const size_t d = i - off;
    w.dim[i] = MakeDimWindows(g.input[d], g.output[d], g.kernel[d], g.strides[d], g.dilations[d], g.pad_begin[d],
                              g.pad_end[d]);
    w.in[i] = g.input[d];
    w.out[i] = g.output[d];
  }
  w.in_size = w.in[0] * w.in[1] * w.in[2];
  w.out_size = w.out[0] * w.out[1] * w.out[2];
  return w;
}

template <typename T>
T Lowest() {
  return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
}

// Visits the valid taps of output (o0, o1, o2): fn(input offset within the plane, coords).
template <typename Fn>
inline void ForEachTap(const Windows3& w, int64_t o0, int64_t o1, int64_t o2, Fn&& fn) {
  const DimWindows &a = w.dim[0], &b = w.dim[1], &c = w.dim[2];
  for (int64_t i = a.k0[o0]; i < a.k1[o0]; ++i) {
    const int64_t x0 = a.start[o0] + i * a.dilation;
    for (int64_t j = b.k0[o1]; j < b.k1[o1]; ++j) {
      const int64_t x1 = b.start[o1] + j * b.dilation;
      const int64_t base = (x0 * w.in[1] + x1) * w.in[2];
      if (c.dilation == 1) {
        for (int64_t x2 = c.start[o2] + c.k0[o2], e = c.start[o2] + c.k1[o2]; x2 < e; ++x2) fn(base + x2, x0, x1, x2);
      } else {
        for (int64_t k = c.k0[o2]; k < c.k1[o2]; ++k) {
          const int64_t x2 = c.start[o2] + k * c.dilation;
          fn(base + x2, x0, x1, x2);
        }
      }
    }
  }
}

enum class PoolKind { Max, Average, Lp };

struct PoolParams {
  PoolKind kind = PoolKind::Max;
  bool count_include_pad = false;
  int64_t storage_order = 0;
  double p = 2;  // LpPool
};

// Pools planes [0, planes) of x (each in_size) into y (each out_size); indices optional.
template <typename T>
void PoolPlanesReference(const PoolParams& pp, const Windows3& w, int64_t planes, const T* x, T* y, int64_t* indices,
                ThreadPool* pool) {
  int64_t window = 1;
  for (const auto& d : w.dim) {
    int64_t m = 0;
    for (size_t o = 0; o < d.k0.size(); ++o) m = std::max(m, d.k1[o] - d.k0[o]);
    window *= std::max<int64_t>(m, 1);
  }
  ParallelFor(pool, planes, static_cast<double>(w.out_size * window) * 2, [&](int64_t pb, int64_t pe) {
    for (int64_t plane = pb; plane < pe; ++plane) {
      const T* xp = x + plane * w.in_size;
      T* yp = y + plane * w.out_size;
      int64_t* ip = indices ? indices + plane * w.out_size : nullptr;
      int64_t o = 0;
      for (int64_t o0 = 0; o0 < w.out[0]; ++o0)
        for (int64_t o1 = 0; o1 < w.out[1]; ++o1)
          for (int64_t o2 = 0; o2 < w.out[2]; ++o2, ++o) {
            if (pp.kind == PoolKind::Max) {
              T m = Lowest<T>();
              int64_t arg = -1, c0 = 0, c1 = 0, c2 = 0;
              ForEachTap(w, o0, o1, o2, [&](int64_t off, int64_t a, int64_t b, int64_t c) {
                if (xp[off] > m || arg < 0) {
                  m = xp[off];
                  arg = off;
                  c0 = a;
                  c1 = b;
                  c2 = c;
                }
              });
              yp[o] = m;
              if (ip) {
                int64_t local = arg < 0 ? 0 : arg;
                if (pp.storage_order == 1 && arg >= 0) local = c0 + c1 * w.in[0] + c2 * w.in[0] * w.in[1];
                ip[o] = plane * w.in_size + local;
              }
            } else if (pp.kind == PoolKind::Average) {
              double sum = 0;
              ForEachTap(w, o0, o1, o2, [&](int64_t off, int64_t, int64_t, int64_t) { sum += static_cast<double>(xp[off]); });
              int64_t count;
              if (pp.count_include_pad) {
                count = w.dim[0].padded[o0] * w.dim[1].padded[o1] * w.dim[2].padded[o2];
              } else {
                count = (w.dim[0].k1[o0] - w.dim[0].k0[o0]) * (w.dim[1].k1[o1] - w.dim[1].k0[o1]) *
                        (w.dim[2].k1[o2] - w.dim[2].k0[o2]);
              }
              yp[o] = count > 0 ? static_cast<T>(sum / static_cast<double>(count)) : T(0);
            } else {
              double sum = 0;
              ForEachTap(w, o0, o1, o2, [&](int64_t off, int64_t, int64_t, int64_t) {
                sum += std::pow(std::fabs(static_cast<double>(xp[off])), pp.p);
              });
              yp[o] = static_cast<T>(std::pow(sum, 1.0 / pp.p));
            }
          }
    }
  });
}

// Max pooling without indices and average pooling over 1 or 2 spatial dims are the hot cases
// (CNN stems and heads): float runs them with the 2-D microkernels. Everything else takes the
// reference loop above.
template <typename T>
void PoolPlanesFast(const PoolParams& pp, const WindowGeometry& g, const Windows3& w, int64_t planes, const T* x, T* y,
                    int64_t* indices, ThreadPool* pool) {
  if constexpr (std::is_same_v<T, float>) {
    if (pp.kind != PoolKind::Lp && !indices && g.rank() <= 2) {
      const bool two_d = g.rank() == 2;
      const mlas::Pool2dShape s{two_d ? g.input[0] : 1,     g.input.back(),    two_d ? g.kernel[0] : 1,
                                g.kernel.back(),            two_d ? g.strides[0] : 1, g.strides.back(),
                                two_d ? g.dilations[0] : 1, g.dilations.back(), two_d ? g.pad_begin[0] : 0,
                                g.pad_begin.back(),         two_d ? g.output[0] : 1,  g.output.back()};
      // Divisors of average pooling: per-dim tap counts multiply.
      const DimWindows &dh = w.dim[1], &dw = w.dim[2];
      std::vector<float> inv;
      if (pp.kind == PoolKind::Average) {
        inv.resize(static_cast<size_t>(w.out_size));
        for (int64_t oh = 0; oh < w.out[1]; ++oh)
          for (int64_t ow = 0; ow < w.out[2]; ++ow) {
            const int64_t c = pp.count_include_pad ? dh.padded[oh] * dw.padded[ow]
                                                   : (dh.k1[oh] - dh.k0[oh]) * (dw.k1[ow] - dw.k0[ow]);
            inv[oh * w.out[2] + ow] = c > 0 ? 1.0f / static_cast<float>(c) : 0.0f;
          }
      }
      ParallelFor(pool, planes, static_cast<double>(w.out_size * g.KernelSize()), [&](int64_t b, int64_t e) {
        for (int64_t plane = b; plane < e; ++plane) {
          const float* xp = x + plane * w.in_size;
          float* yp = y + plane * w.out_size;
          if (pp.kind == PoolKind::Max) {
            mlas::MaxPool2d(xp, s, yp);
          } else {
            mlas::SumPool2d(xp, s, yp);
            for (int64_t o = 0; o < w.out_size; ++o) yp[o] *= inv[o];
          }
        }
      });
      return;
    }
  }
  PoolPlanesReference<T>(pp, w, planes, x, y, indices, pool);
}

class Pool final : public OpKernel {
 public:
  Pool(const KernelInfo& info, PoolKind kind, bool global) : attrs_(info), global_(global) {
    params_.kind = kind;
    params_.count_include_pad = info.GetInt("count_include_pad", 0) != 0;
    params_.storage_order = info.GetInt("storage_order", 0);
    if (kind == PoolKind::Lp) {
      const Attribute* a = info.node().FindAttribute("p");
      if (a && a->type == Attribute::Type::Float) params_.p = a->f;  // opset 1
      else params_.p = static_cast<double>(info.GetInt("p", 2));
      if (!(params_.p > 0)) throw info.MakeError(ErrorCode::InvalidGraph, "p should be positive");
    }
    if (params_.storage_order != 0 && params_.storage_order != 1)
      throw info.MakeError(ErrorCode::InvalidGraph, "storage_order should be 0 or 1");
    if (!global_ && attrs_.kernel_shape.empty())
      throw info.MakeError(ErrorCode::InvalidGraph, "required attribute 'kernel_shape' is missing");
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    if (X.rank() < 3)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input X should have rank >= 3 (N, C, spatial...), got shape " +
                                                          ShapeToString(X.shape()));
    std::vector<int64_t> in_spatial(X.shape().begin() + 2, X.shape().end());
    const int64_t planes = X.dim(0) * X.dim(1);
    if (global_) return ComputeGlobal(ctx, X, planes, ShapeSize(in_spatial));
    if (in_spatial.size() > 3)
      throw ctx.MakeError(ErrorCode::NotImplemented, "pooling over more than 3 spatial dimensions is not supported");
    const WindowGeometry g = ComputeWindowGeometry(attrs_, in_spatial, attrs_.kernel_shape, ctx);
    std::vector<int64_t> y_shape = {X.dim(0), X.dim(1)};
    y_shape.insert(y_shape.end(), g.output.begin(), g.output.end());
    Tensor& Y = ctx.Output(0, X.dtype(), y_shape);
    int64_t* indices = nullptr;
    if (params_.kind == PoolKind::Max && ctx.has_output(1)) indices = ctx.Output(1, DataType::Int64, y_shape).data<int64_t>();
    if (Y.size() == 0) return;
    const Windows3 w = MakeWindows(g);
    ThreadPool* pool = ctx.thread_pool();
    const DataType dt = X.dtype();
    const bool max = params_.kind == PoolKind::Max;
    if (dt == DataType::Float) {
      PoolPlanesFast<float>(params_, g, w, planes, X.data<float>(), Y.data<float>(), indices, pool);
    } else if (dt == DataType::Double) {
      PoolPlanesFast<double>(params_, g, w, planes, X.data<double>(), Y.data<double>(), indices, pool);
    } else if (IsHalfType(dt)) {
      Tensor xf = ToFloatTensor(X), yf(DataType::Float, y_shape);
      PoolPlanesFast<float>(params_, g, w, planes, xf.data<float>(), yf.data<float>(), indices, pool);
      FromFloatTensor(yf, Y);
    } else if (max && dt == DataType::Int8) {
      PoolPlanesFast<int8_t>(params_, g, w, planes, X.data<int8_t>(), Y.data<int8_t>(), indices, pool);
    } else if (max && dt == DataType::UInt8) {
      PoolPlanesFast<uint8_t>(params_, g, w, planes, X.data<uint8_t>(), Y.data<uint8_t>(), indices, pool);
    } else {
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(dt) + " is not supported");
    }
  }

 private:
  template <typename T>
  void GlobalPlanes(const T* x, T* y, int64_t planes, int64_t n, ThreadPool* pool) const {
    ParallelFor(pool, planes, static_cast<double>(n), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const T* p = x + i * n;
        if constexpr (std::is_same_v<T, float>) {
          if (params_.kind == PoolKind::Average) { y[i] = n ? mlas::RowSum(p, n) / static_cast<float>(n) : 0.0f; continue; }
          if (params_.kind == PoolKind::Max) { y[i] = n ? mlas::RowMax(p, n) : Lowest<float>(); continue; }
        }
        double acc = params_.kind == PoolKind::Max ? static_cast<double>(Lowest<T>()) : 0.0;
        for (int64_t k = 0; k < n; ++k) {
          const double v = static_cast<double>(p[k]);
          if (params_.kind == PoolKind::Max) acc = std::max(acc, v);
          else if (params_.kind == PoolKind::Average) acc += v;
          else acc += std::pow(std::fabs(v), params_.p);
        }
        if (params_.kind == PoolKind::Average) acc = n ? acc / static_cast<double>(n) : 0.0;
        if (params_.kind == PoolKind::Lp) acc = std::pow(acc, 1.0 / params_.p);
        y[i] = static_cast<T>(acc);
      }
    });
  }

  void ComputeGlobal(KernelContext& ctx, const Tensor& X, int64_t planes, int64_t n) const {
    std::vector<int64_t> y_shape(X.rank(), 1);
    y_shape[0] = X.dim(0);
    y_shape[1] = X.dim(1);
    Tensor& Y = ctx.Output(0, X.dtype(), y_shape);
    ThreadPool* pool = ctx.thread_pool();
    switch (X.dtype()) {
      case DataType::Float: GlobalPlanes<float>(X.data<float>(), Y.data<float>(), planes, n, pool); break;
      case DataType::Double: GlobalPlanes<double>(X.data<double>(), Y.data<double>(), planes, n, pool); break;
      case DataType::Float16:
      case DataType::BFloat16: {
        Tensor xf = ToFloatTensor(X), yf(DataType::Float, y_shape);
        GlobalPlanes<float>(xf.data<float>(), yf.data<float>(), planes, n, pool);
        FromFloatTensor(yf, Y);
        break;
      }
      default:
        throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(X.dtype()) + " is not supported");
    }
  }

  WindowAttributes attrs_;
  PoolParams params_;
  bool global_;
};

template <PoolKind kKind, bool kGlobal>
KernelFactory PoolFactory() {
  return [](const KernelInfo& info) -> std::unique_ptr<OpKernel> { return std::make_unique<Pool>(info, kKind, kGlobal); };
}

}  // namespace

void RegisterPoolKernels(KernelRegistry& r) {
  const std::vector<DataType> floats = {DataType::Float, DataType::Double, DataType::Float16};
  r.Register({kCpuProvider, "", "MaxPool", 1, INT64_MAX,
              {DataType::Float, DataType::Double, DataType::Float16, DataType::Int8, DataType::UInt8},
              PoolFactory<PoolKind::Max, false>()});
  r.Register({kCpuProvider, "", "AveragePool", 1, INT64_MAX, floats, PoolFactory<PoolKind::Average, false>()});
  r.Register({kCpuProvider, "", "LpPool", 1, INT64_MAX, floats, PoolFactory<PoolKind::Lp, false>()});
  r.Register({kCpuProvider, "", "GlobalMaxPool", 1, INT64_MAX, floats, PoolFactory<PoolKind::Max, true>()});
  r.Register({kCpuProvider, "", "GlobalAveragePool", 1, INT64_MAX, floats, PoolFactory<PoolKind::Average, true>()});
  r.Register({kCpuProvider, "", "GlobalLpPool", 1, INT64_MAX, floats, PoolFactory<PoolKind::Lp, true>()});
}

}  // namespace onyx
