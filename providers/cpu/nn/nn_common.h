#pragma once
// Helpers shared by the nn kernels: window geometry of Conv/ConvTranspose/pooling, and
// conversions for the 16-bit float types that these kernels compute in float.
#include <cstdint>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "kernel_utils.h"

namespace onyx {

class KernelRegistry;
void RegisterConvKernels(KernelRegistry& r);
void RegisterConvTransposeKernels(KernelRegistry& r);
void RegisterPoolKernels(KernelRegistry& r);
void RegisterNormalizationKernels(KernelRegistry& r);
void RegisterLayerNormKernels(KernelRegistry& r);
void RegisterDropoutKernels(KernelRegistry& r);

enum class AutoPad { NotSet, SameUpper, SameLower, Valid };

// The window attributes common to Conv, ConvTranspose and the pooling ops, as read from the
// node. Lists left empty by the model are filled per call once the spatial rank is known.
struct WindowAttributes {
  AutoPad auto_pad = AutoPad::NotSet;
  std::vector<int64_t> kernel_shape;  // empty: taken from W (Conv) or required (pooling)
  std::vector<int64_t> strides, pads, dilations;
  bool ceil_mode = false;

  explicit WindowAttributes(const KernelInfo& info);
};

// Per-call geometry of a sliding window over `rank` spatial dims.
struct WindowGeometry {
  std::vector<int64_t> input, kernel, strides, dilations, output;
  std::vector<int64_t> pad_begin, pad_end;

  size_t rank() const { return input.size(); }
  int64_t InputSize() const;
  int64_t OutputSize() const;
  int64_t KernelSize() const;
};

// Checks the attributes against the spatial input dims and computes pads and output dims as
// Conv and the pooling ops define them (with ceil_mode for pooling). Throws InvalidArgument
// naming the node when attribute lengths or values do not fit, or the output would be empty.
WindowGeometry ComputeWindowGeometry(const WindowAttributes& attrs, const std::vector<int64_t>& input_spatial,
                                     const std::vector<int64_t>& kernel, const KernelContext& ctx);

// Bytes of a 16-bit float tensor converted to a float tensor of the same shape.
Tensor ToFloatTensor(const Tensor& t);
// Writes float tensor `src` into `dst` (Float16 or BFloat16) element by element.
void FromFloatTensor(const Tensor& src, Tensor& dst);
inline bool IsHalfType(DataType t) { return t == DataType::Float16 || t == DataType::BFloat16; }

// Conv and ConvTranspose operands: X (N, C, spatial...), W of X's rank, one element type.
inline void CheckConvOperands(const KernelContext& ctx, const Tensor& X, const Tensor& W, const Tensor* B) {
  if (X.rank() < 3)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "input X should have rank >= 3 (N, C, spatial...), got shape " +
                                                        ShapeToString(X.shape()));
  if (W.rank() != X.rank())
    throw ctx.MakeError(ErrorCode::InvalidArgument, "weight W of shape " + ShapeToString(W.shape()) +
                                                        " should have the rank of X " + ShapeToString(X.shape()));
  if (W.dtype() != X.dtype() || (B && B->dtype() != X.dtype()))
    throw ctx.MakeError(ErrorCode::InvalidArgument, "X, W and B should have one element type");
}

// LayerNormalization's view of X: rows of the trailing dims from `axis` on (norm_shape, n
// elements each); Mean and InvStdDev have stat_shape (X's dims before axis, then 1s).
struct LayerNormLayout {
  int64_t axis = 0, n = 0, rows = 0;
  std::vector<int64_t> norm_shape, stat_shape;
};
// Checks the rank (>= 1) and the axis.
LayerNormLayout ResolveLayerNormLayout(const std::vector<int64_t>& x_shape, int64_t axis, const KernelContext& ctx);
// A Scale/B shape that broadcasts (numpy, right-aligned) to norm_shape: returns it without the
// leading dims beyond norm_shape's rank (which must be 1); throws naming `name` otherwise.
std::vector<int64_t> LayerNormParamShape(const std::vector<int64_t>& param_shape, const std::vector<int64_t>& norm_shape,
                                         const char* name, const KernelContext& ctx);

// Conv's shapes: X (N, C, spatial...), W (M, C / group, kernel...), B [M]. Checks channels,
// group, bias and kernel_shape (call CheckConvOperands first) and computes the window geometry.
struct ConvShape {
  int64_t N = 0, C = 0, M = 0;
  WindowGeometry geo;
};
ConvShape ResolveConvShape(const WindowAttributes& attrs, int64_t group, const Tensor& X, const Tensor& W, const Tensor* B,
                           const KernelContext& ctx);

// ConvTranspose's shapes: X (N, C, x_spatial...), W (C, M / group, kernel...), B [M]. Y[o] =
// F[o + pad_begin] per spatial dim, F the unpadded transposed convolution of size `full` =
// s * (in - 1) + effective kernel (zero beyond it); y_spatial from output_shape, auto_pad or pads.
struct ConvTransposeShape {
  int64_t N = 0, C = 0, M = 0;
  std::vector<int64_t> x_spatial, kernel, strides, dilations, pad_begin, y_spatial, full;
};
// Checks channels, group, bias, kernel_shape and the attribute lengths and ranges (call
// CheckConvOperands first).
ConvTransposeShape ResolveConvTransposeShape(const WindowAttributes& attrs, int64_t group,
                                             const std::vector<int64_t>& output_padding,
                                             const std::vector<int64_t>& output_shape, const Tensor& X, const Tensor& W,
                                             const Tensor* B, const KernelContext& ctx);

// Y[n, m, :] += B[m] for an (N, M, spatial) output, split over the pool.
template <typename T>
void AddChannelBias(T* Y, const T* B, int64_t batch, int64_t M, int64_t spatial, ThreadPool* pool) {
  ParallelFor(pool, batch * M, static_cast<double>(spatial), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T bias = B[i % M];
      T* y = Y + i * spatial;
      for (int64_t k = 0; k < spatial; ++k) y[k] += bias;
    }
  });
}

}  // namespace onyx
