// Col2Im (scatter-add of sliding blocks back into an image, N-D) and DeformConv (2-D
// convolution whose taps are displaced by learned offsets and scaled by an optional mask:
// bilinear sampling into a column buffer, then a GEMM per group).
#include <cmath>
#include <limits>
#include <vector>

#include "core/thread_pool.h"
#include "detection/detection_common.h"
#include "detection/detection_kernels.h"
#include "mlas/gemm.h"

namespace onyx {
namespace {

using detection::AccOf;
using detection::Load;
using detection::Store;

std::vector<int64_t> IntsOr(const KernelInfo& info, const char* name, size_t n, int64_t dflt) {
  std::vector<int64_t> v = info.GetInts(name);
  if (v.empty()) v.assign(n, dflt);
  return v;
}

class Col2ImKernel final : public OpKernel {
 public:
  explicit Col2ImKernel(const KernelInfo& info)
      : dilations_(info.GetInts("dilations")), pads_(info.GetInts("pads")), strides_(info.GetInts("strides")) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const std::vector<int64_t> image = ReadInt64s(ctx.Input(1), ctx);
    const std::vector<int64_t> block = ReadInt64s(ctx.Input(2), ctx);
    const size_t r = image.size();
    if (r == 0 || block.size() != r)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "image_shape and block_shape should have the same non-zero length, got " +
                                                          std::to_string(image.size()) + " and " + std::to_string(block.size()));
    const std::vector<int64_t> dil = dilations_.empty() ? std::vector<int64_t>(r, 1) : dilations_;
    const std::vector<int64_t> str = strides_.empty() ? std::vector<int64_t>(r, 1) : strides_;
    const std::vector<int64_t> pad = pads_.empty() ? std::vector<int64_t>(2 * r, 0) : pads_;
    if (dil.size() != r || str.size() != r || pad.size() != 2 * r)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "dilations/strides should have " + std::to_string(r) + " values and pads " +
                                                          std::to_string(2 * r));
    if (x.rank() != 3)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input should have shape [N, C * prod(block_shape), L], got " + ShapeToString(x.shape()));
    for (size_t d = 0; d < r; ++d)
      if (dil[d] < 1 || str[d] < 1 || block[d] < 1 || image[d] < 0)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "on spatial axis " + std::to_string(d) + ": block_shape " + std::to_string(block[d]) +
                                                            ", dilation " + std::to_string(dil[d]) + " and stride " + std::to_string(str[d]) +
                                                            " should be >= 1 and image_shape " + std::to_string(image[d]) + " >= 0");
    const int64_t kernel_size = ShapeSize(block);
    if (kernel_size == 0 || x.dim(1) % kernel_size != 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input dim 1 (" + std::to_string(x.dim(1)) +
                                                          ") should be a multiple of prod(block_shape) = " + std::to_string(kernel_size));
    std::vector<int64_t> blocks(r);
    int64_t num_blocks = 1;
    for (size_t d = 0; d < r; ++d) {
      // 128-bit: huge image_shape, pads or dilations must not overflow the block count.
      const __int128 span = static_cast<__int128>(dil[d]) * (block[d] - 1) + 1;
      const __int128 avail = static_cast<__int128>(image[d]) + pad[d] + pad[d + r] - span;
      const __int128 count = avail < 0 ? 0 : avail / str[d] + 1;
      if (count > std::numeric_limits<int64_t>::max() ||
          __builtin_mul_overflow(num_blocks, static_cast<int64_t>(count), &num_blocks))
        throw ctx.MakeError(ErrorCode::InvalidArgument, "the number of blocks for image_shape " + ShapeToString(image) +
                                                            " and block_shape " + ShapeToString(block) + " overflows int64");
      blocks[d] = static_cast<int64_t>(count);
    }
    if (num_blocks != x.dim(2))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input dim 2 should be the number of blocks " + std::to_string(num_blocks) +
                                                          ", got " + std::to_string(x.dim(2)));
    const int64_t n = x.dim(0), c = x.dim(1) / kernel_size;
    std::vector<int64_t> out_shape = {n, c};
    out_shape.insert(out_shape.end(), image.begin(), image.end());
    Tensor& y = ctx.Output(0, x.dtype(), out_shape);
    if (y.size() == 0 || x.size() == 0) return;
    const int64_t plane = ShapeSize(image);
    DispatchFloating(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      ParallelFor(ctx.thread_pool(), n * c, static_cast<double>(kernel_size * num_blocks * 2), [&](int64_t begin, int64_t end) {
        std::vector<int64_t> k(r), bpos(r);
        std::vector<AccOf<T>> acc(static_cast<size_t>(plane));
        for (int64_t nc = begin; nc < end; ++nc) {
          std::fill(acc.begin(), acc.end(), AccOf<T>(0));
          const T* src = x.data<T>() + nc * kernel_size * num_blocks;
          for (int64_t ki = 0; ki < kernel_size; ++ki) {
            int64_t rem = ki;
            for (size_t d = r; d-- > 0;) {
              k[d] = rem % block[d];
              rem /= block[d];
            }
            for (int64_t bi = 0; bi < num_blocks; ++bi) {
              int64_t brem = bi, off = 0;
              bool inside = true;
              for (size_t d = r; d-- > 0;) {
                bpos[d] = brem % blocks[d];
                brem /= blocks[d];
              }
              for (size_t d = 0; d < r; ++d) {
                const int64_t p = bpos[d] * str[d] - pad[d] + k[d] * dil[d];
                if (p < 0 || p >= image[d]) {
                  inside = false;
                  break;
                }
                off = off * image[d] + p;
              }
              if (inside) acc[off] += Load(src[ki * num_blocks + bi]);
            }
          }
          T* dst = y.data<T>() + nc * plane;
          for (int64_t i = 0; i < plane; ++i) dst[i] = Store<T>(acc[i]);
        }
      });
    });
  }

 private:
  std::vector<int64_t> dilations_, pads_, strides_;
};

class DeformConvKernel final : public OpKernel {
 public:
  explicit DeformConvKernel(const KernelInfo& info)
      : dilations_(IntsOr(info, "dilations", 2, 1)),
        pads_(IntsOr(info, "pads", 4, 0)),
        strides_(IntsOr(info, "strides", 2, 1)),
        kernel_shape_(info.GetInts("kernel_shape")),
        group_(info.GetInt("group", 1)),
        offset_group_(info.GetInt("offset_group", 1)) {
    if (dilations_.size() != 2 || pads_.size() != 4 || strides_.size() != 2)
      throw info.MakeError(ErrorCode::NotImplemented, "only 2-D DeformConv is supported (dilations/strides of 2, pads of 4 values)");
    if (group_ < 1 || offset_group_ < 1) throw info.MakeError(ErrorCode::InvalidGraph, "group and offset_group should be >= 1");
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const Tensor& w = ctx.Input(1);
    const Tensor& offset = ctx.Input(2);
    const Tensor* bias = ctx.OptionalInput(3);
    const Tensor* mask = ctx.OptionalInput(4);
    if (x.rank() != 4) throw ctx.MakeError(ErrorCode::NotImplemented, "only 2-D DeformConv is supported, X has shape " + ShapeToString(x.shape()));
    if (w.rank() != 4) throw ctx.MakeError(ErrorCode::InvalidArgument, "W should be 4-D, got " + ShapeToString(w.shape()));
    detection::ExpectSameType(x, w, ctx, "W");
    detection::ExpectSameType(x, offset, ctx, "offset");
    const int64_t n = x.dim(0), c = x.dim(1), ih = x.dim(2), iw = x.dim(3), oc = w.dim(0);
    const int64_t kh = kernel_shape_.size() == 2 ? kernel_shape_[0] : w.dim(2);
    const int64_t kw = kernel_shape_.size() == 2 ? kernel_shape_[1] : w.dim(3);
    if (kh != w.dim(2) || kw != w.dim(3)) throw ctx.MakeError(ErrorCode::InvalidArgument, "kernel_shape differs from W's spatial dims");
    if (c != w.dim(1) * group_ || oc % group_ != 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "X channels " + std::to_string(c) + " should be W dim 1 (" + std::to_string(w.dim(1)) +
                                                          ") * group " + std::to_string(group_) + " and W dim 0 a multiple of group");
    if (c % offset_group_ != 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "X channels " + std::to_string(c) + " should be a multiple of offset_group");
    const int64_t oh = (ih + pads_[0] + pads_[2] - ((kh - 1) * dilations_[0] + 1)) / strides_[0] + 1;
    const int64_t ow = (iw + pads_[1] + pads_[3] - ((kw - 1) * dilations_[1] + 1)) / strides_[1] + 1;
    const int64_t kk = kh * kw;
    const std::vector<int64_t> want_offset = {n, offset_group_ * kk * 2, oh, ow};
    if (offset.shape() != want_offset)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "offset should have shape " + ShapeToString(want_offset) + ", got " + ShapeToString(offset.shape()));
    if (mask) {
      detection::ExpectSameType(x, *mask, ctx, "mask");
      const std::vector<int64_t> want_mask = {n, offset_group_ * kk, oh, ow};
      if (mask->shape() != want_mask)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "mask should have shape " + ShapeToString(want_mask) + ", got " + ShapeToString(mask->shape()));
    }
    if (bias) {
      detection::ExpectSameType(x, *bias, ctx, "B");
      if (bias->size() != oc) throw ctx.MakeError(ErrorCode::InvalidArgument, "B should have " + std::to_string(oc) + " values");
    }
    Tensor& y = ctx.Output(0, x.dtype(), {n, oc, oh, ow});
    if (y.size() == 0) return;
    const int64_t cg = c / group_, ocg = oc / group_, cpo = c / offset_group_, spatial = oh * ow;
    DispatchFloating(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using A = AccOf<T>;
      auto to_acc = [](const Tensor& t) {
        std::vector<A> v(static_cast<size_t>(t.size()));
        for (int64_t i = 0; i < t.size(); ++i) v[i] = Load(t.data<T>()[i]);
        return v;
      };
      const std::vector<A> xs = to_acc(x), ws = to_acc(w), offs = to_acc(offset);
      const std::vector<A> masks = mask ? to_acc(*mask) : std::vector<A>();
      std::vector<A> cols(static_cast<size_t>(cg * kk * spatial)), out(static_cast<size_t>(ocg * spatial));
      for (int64_t b = 0; b < n; ++b) {
        for (int64_t g = 0; g < group_; ++g) {
          ParallelFor(ctx.thread_pool(), cg, static_cast<double>(kk * spatial * 12), [&](int64_t begin, int64_t end) {
            for (int64_t ci = begin; ci < end; ++ci) {
              const int64_t ch = g * cg + ci, og = ch / cpo;
              const A* plane = xs.data() + (b * c + ch) * ih * iw;
              for (int64_t i = 0; i < kh; ++i)
                for (int64_t j = 0; j < kw; ++j) {
                  const int64_t tap = i * kw + j;
                  const A* off_h = offs.data() + ((b * offset_group_ + og) * kk * 2 + tap * 2) * spatial;
                  const A* off_w = off_h + spatial;
                  const A* m = mask ? masks.data() + ((b * offset_group_ + og) * kk + tap) * spatial : nullptr;
                  A* col = cols.data() + (ci * kk + tap) * spatial;
                  for (int64_t p = 0; p < spatial; ++p) {
                    const int64_t y0 = p / ow, x0 = p % ow;
                    const double hy = static_cast<double>(y0 * strides_[0] - pads_[0] + i * dilations_[0]) + off_h[p];
                    const double wx = static_cast<double>(x0 * strides_[1] - pads_[1] + j * dilations_[1]) + off_w[p];
                    double v = Bilinear(plane, ih, iw, hy, wx);
                    if (m) v *= m[p];
                    col[p] = static_cast<A>(v);
                  }
                }
            }
          });
          const A* wg = ws.data() + g * ocg * cg * kk;
          if constexpr (std::is_same_v<A, double>)
            mlas::Dgemm(false, false, ocg, spatial, cg * kk, 1.0, wg, cg * kk, cols.data(), spatial, 0.0, out.data(), spatial, ctx.thread_pool());
          else
            mlas::Sgemm(false, false, ocg, spatial, cg * kk, 1.0f, wg, cg * kk, cols.data(), spatial, 0.0f, out.data(), spatial, ctx.thread_pool());
          for (int64_t o = 0; o < ocg; ++o) {
            const int64_t och = g * ocg + o;
            const A bv = bias ? Load(bias->data<T>()[och]) : A(0);
            T* dst = y.data<T>() + (b * oc + och) * spatial;
            for (int64_t p = 0; p < spatial; ++p) dst[p] = Store<T>(out[o * spatial + p] + bv);
          }
        }
      }
    });
  }

 private:
  // Bilinear sample at (h, w) with zeros outside the image.
  template <typename A>
  static double Bilinear(const A* plane, int64_t ih, int64_t iw, double h, double w) {
    if (!(h > -1.0 && h < static_cast<double>(ih) && w > -1.0 && w < static_cast<double>(iw))) return 0.0;
    const double fh = std::floor(h), fw = std::floor(w);
    const int64_t h0 = static_cast<int64_t>(fh), w0 = static_cast<int64_t>(fw);
    const double lh = h - fh, lw = w - fw;
    double v = 0.0;
    auto at = [&](int64_t yy, int64_t xx, double weight) {
      if (yy >= 0 && yy < ih && xx >= 0 && xx < iw) v += weight * static_cast<double>(plane[yy * iw + xx]);
    };
    at(h0, w0, (1 - lh) * (1 - lw));
    at(h0, w0 + 1, (1 - lh) * lw);
    at(h0 + 1, w0, lh * (1 - lw));
    at(h0 + 1, w0 + 1, lh * lw);
    return v;
  }

  std::vector<int64_t> dilations_, pads_, strides_, kernel_shape_;
  int64_t group_, offset_group_;
};

}  // namespace

void RegisterCol2ImDeformConvKernels(KernelRegistry& r) {
  const std::vector<DataType> types = {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16};
  r.Register({kCpuProvider, "", "Col2Im", 18, INT64_MAX, types, MakeFactory<Col2ImKernel>()});
  r.Register({kCpuProvider, "", "DeformConv", 19, INT64_MAX, types, MakeFactory<DeformConvKernel>()});
}

}  // namespace onyx
