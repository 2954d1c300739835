#include "nn/nn_common.h"

#include <algorithm>

namespace onyx {

namespace {
std::string JoinInts(const std::vector<int64_t>& v) { return ShapeToString(v); }
}  // namespace

WindowAttributes::WindowAttributes(const KernelInfo& info) {
  const std::string pad = info.GetString("auto_pad", "NOTSET");
  if (pad == "NOTSET" || pad.empty()) auto_pad = AutoPad::NotSet;
  else if (pad == "SAME_UPPER") auto_pad = AutoPad::SameUpper;
  else if (pad == "SAME_LOWER") auto_pad = AutoPad::SameLower;
  else if (pad == "VALID") auto_pad = AutoPad::Valid;
  else throw info.MakeError(ErrorCode::InvalidGraph, "auto_pad '" + pad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  kernel_shape = info.GetInts("kernel_shape");
  strides = info.GetInts("strides");
  pads = info.GetInts("pads");
  dilations = info.GetInts("dilations");
  ceil_mode = info.GetInt("ceil_mode", 0) != 0;
}

int64_t WindowGeometry::InputSize() const { return ShapeSize(input); }
int64_t WindowGeometry::OutputSize() const { return ShapeSize(output); }
int64_t WindowGeometry::KernelSize() const { return ShapeSize(kernel); }

WindowGeometry ComputeWindowGeometry(const WindowAttributes& attrs, const std::vector<int64_t>& input_spatial,
                                     const std::vector<int64_t>& kernel, const KernelContext& ctx) {
  const size_t rank = input_spatial.size();
  WindowGeometry g;
  g.input = input_spatial;
  g.kernel = kernel;
  auto check_len = [&](const std::vector<int64_t>& v, size_t want, const char* name) {
    if (v.size() != want)
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(name) + " " + JoinInts(v) + " should have " +
                                                          std::to_string(want) + " values for " + std::to_string(rank) +
                                                          " spatial dimensions");
  };
  check_len(g.kernel, rank, "kernel_shape");
  g.strides = attrs.strides.empty() ? std::vector<int64_t>(rank, 1) : attrs.strides;
  g.dilations = attrs.dilations.empty() ? std::vector<int64_t>(rank, 1) : attrs.dilations;
  std::vector<int64_t> pads = attrs.pads.empty() ? std::vector<int64_t>(2 * rank, 0) : attrs.pads;
  check_len(g.strides, rank, "strides");
  check_len(g.dilations, rank, "dilations");
  check_len(pads, 2 * rank, "pads");
  g.pad_begin.resize(rank);
  g.pad_end.resize(rank);
  g.output.resize(rank);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t in = input_spatial[d], k = g.kernel[d], s = g.strides[d], dil = g.dilations[d];
    if (k <= 0 || s <= 0 || dil <= 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "kernel_shape, strides and dilations should be positive, got kernel " +
                                                          JoinInts(g.kernel) + ", strides " + JoinInts(g.strides) +
                                                          ", dilations " + JoinInts(g.dilations));
    if (k > (INT64_C(1) << 31) || dil > (INT64_C(1) << 31) || in > (INT64_C(1) << 40))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "window dimensions are too large");
    const int64_t eff = (k - 1) * dil + 1;
    int64_t pb = 0, pe = 0, out = 0;
    switch (attrs.auto_pad) {
      case AutoPad::SameUpper:
      case AutoPad::SameLower: {
        out = (in + s - 1) / s;
        const int64_t total = std::max<int64_t>(0, (out - 1) * s + eff - in);
        pb = attrs.auto_pad == AutoPad::SameUpper ? total / 2 : total - total / 2;
        pe = total - pb;
        break;
      }
      case AutoPad::Valid:
      case AutoPad::NotSet: {
        if (attrs.auto_pad == AutoPad::NotSet) {
          pb = pads[d];
          pe = pads[d + rank];
          if (pb < 0 || pe < 0 || pb > (INT64_C(1) << 40) || pe > (INT64_C(1) << 40))
            throw ctx.MakeError(ErrorCode::InvalidArgument, "pads " + JoinInts(pads) + " should be non-negative");
        }
        const int64_t span = in + pb + pe - eff;
        if (span < 0) {
          out = 0;
        } else if (attrs.ceil_mode) {
          out = (span + s - 1) / s + 1;
          // The last window must start inside the input or the left padding.
          if ((out - 1) * s >= in + pb) --out;
        } else {
          out = span / s + 1;
        }
        break;
      }
    }
    if (out <= 0 && in > 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument,
                          "input spatial shape " + JoinInts(input_spatial) + " is too small for kernel " +
                              JoinInts(g.kernel) + " with dilations " + JoinInts(g.dilations) + " and pads " +
                              JoinInts(pads));
    g.pad_begin[d] = pb;
    g.pad_end[d] = pe;
    g.output[d] = std::max<int64_t>(out, 0);
  }
  return g;
}

Tensor ToFloatTensor(const Tensor& t) {
  Tensor f(DataType::Float, t.shape());
  float* dst = f.data<float>();
  const uint16_t* src = static_cast<const uint16_t*>(t.raw_data());
  if (t.dtype() == DataType::Float16) {
    for (int64_t i = 0; i < t.size(); ++i) dst[i] = HalfToFloat(src[i]);
  } else {
    for (int64_t i = 0; i < t.size(); ++i) dst[i] = BFloat16ToFloat(src[i]);
  }
  return f;
}

void FromFloatTensor(const Tensor& src, Tensor& dst) {
  const float* s = src.data<float>();
  uint16_t* d = static_cast<uint16_t*>(dst.raw_data());
  if (dst.dtype() == DataType::Float16) {
    for (int64_t i = 0; i < src.size(); ++i) d[i] = FloatToHalf(s[i]);
  } else {
    for (int64_t i = 0; i < src.size(); ++i) d[i] = FloatToBFloat16(s[i]);
  }
}

LayerNormLayout ResolveLayerNormLayout(const std::vector<int64_t>& x_shape, int64_t axis_attr, const KernelContext& ctx) {
  const int64_t rank = static_cast<int64_t>(x_shape.size());
  if (rank == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "input X should have rank >= 1");
  LayerNormLayout l;
  l.axis = NormalizeAxis(axis_attr, rank, ctx);
  l.norm_shape.assign(x_shape.begin() + l.axis, x_shape.end());
  l.n = ShapeSize(l.norm_shape);
  l.rows = l.n == 0 ? 0 : ShapeSize(x_shape) / l.n;
  l.stat_shape.assign(x_shape.begin(), x_shape.begin() + l.axis);
  l.stat_shape.resize(static_cast<size_t>(rank), 1);
  return l;
}

std::vector<int64_t> LayerNormParamShape(const std::vector<int64_t>& ps, const std::vector<int64_t>& norm_shape,
                                         const char* name, const KernelContext& ctx) {
  // Right-aligned broadcasting: dims of size 1 repeat, extra leading dims must be 1.
  const size_t r = norm_shape.size();
  bool ok = true;
  for (size_t k = 0; k < ps.size(); ++k) {
    const size_t from_end = ps.size() - 1 - k;
    if (from_end >= r) ok = ok && ps[k] == 1;
    else ok = ok && (ps[k] == 1 || ps[k] == norm_shape[r - 1 - from_end]);
  }
  if (!ok)
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(name) + " of shape " + ShapeToString(ps) +
                                                        " does not broadcast to the normalized shape " + ShapeToString(norm_shape));
  return std::vector<int64_t>(ps.size() > r ? ps.end() - static_cast<std::ptrdiff_t>(r) : ps.begin(), ps.end());
}

namespace {

void CheckKernelShape(const WindowAttributes& attrs, const std::vector<int64_t>& kernel, const KernelContext& ctx) {
  if (!attrs.kernel_shape.empty() && attrs.kernel_shape != kernel)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "kernel_shape " + ShapeToString(attrs.kernel_shape) +
                                                        " does not match the weight's spatial shape " + ShapeToString(kernel));
}

void CheckBias(const Tensor* B, int64_t M, const KernelContext& ctx) {
  if (B && (B->rank() != 1 || B->dim(0) != M))
    throw ctx.MakeError(ErrorCode::InvalidArgument, "bias B of shape " + ShapeToString(B->shape()) + " should have shape [" +
                                                        std::to_string(M) + "]");
}

}  // namespace

ConvShape ResolveConvShape(const WindowAttributes& attrs, int64_t group, const Tensor& X, const Tensor& W, const Tensor* B,
                           const KernelContext& ctx) {
  ConvShape r;
  r.N = X.dim(0);
  r.C = X.dim(1);
  r.M = W.dim(0);
  if (r.C % group != 0 || W.dim(1) * group != r.C)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "input channels " + std::to_string(r.C) + " should equal W.shape[1] (" +
                                                        std::to_string(W.dim(1)) + ") times group (" + std::to_string(group) + ")");
  if (r.M % group != 0)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "output channels " + std::to_string(r.M) + " should be divisible by group " +
                                                        std::to_string(group));
  CheckBias(B, r.M, ctx);
  const std::vector<int64_t> in_spatial(X.shape().begin() + 2, X.shape().end());
  const std::vector<int64_t> kernel(W.shape().begin() + 2, W.shape().end());
  CheckKernelShape(attrs, kernel, ctx);
  r.geo = ComputeWindowGeometry(attrs, in_spatial, kernel, ctx);
  return r;
}

ConvTransposeShape ResolveConvTransposeShape(const WindowAttributes& attrs, int64_t group,
                                             const std::vector<int64_t>& output_padding,
                                             const std::vector<int64_t>& output_shape, const Tensor& X, const Tensor& W,
                                             const Tensor* B, const KernelContext& ctx) {
  const size_t rank = X.rank() - 2;
  ConvTransposeShape p;
  p.N = X.dim(0);
  p.C = X.dim(1);
  p.M = W.dim(1) * group;
  if (W.dim(0) != p.C || p.C % group != 0)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "W.shape[0] (" + std::to_string(W.dim(0)) + ") should equal the input channels (" +
                                                        std::to_string(p.C) + "), divisible by group " + std::to_string(group));
  CheckBias(B, p.M, ctx);
  p.x_spatial.assign(X.shape().begin() + 2, X.shape().end());
  p.kernel.assign(W.shape().begin() + 2, W.shape().end());
  CheckKernelShape(attrs, p.kernel, ctx);
  auto defaulted = [&](const std::vector<int64_t>& v, size_t n, int64_t dflt, const char* name) {
    if (v.empty()) return std::vector<int64_t>(n, dflt);
    if (v.size() != n)
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(name) + " " + ShapeToString(v) + " should have " +
                                                          std::to_string(n) + " values");
    return v;
  };
  p.strides = defaulted(attrs.strides, rank, 1, "strides");
  p.dilations = defaulted(attrs.dilations, rank, 1, "dilations");
  const std::vector<int64_t> pads = defaulted(attrs.pads, 2 * rank, 0, "pads");
  const std::vector<int64_t> out_pad = defaulted(output_padding, rank, 0, "output_padding");
  std::vector<int64_t> requested;
  if (!output_shape.empty()) {
    if (output_shape.size() < rank)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "output_shape " + ShapeToString(output_shape) + " should have " +
                                                          std::to_string(rank) + " spatial values");
    requested.assign(output_shape.end() - static_cast<std::ptrdiff_t>(rank), output_shape.end());
  }
  p.pad_begin.resize(rank);
  p.y_spatial.resize(rank);
  p.full.resize(rank);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t in = p.x_spatial[d], k = p.kernel[d], s = p.strides[d], dil = p.dilations[d];
    if (k <= 0 || s <= 0 || dil <= 0 || k > (INT64_C(1) << 31) || s > (INT64_C(1) << 31) || dil > (INT64_C(1) << 31) ||
        in > (INT64_C(1) << 31) || out_pad[d] < 0 || out_pad[d] > (INT64_C(1) << 31))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "kernel_shape, strides, dilations and output_padding are out of range");
    const int64_t eff = (k - 1) * dil + 1;
    const int64_t with_out_pad = s * (in - 1) + out_pad[d] + eff;  // output size without padding
    int64_t pb, pe, out;
    const bool same = attrs.auto_pad == AutoPad::SameUpper || attrs.auto_pad == AutoPad::SameLower;
    if (!requested.empty() || same) {
      out = !requested.empty() ? requested[d] : in * s;
      // A requested shape larger than the full output leaves the extra trailing positions
      // empty (bias only), as onnxruntime does.
      const int64_t total = std::max<int64_t>(0, with_out_pad - out);
      if (attrs.auto_pad == AutoPad::SameUpper) {
        pb = total / 2;
        pe = total - pb;
      } else {
        pe = total / 2;
        pb = total - pe;
      }
    } else if (attrs.auto_pad == AutoPad::Valid) {
      pb = pe = 0;
      out = with_out_pad;
    } else {
      pb = pads[d];
      pe = pads[d + rank];
      if (pb < 0 || pe < 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "pads " + ShapeToString(pads) + " should be non-negative");
      out = with_out_pad - pb - pe;
    }
    if (out < 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "the output spatial shape would be negative for input " +
                                                          ShapeToString(p.x_spatial));
    p.pad_begin[d] = pb;
    p.y_spatial[d] = out;
    p.full[d] = s * (in - 1) + eff;
  }
  return p;
}

}  // namespace onyx
