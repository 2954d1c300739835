// RoiAlign: bilinear samples on a regular grid inside each bin of each region, averaged
// (avg) or maxed (max). Max mode takes the max of the four weighted corner terms of each
// sample, which is what onnxruntime and the ONNX reference compute.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/thread_pool.h"
#include "detection/detection_common.h"
#include "detection/detection_kernels.h"

namespace onyx {
namespace {

using detection::AccOf;
using detection::Load;
using detection::Store;

struct Sample {
  int64_t pos[4];
  double w[4];
};

class RoiAlignKernel final : public OpKernel {
 public:
  explicit RoiAlignKernel(const KernelInfo& info)
      : out_h_(info.GetInt("output_height", 1)),
        out_w_(info.GetInt("output_width", 1)),
        sampling_ratio_(info.GetInt("sampling_ratio", 0)),
        spatial_scale_(info.GetFloat("spatial_scale", 1.0f)) {
    const std::string mode = info.GetString("mode", "avg");
    if (mode != "avg" && mode != "max") throw info.MakeError(ErrorCode::InvalidGraph, "mode should be avg or max, got " + mode);
    max_mode_ = mode == "max";
    // Opset 10 had no attribute and behaved like output_half_pixel; 16 made half_pixel the default.
    const std::string ctm = info.GetString("coordinate_transformation_mode", info.opset() >= 16 ? "half_pixel" : "output_half_pixel");
    if (ctm != "half_pixel" && ctm != "output_half_pixel")
      throw info.MakeError(ErrorCode::InvalidGraph, "coordinate_transformation_mode should be half_pixel or output_half_pixel, got " + ctm);
    half_pixel_ = ctm == "half_pixel";
    if (out_h_ < 1 || out_w_ < 1 || sampling_ratio_ < 0)
      throw info.MakeError(ErrorCode::InvalidGraph, "output_height/output_width should be >= 1 and sampling_ratio >= 0");
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const Tensor& rois = ctx.Input(1);
    const Tensor& batch_idx_t = ctx.Input(2);
    if (x.rank() != 4) throw ctx.MakeError(ErrorCode::InvalidArgument, "X should be 4-D [N, C, H, W], got " + ShapeToString(x.shape()));
    if (rois.rank() != 2 || rois.dim(1) != 4)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "rois should have shape [num_rois, 4], got " + ShapeToString(rois.shape()));
    detection::ExpectSameType(x, rois, ctx, "rois");
    const std::vector<int64_t> batch_idx = ReadInt64s(batch_idx_t, ctx);
    const int64_t num_rois = rois.dim(0);
    if (batch_idx_t.rank() != 1 || static_cast<int64_t>(batch_idx.size()) != num_rois)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "batch_indices should have shape [" + std::to_string(num_rois) + "], got " +
                                                          ShapeToString(batch_idx_t.shape()));
    const int64_t n = x.dim(0), channels = x.dim(1), height = x.dim(2), width = x.dim(3);
    for (int64_t b : batch_idx)
      if (b < 0 || b >= n)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "batch index " + std::to_string(b) + " is out of range [0, " + std::to_string(n) + ")");
    Tensor& y = ctx.Output(0, x.dtype(), {num_rois, channels, out_h_, out_w_});
    if (y.size() == 0) return;
    if (height == 0 || width == 0) {  // nothing to sample: zeros
      std::memset(y.raw_data(), 0, y.nbytes());
      return;
    }
    DispatchFloating(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* xd = x.data<T>();
      const T* rd = rois.data<T>();
      T* yd = y.data<T>();
      ParallelFor(ctx.thread_pool(), num_rois, static_cast<double>(channels * out_h_ * out_w_ * 16), [&](int64_t begin, int64_t end) {
        std::vector<Sample> samples;
        for (int64_t r = begin; r < end; ++r) {
          const double offset = half_pixel_ ? 0.5 : 0.0;
          const double start_w = Load(rd[r * 4 + 0]) * spatial_scale_ - offset;
          const double start_h = Load(rd[r * 4 + 1]) * spatial_scale_ - offset;
          const double end_w = Load(rd[r * 4 + 2]) * spatial_scale_ - offset;
          const double end_h = Load(rd[r * 4 + 3]) * spatial_scale_ - offset;
          double roi_w = end_w - start_w, roi_h = end_h - start_h;
          if (!half_pixel_) {
            roi_w = std::max(roi_w, 1.0);
            roi_h = std::max(roi_h, 1.0);
          }
          const double bin_h = roi_h / static_cast<double>(out_h_), bin_w = roi_w / static_cast<double>(out_w_);
          // Sample-grid size per bin; capped so a huge region cannot request unbounded work.
          auto grid = [&](double extent, int64_t bins) {
            if (sampling_ratio_ > 0) return sampling_ratio_;
            const double g = std::ceil(extent / static_cast<double>(bins));
            return static_cast<int64_t>(std::clamp(g, 0.0, 4096.0));
          };
          const int64_t grid_h = grid(roi_h, out_h_), grid_w = grid(roi_w, out_w_);
          const double count = static_cast<double>(std::max<int64_t>(grid_h * grid_w, 1));
          samples.assign(static_cast<size_t>(out_h_ * out_w_ * grid_h * grid_w), Sample{});
          size_t si = 0;
          for (int64_t ph = 0; ph < out_h_; ++ph)
            for (int64_t pw = 0; pw < out_w_; ++pw)
              for (int64_t iy = 0; iy < grid_h; ++iy) {
                const double yy = start_h + ph * bin_h + (iy + 0.5) * bin_h / static_cast<double>(grid_h);
                for (int64_t ix = 0; ix < grid_w; ++ix, ++si) {
                  double xx = start_w + pw * bin_w + (ix + 0.5) * bin_w / static_cast<double>(grid_w);
                  double yv = yy;
                  Sample& s = samples[si];
                  if (yv < -1.0 || yv > static_cast<double>(height) || xx < -1.0 || xx > static_cast<double>(width)) continue;
                  yv = std::max(yv, 0.0);
                  xx = std::max(xx, 0.0);
                  int64_t y_low = static_cast<int64_t>(yv), x_low = static_cast<int64_t>(xx), y_high, x_high;
                  if (y_low >= height - 1) {
                    y_high = y_low = height - 1;
                    yv = static_cast<double>(y_low);
                  } else {
                    y_high = y_low + 1;
                  }
                  if (x_low >= width - 1) {
                    x_high = x_low = width - 1;
                    xx = static_cast<double>(x_low);
                  } else {
                    x_high = x_low + 1;
                  }
                  const double ly = yv - y_low, lx = xx - x_low, hy = 1.0 - ly, hx = 1.0 - lx;
                  s.pos[0] = y_low * width + x_low;
                  s.pos[1] = y_low * width + x_high;
                  s.pos[2] = y_high * width + x_low;
                  s.pos[3] = y_high * width + x_high;
                  s.w[0] = hy * hx;
                  s.w[1] = hy * lx;
                  s.w[2] = ly * hx;
                  s.w[3] = ly * lx;
                }
              }
          const int64_t per_bin = grid_h * grid_w;
          for (int64_t c = 0; c < channels; ++c) {
            const T* plane = xd + (batch_idx[r] * channels + c) * height * width;
            T* out = yd + (r * channels + c) * out_h_ * out_w_;
            for (int64_t bin = 0; bin < out_h_ * out_w_; ++bin) {
              const Sample* s = samples.data() + bin * per_bin;
              double acc = 0.0;
              for (int64_t k = 0; k < per_bin; ++k) {
                double v;
                if (max_mode_) {
                  v = s[k].w[0] * Load(plane[s[k].pos[0]]);
                  for (int j = 1; j < 4; ++j) v = std::max(v, s[k].w[j] * static_cast<double>(Load(plane[s[k].pos[j]])));
                  acc = k == 0 ? v : std::max(acc, v);
                } else {
                  acc += s[k].w[0] * Load(plane[s[k].pos[0]]) + s[k].w[1] * Load(plane[s[k].pos[1]]) +
                         s[k].w[2] * Load(plane[s[k].pos[2]]) + s[k].w[3] * Load(plane[s[k].pos[3]]);
                }
              }
              if (!max_mode_) acc /= count;
              out[bin] = Store<T>(static_cast<AccOf<T>>(acc));
            }
          }
        }
      });
    });
  }

 private:
  int64_t out_h_, out_w_, sampling_ratio_;
  double spatial_scale_;
  bool max_mode_ = false, half_pixel_ = true;
};

}  // namespace

void RegisterRoiAlignKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "", "RoiAlign", 10, INT64_MAX, {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16},
              MakeFactory<RoiAlignKernel>()});
}

}  // namespace onyx
