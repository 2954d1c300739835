// MaxRoiPool (ai.onnx 1): the max over each bin of a [pooled_h, pooled_w] grid laid over each
// region of interest, Fast R-CNN's pooling. Region corners are rounded to whole pixels after
// scaling, bins take floor/ceil of their fractional edges, and an empty bin gives 0, as in
// onnxruntime and Caffe.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/thread_pool.h"
#include "detection/detection_common.h"
#include "detection/detection_kernels.h"

namespace onyx {
namespace {

using detection::AccOf;
using detection::Load;
using detection::Store;

// round(v) as an int64 clamped to +-2^40 (far outside any image); NaN gives 0.
int64_t RoundToPixel(double v) {
  if (!(v == v)) return 0;
  return static_cast<int64_t>(std::round(std::clamp(v, -1099511627776.0, 1099511627776.0)));
}

class MaxRoiPoolKernel final : public OpKernel {
 public:
  explicit MaxRoiPoolKernel(const KernelInfo& info) : spatial_scale_(info.GetFloat("spatial_scale", 1.0f)) {
    if (!info.HasAttribute("pooled_shape")) throw info.MakeError(ErrorCode::InvalidGraph, "required attribute 'pooled_shape' is missing");
    const std::vector<int64_t> shape = info.GetInts("pooled_shape");
    if (shape.size() != 2 || shape[0] < 1 || shape[1] < 1)
      throw info.MakeError(ErrorCode::InvalidGraph, "pooled_shape should be two values >= 1, got " + ShapeToString(shape));
    pooled_h_ = shape[0];
    pooled_w_ = shape[1];
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const Tensor& rois = ctx.Input(1);
    if (x.rank() != 4) throw ctx.MakeError(ErrorCode::InvalidArgument, "X should be 4-D [N, C, H, W], got " + ShapeToString(x.shape()));
    if (rois.rank() != 2 || rois.dim(1) != 5)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "rois should have shape [num_rois, 5] (batch index, x1, y1, x2, y2), got " +
                                                          ShapeToString(rois.shape()));
    detection::ExpectSameType(x, rois, ctx, "rois");
    const int64_t n = x.dim(0), channels = x.dim(1), height = x.dim(2), width = x.dim(3), num_rois = rois.dim(0);
    Tensor& y = ctx.Output(0, x.dtype(), {num_rois, channels, pooled_h_, pooled_w_});
    if (y.size() == 0) return;
    DispatchFloating(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using Acc = AccOf<T>;
      const T* xd = x.data<T>();
      const T* rd = rois.data<T>();
      T* yd = y.data<T>();
      // Each region's pixel box, checked before any work.
      struct Box { int64_t batch, h0, w0, h, w; };
      std::vector<Box> boxes(static_cast<size_t>(num_rois));
      for (int64_t r = 0; r < num_rois; ++r) {
        const double b = static_cast<double>(Load(rd[r * 5]));
        if (!(b >= 0 && b < static_cast<double>(n)))
          throw ctx.MakeError(ErrorCode::InvalidArgument, "roi " + std::to_string(r) + " has batch index " + std::to_string(b) +
                                                              ", outside [0, " + std::to_string(n) + ")");
        const double s = spatial_scale_;
        const int64_t w0 = RoundToPixel(static_cast<double>(Load(rd[r * 5 + 1])) * s);
        const int64_t h0 = RoundToPixel(static_cast<double>(Load(rd[r * 5 + 2])) * s);
        const int64_t w1 = RoundToPixel(static_cast<double>(Load(rd[r * 5 + 3])) * s);
        const int64_t h1 = RoundToPixel(static_cast<double>(Load(rd[r * 5 + 4])) * s);
        boxes[r] = {static_cast<int64_t>(b), h0, w0, std::max<int64_t>(h1 - h0 + 1, 1), std::max<int64_t>(w1 - w0 + 1, 1)};
      }
      ParallelFor(ctx.thread_pool(), num_rois * channels, static_cast<double>(pooled_h_ * pooled_w_) * 16,
                  [&](int64_t begin, int64_t end) {
        for (int64_t rc = begin; rc < end; ++rc) {
          const Box& bx = boxes[rc / channels];
          const T* plane = xd + (bx.batch * channels + rc % channels) * height * width;
          T* out = yd + rc * pooled_h_ * pooled_w_;
          const double bin_h = static_cast<double>(bx.h) / static_cast<double>(pooled_h_);
          const double bin_w = static_cast<double>(bx.w) / static_cast<double>(pooled_w_);
          for (int64_t ph = 0; ph < pooled_h_; ++ph) {
            const int64_t hs = std::clamp<int64_t>(static_cast<int64_t>(std::floor(ph * bin_h)) + bx.h0, 0, height);
            const int64_t he = std::clamp<int64_t>(static_cast<int64_t>(std::ceil((ph + 1) * bin_h)) + bx.h0, 0, height);
            for (int64_t pw = 0; pw < pooled_w_; ++pw) {
              const int64_t ws = std::clamp<int64_t>(static_cast<int64_t>(std::floor(pw * bin_w)) + bx.w0, 0, width);
              const int64_t we = std::clamp<int64_t>(static_cast<int64_t>(std::ceil((pw + 1) * bin_w)) + bx.w0, 0, width);
              Acc m = Acc(0);
              if (he > hs && we > ws) {
                m = -std::numeric_limits<Acc>::infinity();
                for (int64_t h = hs; h < he; ++h)
                  for (int64_t w = ws; w < we; ++w) m = std::max(m, static_cast<Acc>(Load(plane[h * width + w])));
              }
              out[ph * pooled_w_ + pw] = Store<T>(m);
            }
          }
        }
      });
    });
  }

 private:
  float spatial_scale_;
  int64_t pooled_h_ = 1, pooled_w_ = 1;
};

}  // namespace

void RegisterMaxRoiPoolKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "", "MaxRoiPool", 1, INT64_MAX, {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16},
              MakeFactory<MaxRoiPoolKernel>()});
}

}  // namespace onyx
