// Shape and attribute logic of the data-movement ops (see tensor_shapes.h). The bodies are the
// CPU kernels' own, moved here so the CUDA kernels resolve shapes the same way.
#include "tensor/tensor_shapes.h"

#include <algorithm>
#include <limits>
#include <string>

#include "tensor/tensor_helpers.h"

namespace onyx {

void OuterInner(const std::vector<int64_t>& shape, int64_t axis, int64_t& outer, int64_t& inner) {
  outer = inner = 1;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i) {
    if (i < axis) outer *= shape[i];
    if (i > axis) inner *= shape[i];
  }
}

ConcatShape ResolveConcat(const std::vector<const Tensor*>& inputs, int64_t axis_attr, const KernelContext& ctx) {
  if (inputs.empty()) throw ctx.MakeError(ErrorCode::InvalidArgument, "Concat needs at least one input");
  const Tensor& first = *inputs[0];
  const int64_t rank = static_cast<int64_t>(first.rank());
  if (rank == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot concatenate scalars");
  ConcatShape r;
  const int64_t axis = r.axis = CheckedAxis(axis_attr, rank, ctx);
  std::vector<int64_t>& out_shape = r.out_shape;
  out_shape = first.shape();
  out_shape[axis] = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = *inputs[i];
    if (t.dtype() != first.dtype())
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input " + std::to_string(i) + " has type " + DataTypeName(t.dtype()) +
                                                          " but input 0 has type " + DataTypeName(first.dtype()));
    bool ok = static_cast<int64_t>(t.rank()) == rank;
    for (int64_t d = 0; ok && d < rank; ++d) ok = d == axis || t.dim(d) == first.dim(d);
    if (!ok)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input " + std::to_string(i) + " has shape " + ShapeToString(t.shape()) +
                                                          ", which does not match input 0's " + ShapeToString(first.shape()) +
                                                          " outside axis " + std::to_string(axis));
    out_shape[axis] += t.dim(axis);
  }
  return r;
}

SplitAttributes::SplitAttributes(const KernelInfo& info)
    : axis(info.GetInt("axis", 0)),
      split_attr(info.GetInts("split")),
      split_from_attr(info.opset() < 13 && info.HasAttribute("split")),
      num_outputs(info.GetInt("num_outputs", 0)),
      has_num_outputs(info.opset() >= 18 && info.HasAttribute("num_outputs")) {}

SplitSizes ResolveSplit(const SplitAttributes& attrs, const Tensor& x, const KernelContext& ctx) {
  const int64_t rank = static_cast<int64_t>(x.rank());
  if (rank == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot split a scalar");
  SplitSizes r;
  const int64_t axis = r.axis = CheckedAxis(attrs.axis, rank, ctx);
  const int64_t dim = x.dim(axis);
  const int64_t n_out = static_cast<int64_t>(ctx.num_outputs());
  if (n_out == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "Split needs at least one output");
  std::vector<int64_t>& sizes = r.sizes;
  if (attrs.split_from_attr) {
    sizes = attrs.split_attr;
  } else if (const Tensor* s = ctx.OptionalInput(1)) {
    sizes = ReadIndices(*s, ctx, "split");
  }
  if (!sizes.empty()) {
    if (attrs.has_num_outputs)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "give either the split input or num_outputs, not both");
    int64_t sum = 0;
    for (int64_t s : sizes) {
      if (s < 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "split " + ShapeToString(sizes) + " has a negative size");
      if (s > dim - sum) {  // also keeps the sum from overflowing
        sum = dim + 1;
        break;
      }
      sum += s;
    }
    if (static_cast<int64_t>(sizes.size()) != n_out || sum != dim)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "split " + ShapeToString(sizes) + " should have " + std::to_string(n_out) +
                                                          " entries summing to " + std::to_string(dim) + " (axis " +
                                                          std::to_string(axis) + " of " + ShapeToString(x.shape()) + ")");
  } else if (attrs.has_num_outputs) {
    if (attrs.num_outputs != n_out)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "num_outputs is " + std::to_string(attrs.num_outputs) +
                                                          " but the node has " + std::to_string(n_out) + " outputs");
    const int64_t chunk = (dim + n_out - 1) / n_out;
    for (int64_t i = 0; i < n_out; ++i) sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
  } else {
    if (dim % n_out != 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "dimension " + std::to_string(dim) + " of axis " + std::to_string(axis) +
                                                          " cannot be split evenly into " + std::to_string(n_out) + " outputs");
    sizes.assign(n_out, dim / n_out);
  }
  return r;
}

ReshapeAttributes::ReshapeAttributes(const KernelInfo& info) : allowzero(info.GetInt("allowzero", 0) != 0) {
  if (info.opset() < 5) {
    if (!info.HasAttribute("shape")) throw info.MakeError(ErrorCode::InvalidGraph, "required attribute 'shape' is missing");
    shape_attr = info.GetInts("shape");
    from_attr = true;
  }
}

std::vector<int64_t> ReshapeOutputShape(const ReshapeAttributes& attrs, const std::vector<int64_t>& in,
                                        const KernelContext& ctx) {
  std::vector<int64_t> req = attrs.from_attr ? attrs.shape_attr : ReadIndices(ctx.Input(1), ctx, "shape");
  if (!attrs.from_attr && ctx.Input(1).rank() != 1)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "shape input should be 1-D but has shape " + ShapeToString(ctx.Input(1).shape()));
  return ResolveReshape(in, std::move(req), attrs.allowzero, ctx);
}

std::vector<int64_t> ResolveReshape(const std::vector<int64_t>& in, std::vector<int64_t> req, bool allowzero,
                                    const KernelContext& ctx) {
  int64_t infer_at = -1, known = 1;
  bool has_zero = false;
  for (size_t i = 0; i < req.size(); ++i) {
    int64_t d = req[i];
    if (d == -1) {
      if (infer_at >= 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "shape " + ShapeToString(req) + " has more than one -1");
      infer_at = static_cast<int64_t>(i);
      continue;
    }
    if (d < -1) throw ctx.MakeError(ErrorCode::InvalidArgument, "shape " + ShapeToString(req) + " has a negative dimension");
    if (d == 0) {
      has_zero = true;
      if (!allowzero) {
        if (i >= in.size())
          throw ctx.MakeError(ErrorCode::InvalidArgument, "shape " + ShapeToString(req) + " copies dimension " + std::to_string(i) +
                                                              " (0) but the input " + ShapeToString(in) + " has rank " +
                                                              std::to_string(in.size()));
        d = req[i] = in[i];
      }
    }
    if (d != 0 && known > std::numeric_limits<int64_t>::max() / d)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "shape " + ShapeToString(req) + " has too many elements");
    known *= d;
  }
  if (allowzero && has_zero && infer_at >= 0)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "shape " + ShapeToString(req) + " has both 0 and -1, which allowzero=1 forbids");
  int64_t total = ShapeSize(in);
  if (infer_at >= 0) {
    if (known == 0 || total % known != 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot reshape input of shape " + ShapeToString(in) + " to " + ShapeToString(req));
    req[infer_at] = total / known;
  } else if (known != total) {
    throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot reshape input of shape " + ShapeToString(in) + " (" +
                                                        std::to_string(total) + " elements) to " + ShapeToString(req) + " (" +
                                                        std::to_string(known) + " elements)");
  }
  return req;
}

std::vector<int64_t> FlattenOutputShape(const std::vector<int64_t>& in, int64_t axis_attr, const KernelContext& ctx) {
  const int64_t rank = static_cast<int64_t>(in.size());
  if (axis_attr < -rank || axis_attr > rank)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "axis " + std::to_string(axis_attr) + " is out of range [" +
                                                        std::to_string(-rank) + ", " + std::to_string(rank) + "] for input of shape " +
                                                        ShapeToString(in));
  const int64_t axis = axis_attr < 0 ? axis_attr + rank : axis_attr;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i) (i < axis ? outer : inner) *= in[i];
  return {outer, inner};
}

std::vector<int64_t> AxesFromAttributeOrInput(const KernelContext& ctx, bool from_attr, const std::vector<int64_t>& attr) {
  if (from_attr) return attr;
  const Tensor* t = ctx.OptionalInput(1);
  if (!t) return {};
  return ReadIndices(*t, ctx, "axes");
}

std::vector<int64_t> SqueezeOutputShape(const std::vector<int64_t>& in, const std::vector<int64_t>& axes,
                                        const KernelContext& ctx) {
  const int64_t rank = static_cast<int64_t>(in.size());
  std::vector<bool> drop(rank, false);
  if (axes.empty()) {
    for (int64_t i = 0; i < rank; ++i) drop[i] = in[i] == 1;
  } else {
    for (int64_t a : axes) {
      const int64_t n = CheckedAxis(a, rank, ctx, "squeeze axis");
      if (in[n] != 1)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot squeeze axis " + std::to_string(a) + " of input of shape " +
                                                            ShapeToString(in) + ": its size is not 1");
      drop[n] = true;
    }
  }
  std::vector<int64_t> out;
  for (int64_t i = 0; i < rank; ++i)
    if (!drop[i]) out.push_back(in[i]);
  return out;
}

std::vector<int64_t> UnsqueezeOutputShape(const std::vector<int64_t>& in, const std::vector<int64_t>& axes,
                                          const KernelContext& ctx) {
  const int64_t out_rank = static_cast<int64_t>(in.size() + axes.size());
  std::vector<bool> inserted(out_rank, false);
  for (int64_t a : axes) {
    const int64_t n = CheckedAxis(a, out_rank, ctx, "unsqueeze axis");
    if (inserted[n]) throw ctx.MakeError(ErrorCode::InvalidArgument, "axes " + ShapeToString(axes) + " repeat axis " + std::to_string(a));
    inserted[n] = true;
  }
  std::vector<int64_t> out(out_rank);
  size_t next = 0;
  for (int64_t i = 0; i < out_rank; ++i) out[i] = inserted[i] ? 1 : in[next++];
  return out;
}

std::vector<int64_t> ResolvePermutation(const std::vector<int64_t>& perm_attr, bool has_perm, int64_t rank,
                                        const KernelContext& ctx) {
  std::vector<int64_t> perm = perm_attr;
  if (!has_perm) {
    perm.resize(rank);
    for (int64_t i = 0; i < rank; ++i) perm[i] = rank - 1 - i;
  }
  if (static_cast<int64_t>(perm.size()) != rank)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "perm " + ShapeToString(perm) + " has " + std::to_string(perm.size()) +
                                                        " entries but the input has rank " + std::to_string(rank));
  std::vector<bool> seen(rank, false);
  for (int64_t& p : perm) {
    const int64_t n = CheckedAxis(p, rank, ctx, "perm entry");
    if (seen[n]) throw ctx.MakeError(ErrorCode::InvalidArgument, "perm " + ShapeToString(perm_attr) + " is not a permutation");
    seen[n] = true;
    p = n;
  }
  return perm;
}

bool PermutationKeepsOrder(const std::vector<int64_t>& shape, const std::vector<int64_t>& perm) {
  int64_t last = -1;
  bool order_kept = true;
  for (int64_t p : perm) {
    if (shape[p] == 1) continue;
    if (p < last) order_kept = false;
    last = p;
  }
  return order_kept;
}

SliceAttributes::SliceAttributes(const KernelInfo& info) : from_attrs(info.opset() < 10) {
  if (from_attrs) {
    if (!info.HasAttribute("starts") || !info.HasAttribute("ends"))
      throw info.MakeError(ErrorCode::InvalidGraph, "attributes 'starts' and 'ends' are required before opset 10");
    starts = info.GetInts("starts");
    ends = info.GetInts("ends");
    axes = info.GetInts("axes");
    has_axes = info.HasAttribute("axes");
  }
}

SliceView ResolveSlice(const SliceAttributes& attrs, const std::vector<int64_t>& in_shape, const KernelContext& ctx) {
  const int64_t rank = static_cast<int64_t>(in_shape.size());
  std::vector<int64_t> starts = attrs.starts, ends = attrs.ends, axes = attrs.axes, steps;
  bool has_axes = attrs.has_axes;
  if (!attrs.from_attrs) {
    starts = ReadIndices(ctx.Input(1), ctx, "starts");
    ends = ReadIndices(ctx.Input(2), ctx, "ends");
    if (const Tensor* a = ctx.OptionalInput(3)) {
      axes = ReadIndices(*a, ctx, "axes");
      has_axes = true;
    }
    if (const Tensor* s = ctx.OptionalInput(4)) steps = ReadIndices(*s, ctx, "steps");
  }
  if (!has_axes) {
    axes.resize(starts.size());
    for (size_t i = 0; i < axes.size(); ++i) axes[i] = static_cast<int64_t>(i);
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    throw ctx.MakeError(ErrorCode::InvalidArgument, "starts, ends, axes and steps should have the same length (got " +
                                                        std::to_string(starts.size()) + ", " + std::to_string(ends.size()) + ", " +
                                                        std::to_string(axes.size()) + ", " + std::to_string(steps.size()) + ")");
  const std::vector<int64_t> in_strides = ContiguousStrides(in_shape);
  SliceView v;
  v.out_shape = in_shape;
  v.strides = in_strides;
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < starts.size(); ++i) {
    const int64_t axis = CheckedAxis(axes[i], rank, ctx, "slice axis");
    if (seen[axis]) throw ctx.MakeError(ErrorCode::InvalidArgument, "axes " + ShapeToString(axes) + " repeat an axis");
    seen[axis] = true;
    int64_t step = steps[i];
    if (step == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "slice step for axis " + std::to_string(axis) + " is 0");
    step = std::max(step, -std::numeric_limits<int64_t>::max());
    const int64_t dim = in_shape[axis];
    int64_t s = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
    int64_t len;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      len = e > s ? (e - s - 1) / step + 1 : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      len = s > e ? (s - e - 1) / (-step) + 1 : 0;
    }
    v.out_shape[axis] = len;
    if (len > 0) {
      v.offset += s * in_strides[axis];
      // With one element the step is never taken (and step * stride could overflow).
      v.strides[axis] = len > 1 ? in_strides[axis] * step : 0;
    }
  }
  return v;
}

int64_t GatherAxis(int64_t axis, int64_t rank, const KernelContext& ctx) {
  if (rank == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "data should have rank >= 1");
  return CheckedAxis(axis, rank, ctx);
}

std::vector<int64_t> GatherOutputShape(const std::vector<int64_t>& data, const std::vector<int64_t>& indices, int64_t axis) {
  std::vector<int64_t> out_shape(data.begin(), data.begin() + axis);
  out_shape.insert(out_shape.end(), indices.begin(), indices.end());
  out_shape.insert(out_shape.end(), data.begin() + axis + 1, data.end());
  return out_shape;
}

std::vector<int64_t> ExpandOutputShape(const std::vector<int64_t>& in, const Tensor& shape_t, const KernelContext& ctx) {
  if (shape_t.rank() != 1)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "shape should be 1-D but has shape " + ShapeToString(shape_t.shape()));
  const std::vector<int64_t> shape = ReadIndices(shape_t, ctx, "shape");
  for (int64_t d : shape)
    if (d < 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "shape " + ShapeToString(shape) + " has a negative dimension");
  return BroadcastShapes(in, shape, ctx);
}

TileView ResolveTile(const std::vector<int64_t>& in, const Tensor& repeats_t, const KernelContext& ctx) {
  const std::vector<int64_t> repeats = ReadIndices(repeats_t, ctx, "repeats");
  const size_t rank = in.size();
  if (repeats_t.rank() != 1 || repeats.size() != rank)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "repeats should be a 1-D tensor of " + std::to_string(rank) +
                                                        " values, got shape " + ShapeToString(repeats_t.shape()));
  const std::vector<int64_t> in_strides = ContiguousStrides(in);
  TileView v;
  v.out_shape.resize(rank);
  for (size_t i = 0; i < rank; ++i) {
    if (repeats[i] < 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "repeats " + ShapeToString(repeats) + " has a negative value");
    v.view_shape.insert(v.view_shape.end(), {repeats[i], in[i]});
    v.view_strides.insert(v.view_strides.end(), {0, in_strides[i]});
    if (__builtin_mul_overflow(repeats[i], in[i], &v.out_shape[i]))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "repeats " + ShapeToString(repeats) + " times input shape " +
                                                          ShapeToString(in) + " overflows int64");
  }
  ShapeSize(v.view_shape);  // rejects overflowing products before they are multiplied out
  return v;
}

PadAttributes::PadAttributes(const KernelInfo& info) : opset(info.opset()), value(info.GetFloat("value", 0.f)) {
  const std::string m = info.GetString("mode", "constant");
  if (m == "constant") mode = PadMode::Constant;
  else if (m == "reflect") mode = PadMode::Reflect;
  else if (m == "edge") mode = PadMode::Edge;
  else if (m == "wrap" && opset >= 19) mode = PadMode::Wrap;
  else throw info.MakeError(ErrorCode::InvalidGraph, "pad mode '" + m + "' is not supported at opset " + std::to_string(opset));
  if (opset < 11) {
    const char* name = opset < 2 ? "paddings" : "pads";
    if (!info.HasAttribute(name)) throw info.MakeError(ErrorCode::InvalidGraph, std::string("required attribute '") + name + "' is missing");
    pads = info.GetInts(name);
  }
}

PadAmounts ResolvePadAmounts(const PadAttributes& attrs, int64_t rank, const KernelContext& ctx) {
  const std::vector<int64_t> pads = attrs.opset < 11 ? attrs.pads : ReadIndices(ctx.Input(1), ctx, "pads");
  std::vector<int64_t> axes;
  if (const Tensor* a = attrs.opset >= 18 ? ctx.OptionalInput(3) : nullptr) {
    for (int64_t v : ReadIndices(*a, ctx, "axes")) axes.push_back(CheckedAxis(v, rank, ctx, "pad axis"));
  } else {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  if (pads.size() != 2 * axes.size())
    throw ctx.MakeError(ErrorCode::InvalidArgument, "pads should have " + std::to_string(2 * axes.size()) + " values (2 per axis), got " +
                                                        std::to_string(pads.size()));
  PadAmounts r;
  r.begin.assign(rank, 0);
  r.end.assign(rank, 0);
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < axes.size(); ++i) {
    if (seen[axes[i]]) throw ctx.MakeError(ErrorCode::InvalidArgument, "axes repeat axis " + std::to_string(axes[i]));
    seen[axes[i]] = true;
    r.begin[axes[i]] = pads[i];
    r.end[axes[i]] = pads[i + axes.size()];
  }
  constexpr int64_t kMaxPad = int64_t(1) << 48;  // far beyond any allocatable tensor; keeps sums in range
  for (int64_t p : pads)
    if (p > kMaxPad || p < -kMaxPad) throw ctx.MakeError(ErrorCode::InvalidArgument, "pad " + std::to_string(p) + " is too large");
  return r;
}

PadLayout ResolvePadLayout(const std::vector<int64_t>& in, const PadAmounts& amounts, bool constant_mode,
                           const KernelContext& ctx) {
  const size_t rank = in.size();
  PadLayout l;
  l.out_shape.resize(rank);
  l.crop_begin.resize(rank);
  l.pad_begin.resize(rank);
  l.size.resize(rank);
  for (size_t k = 0; k < rank; ++k) {
    const int64_t begin = amounts.begin[k], end = amounts.end[k];
    l.crop_begin[k] = std::max<int64_t>(0, -begin);
    l.pad_begin[k] = std::max<int64_t>(0, begin);
    l.size[k] = in[k] - l.crop_begin[k] - std::max<int64_t>(0, -end);
    if (l.size[k] < 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "negative pads on axis " + std::to_string(k) + " (" + std::to_string(begin) + " at the start, " +
                                                          std::to_string(end) + " at the end) remove more than its " +
                                                          std::to_string(in[k]) + " elements");
    l.out_shape[k] = l.size[k] + l.pad_begin[k] + std::max<int64_t>(0, end);
    if (l.size[k] == 0 && l.out_shape[k] > 0 && !constant_mode)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot pad axis " + std::to_string(k) + " of size 0 in edge, reflect or wrap mode");
  }
  return l;
}

}  // namespace onyx
