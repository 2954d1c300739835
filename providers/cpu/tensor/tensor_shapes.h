#pragma once
// Shape and attribute logic of the data-movement ops, shared by the CPU kernels of tensor/ and
// the CUDA kernels of providers/cuda/tensor/: pure functions of shapes, attributes and small host
// int tensors. They compute output shapes and copy geometry, or throw through ctx.MakeError;
// they never touch element data and never allocate tensors.
#include <cstdint>
#include <vector>

#include "kernel_utils.h"

namespace onyx {

// Element counts before and after `axis` in `shape`.
void OuterInner(const std::vector<int64_t>& shape, int64_t axis, int64_t& outer, int64_t& inner);

// ---- Concat / Split ----

struct ConcatShape {
  int64_t axis = 0;
  std::vector<int64_t> out_shape;
};
// Checks the inputs (at least one, same type, same shape outside the axis; scalars rejected)
// and sums their extents along `axis` (may be negative).
ConcatShape ResolveConcat(const std::vector<const Tensor*>& inputs, int64_t axis, const KernelContext& ctx);

// Split's attributes: axis, sizes from the 'split' attribute (before opset 13) or input 1, or
// num_outputs (opset 18).
struct SplitAttributes {
  int64_t axis;
  std::vector<int64_t> split_attr;
  bool split_from_attr;
  int64_t num_outputs;
  bool has_num_outputs;

  explicit SplitAttributes(const KernelInfo& info);
};
struct SplitSizes {
  int64_t axis = 0;
  std::vector<int64_t> sizes;  // one per output, summing to x's extent on axis
};
SplitSizes ResolveSplit(const SplitAttributes& attrs, const Tensor& x, const KernelContext& ctx);

// ---- Reshape, Flatten, Squeeze, Unsqueeze ----

// Reshape's attributes: the target shape from the 'shape' attribute before opset 5, else input 1.
struct ReshapeAttributes {
  bool allowzero;
  bool from_attr = false;
  std::vector<int64_t> shape_attr;

  explicit ReshapeAttributes(const KernelInfo& info);
};
// Reads the requested shape and resolves it against input shape `in`: 0 copies the input dim
// (unless allowzero), one -1 takes the remaining elements.
std::vector<int64_t> ReshapeOutputShape(const ReshapeAttributes& attrs, const std::vector<int64_t>& in,
                                        const KernelContext& ctx);
// The resolution alone, for a request already read.
std::vector<int64_t> ResolveReshape(const std::vector<int64_t>& in, std::vector<int64_t> req, bool allowzero,
                                    const KernelContext& ctx);

// Flatten to 2-D at axis in [-rank, rank].
std::vector<int64_t> FlattenOutputShape(const std::vector<int64_t>& in, int64_t axis, const KernelContext& ctx);

// Squeeze/Unsqueeze axes: the attribute before opset 13, input 1 since (optional: empty if absent).
std::vector<int64_t> AxesFromAttributeOrInput(const KernelContext& ctx, bool from_attr, const std::vector<int64_t>& attr);
// Drops the listed axes (each of size 1), or every dim of size 1 when axes is empty.
std::vector<int64_t> SqueezeOutputShape(const std::vector<int64_t>& in, const std::vector<int64_t>& axes,
                                        const KernelContext& ctx);
// Inserts dims of size 1 at the listed axes of the output.
std::vector<int64_t> UnsqueezeOutputShape(const std::vector<int64_t>& in, const std::vector<int64_t>& axes,
                                          const KernelContext& ctx);

// ---- Transpose ----

// perm with every entry normalised (default: reversed dims); checks it is a permutation of rank.
std::vector<int64_t> ResolvePermutation(const std::vector<int64_t>& perm_attr, bool has_perm, int64_t rank,
                                        const KernelContext& ctx);
// True when the dims larger than 1 keep their order under perm: the transpose is only a reshape.
bool PermutationKeepsOrder(const std::vector<int64_t>& shape, const std::vector<int64_t>& perm);

// ---- Slice ----

// Slice's attributes before opset 10 (since then starts/ends/axes/steps are inputs 1-4).
struct SliceAttributes {
  bool from_attrs;
  std::vector<int64_t> starts, ends, axes;
  bool has_axes = false;

  explicit SliceAttributes(const KernelInfo& info);
};
// The slice as a strided view of the contiguous input: y[c] = x[offset + sum c_k * strides[k]].
struct SliceView {
  std::vector<int64_t> out_shape, strides;
  int64_t offset = 0;
};
// Reads starts/ends/axes/steps, clamps them as ONNX defines (negative steps walk backwards) and
// returns the view.
SliceView ResolveSlice(const SliceAttributes& attrs, const std::vector<int64_t>& in_shape, const KernelContext& ctx);

// ---- Gather ----

// The normalised axis of Gather on data of rank `rank` (rank >= 1).
int64_t GatherAxis(int64_t axis, int64_t rank, const KernelContext& ctx);
// data.shape[:axis] + indices.shape + data.shape[axis+1:].
std::vector<int64_t> GatherOutputShape(const std::vector<int64_t>& data, const std::vector<int64_t>& indices, int64_t axis);

// ---- Expand, Tile, Pad ----

// Expand's output: x's shape broadcast with the 1-D, non-negative `shape` input.
std::vector<int64_t> ExpandOutputShape(const std::vector<int64_t>& in, const Tensor& shape_t, const KernelContext& ctx);

// Tile as a strided copy: the output viewed as [r0, d0, r1, d1, ...] with the repeat dims of
// source stride 0.
struct TileView {
  std::vector<int64_t> out_shape, view_shape, view_strides;
};
TileView ResolveTile(const std::vector<int64_t>& in, const Tensor& repeats_t, const KernelContext& ctx);

enum class PadMode { Constant, Reflect, Edge, Wrap };
// Pad's attributes: mode (wrap since opset 19), the 'pads' ('paddings' at opset 1) and 'value'
// attributes before opset 11.
struct PadAttributes {
  int64_t opset;
  float value;
  PadMode mode = PadMode::Constant;
  std::vector<int64_t> pads;

  explicit PadAttributes(const KernelInfo& info);
};
// Pad amounts per axis (negative: crop), from the pads attribute before opset 11, else input 1,
// over the axes of input 3 (opset 18) or all axes.
struct PadAmounts {
  std::vector<int64_t> begin, end;
};
PadAmounts ResolvePadAmounts(const PadAttributes& attrs, int64_t rank, const KernelContext& ctx);
// Per axis: negative pads crop first (crop_begin, leaving `size` elements); the cropped window is
// then padded with the positive parts (pad_begin before it).
struct PadLayout {
  std::vector<int64_t> out_shape, crop_begin, pad_begin, size;
};
PadLayout ResolvePadLayout(const std::vector<int64_t>& in, const PadAmounts& amounts, bool constant_mode,
                           const KernelContext& ctx);

}  // namespace onyx
