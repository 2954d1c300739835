// Numpy broadcasting for the CUDA elementwise kernels: the output shape, and the merged
// dims and per-input strides the device kernels walk.
#include <algorithm>
#include <string>

#include "cuda_math.h"

namespace onyx::cuda {

bool ToElemType(DataType t, ElemType* out) {
  switch (t) {
    case DataType::Float: *out = ElemType::F32; return true;
    case DataType::Float16: *out = ElemType::F16; return true;
    case DataType::Double: *out = ElemType::F64; return true;
    case DataType::Int8: *out = ElemType::I8; return true;
    case DataType::UInt8: *out = ElemType::U8; return true;
    case DataType::Int32: *out = ElemType::I32; return true;
    case DataType::Int64: *out = ElemType::I64; return true;
    case DataType::Bool: *out = ElemType::Bool; return true;
    default: return false;
  }
}

bool IsElemType(DataType t) {
  ElemType e;
  return ToElemType(t, &e);
}

std::vector<int64_t> BroadcastShape(const KernelContext& ctx, const std::vector<const std::vector<int64_t>*>& shapes) {
  size_t rank = 0;
  for (const auto* s : shapes) rank = std::max(rank, s->size());
  std::vector<int64_t> out(rank, 1);
  for (const auto* s : shapes) {
    const size_t lead = rank - s->size();
    for (size_t i = 0; i < s->size(); ++i) {
      const int64_t v = (*s)[i];
      int64_t& o = out[lead + i];
      if (v == o || v == 1) continue;
      if (o == 1) {
        o = v;
        continue;
      }
      std::string all;
      for (const auto* t : shapes) all += (all.empty() ? "" : ", ") + ShapeToString(*t);
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input shapes " + all + " do not broadcast");
    }
  }
  return out;
}

BroadcastParams MakeBroadcastParams(const KernelContext& ctx, const std::vector<const std::vector<int64_t>*>& inputs,
                                    const std::vector<int64_t>& out_shape) {
  const size_t r = out_shape.size(), nin = inputs.size();
  if (nin == 0 || nin > static_cast<size_t>(kMaxBroadcastInputs))
    throw ctx.MakeError(ErrorCode::RuntimeException, "broadcast plan for " + std::to_string(nin) + " inputs");
  // Per input, the stride of each output dim (0 where the input repeats).
  std::vector<std::vector<int64_t>> full(nin, std::vector<int64_t>(r, 0));
  for (size_t k = 0; k < nin; ++k) {
    const std::vector<int64_t>& s = *inputs[k];
    if (s.size() > r)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input of shape " + ShapeToString(s) +
                                                          " does not broadcast to " + ShapeToString(out_shape));
    int64_t stride = 1;
    for (size_t i = s.size(); i-- > 0;) {
      const size_t d = r - s.size() + i;
      if (s[i] != out_shape[d] && s[i] != 1)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "input of shape " + ShapeToString(s) +
                                                            " does not broadcast to " + ShapeToString(out_shape));
      full[k][d] = s[i] == 1 ? 0 : stride;
      stride *= s[i];
    }
  }
  std::vector<int64_t> dims;
  std::vector<std::vector<int64_t>> strides(nin);
  for (size_t d = 0; d < r; ++d) {
    if (out_shape[d] == 1) continue;
    bool merge = !dims.empty();
    for (size_t k = 0; k < nin && merge; ++k) merge = strides[k].back() == full[k][d] * out_shape[d];
    if (merge) {
      dims.back() *= out_shape[d];
      for (size_t k = 0; k < nin; ++k) strides[k].back() = full[k][d];
    } else {
      dims.push_back(out_shape[d]);
      for (size_t k = 0; k < nin; ++k) strides[k].push_back(full[k][d]);
    }
  }
  if (dims.empty()) {  // a single element
    dims.push_back(1);
    for (size_t k = 0; k < nin; ++k) strides[k].push_back(0);
  }
  if (dims.size() > static_cast<size_t>(kMaxBroadcastDims))
    throw ctx.MakeError(ErrorCode::NotImplemented, "broadcast to " + ShapeToString(out_shape) + " needs " +
                                                       std::to_string(dims.size()) + " dims after merging; the CUDA kernels take " +
                                                       std::to_string(kMaxBroadcastDims));
  BroadcastParams p;
  p.rank = static_cast<int>(dims.size());
  for (size_t d = 0; d < dims.size(); ++d) {
    p.dims[d] = dims[d];
    for (size_t k = 0; k < nin; ++k) p.strides[k][d] = strides[k][d];
  }
  return p;
}

}  // namespace onyx::cuda
