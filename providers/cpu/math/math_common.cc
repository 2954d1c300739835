#include "math/math_common.h"

namespace onyx::math {

std::vector<DataType> TypeSetList(uint32_t set) {
  static const std::pair<uint32_t, DataType> kAll[] = {
      {kF32, DataType::Float},   {kF64, DataType::Double},  {kF16, DataType::Float16}, {kBF16, DataType::BFloat16},
      {kI8, DataType::Int8},     {kI16, DataType::Int16},   {kI32, DataType::Int32},   {kI64, DataType::Int64},
      {kU8, DataType::UInt8},    {kU16, DataType::UInt16},  {kU32, DataType::UInt32},  {kU64, DataType::UInt64},
      {kBool, DataType::Bool},   {kStr, DataType::String}};
  std::vector<DataType> out;
  for (const auto& [bit, dt] : kAll)
    if (set & bit) out.push_back(dt);
  return out;
}

std::vector<int64_t> BroadcastAll(const std::vector<const std::vector<int64_t>*>& shapes, const KernelContext& ctx) {
  std::vector<int64_t> out;
  for (const auto* s : shapes) out = BroadcastShapes(out, *s, ctx);
  return out;
}

BroadcastPlan::BroadcastPlan(const std::vector<const std::vector<int64_t>*>& inputs, const std::vector<int64_t>& out_shape)
    : out_size_(ShapeSize(out_shape)) {
  const size_t nin = inputs.size();
  std::vector<std::vector<int64_t>> full(nin);
  for (size_t k = 0; k < nin; ++k) full[k] = BroadcastStrides(*inputs[k], out_shape);
  strides_.assign(nin, {});
  // Walk from the innermost dim outwards, dropping size-1 dims and merging a dim into the one
  // inside it when every input steps through both as one contiguous (or fully repeated) range.
  std::vector<int64_t> rdims;
  std::vector<std::vector<int64_t>> rstrides(nin);
  for (size_t i = out_shape.size(); i-- > 0;) {
    const int64_t d = out_shape[i];
    if (d == 1) continue;
    bool merge = !rdims.empty();
    for (size_t k = 0; merge && k < nin; ++k)
      if (full[k][i] != rstrides[k].back() * rdims.back()) merge = false;
    if (merge) {
      rdims.back() *= d;
    } else {
      rdims.push_back(d);
      for (size_t k = 0; k < nin; ++k) rstrides[k].push_back(full[k][i]);
    }
  }
  if (rdims.empty()) {
    rdims.push_back(1);
    for (size_t k = 0; k < nin; ++k) rstrides[k].push_back(0);
  }
  dims_.assign(rdims.rbegin(), rdims.rend());
  for (size_t k = 0; k < nin; ++k) {
    strides_[k].assign(rstrides[k].rbegin(), rstrides[k].rend());
    // A merged inner run of a repeated input has stride 0; a walked one stride 1.
    if (strides_[k].back() != 0) strides_[k].back() = 1;
  }
}

void CheckSameType(const KernelContext& ctx, size_t i, size_t j) {
  DataType a = ctx.Input(i).dtype(), b = ctx.Input(j).dtype();
  if (a != b)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "input " + std::to_string(j) + " has element type " +
                                                        DataTypeName(b) + " but input " + std::to_string(i) + " has " +
                                                        DataTypeName(a) + "; they must match");
}

}  // namespace onyx::math
