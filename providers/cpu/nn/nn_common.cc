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

}  // namespace onyx
