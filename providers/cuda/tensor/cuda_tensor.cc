#include "cuda_tensor.h"

#include <cstdlib>

#include "copy_impl.h"

namespace onyx::cuda {

const std::vector<DataType>& DataMovementTypes() {
  static const std::vector<DataType> t = {DataType::Float,  DataType::Float16, DataType::BFloat16, DataType::Double,
                                          DataType::Int8,   DataType::Int16,   DataType::Int32,    DataType::Int64,
                                          DataType::UInt8,  DataType::UInt16,  DataType::UInt32,   DataType::UInt64,
                                          DataType::Bool};
  return t;
}

int WidestUnit(size_t elem_bytes, const std::vector<uint64_t>& values) {
  for (uint64_t u = 16; u > elem_bytes; u /= 2) {
    if (u % elem_bytes != 0) continue;
    bool ok = true;
    for (uint64_t v : values) ok = ok && v % u == 0;
    if (ok) return static_cast<int>(u);
  }
  return static_cast<int>(elem_bytes);
}

namespace {

size_t CheckedElementSize(DataType dt) {
  const size_t e = DataTypeSize(dt);
  if (e != 1 && e != 2 && e != 4 && e != 8)
    throw Error(ErrorCode::NotImplemented, std::string("the CUDA provider cannot move elements of type ") + DataTypeName(dt));
  return e;
}

uint64_t Address(const void* p) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)); }
uint64_t Abs(int64_t v) { return static_cast<uint64_t>(v < 0 ? -v : v); }

constexpr int64_t kInt32Limit = int64_t(1) << 31;

}  // namespace

void StridedCopy(cudaStream_t stream, DataType dt, const std::vector<int64_t>& out_shape, void* dst, const void* src,
                 int64_t src_offset, const std::vector<int64_t>& strides, int64_t src_count) {
  const size_t e = CheckedElementSize(dt);
  const int64_t count = ShapeSize(out_shape);
  if (count == 0) return;
  // Drop size-1 dims and merge neighbours that walk the source as one dim.
  std::vector<int64_t> shape, st;
  for (size_t k = 0; k < out_shape.size(); ++k) {
    if (out_shape[k] == 1) continue;
    if (!shape.empty() && st.back() == strides[k] * out_shape[k]) {
      shape.back() *= out_shape[k];
      st.back() = strides[k];
    } else {
      shape.push_back(out_shape[k]);
      st.push_back(strides[k]);
    }
  }
  if (shape.empty()) {
    shape.push_back(1);
    st.push_back(1);
  }
  const char* s = DeviceElementAt(src, dt, src_offset);
  const size_t rank = shape.size();
  if (rank == 1 && st[0] == 1) {
    CheckCuda(cudaMemcpyAsync(dst, s, static_cast<size_t>(count) * e, cudaMemcpyDeviceToDevice, stream), "cudaMemcpyAsync (copy)");
    return;
  }
  // [batch,] n, m read with n contiguous: a (batched) 2-D transpose.
  if ((rank == 2 || rank == 3) && st[rank - 2] == 1 && st[rank - 1] != 0 && shape[rank - 2] >= 8 && shape[rank - 1] >= 8) {
    const int64_t batch = rank == 3 ? shape[0] : 1, batch_stride = rank == 3 ? st[0] : 0;
    LaunchTransposeTiles(static_cast<int>(e), dst, s, batch, shape[rank - 2], shape[rank - 1], batch_stride, st[rank - 1], stream);
    CheckLaunch("Transpose tiles kernel");
    return;
  }
  if (rank > static_cast<size_t>(kMaxCopyDims))
    throw Error(ErrorCode::NotImplemented, "the CUDA provider copies tensors of at most " + std::to_string(kMaxCopyDims) +
                                               " non-mergeable dimensions, got " + std::to_string(rank));
  int unit = static_cast<int>(e);
  if (st.back() == 1) {
    // Widen the moved unit along the contiguous innermost dim when every stride, the
    // innermost run and both addresses allow it.
    std::vector<uint64_t> values = {static_cast<uint64_t>(shape.back()) * e, Address(dst), Address(s)};
    for (size_t d = 0; d + 1 < rank; ++d) values.push_back(Abs(st[d]) * e);
    unit = WidestUnit(e, values);
  }
  const int64_t k = unit / static_cast<int64_t>(e);  // > 1 only when the innermost stride is 1
  StridedCopyArgs args;
  args.rank = static_cast<int>(rank);
  for (size_t d = 0; d < rank; ++d) {
    args.shape[d] = d + 1 == rank ? shape[d] / k : shape[d];
    args.strides[d] = d + 1 == rank ? st[d] : st[d] / k;
  }
  const int64_t units = count / k;
  const bool index32 = units < kInt32Limit && src_count < kInt32Limit;
  LaunchStridedCopy(unit, dst, s, args, units, index32, stream);
  CheckLaunch("strided copy kernel");
}

void Copy2D(cudaStream_t stream, DataType dt, void* dst, int64_t dst_ld, const void* src, int64_t src_ld, int64_t rows,
            int64_t width) {
  const size_t e = CheckedElementSize(dt);
  if (rows <= 0 || width <= 0) return;
  if (rows == 1 || (width == src_ld && width == dst_ld)) {
    CheckCuda(cudaMemcpyAsync(dst, src, static_cast<size_t>(rows * width) * e, cudaMemcpyDeviceToDevice, stream),
              "cudaMemcpyAsync (block copy)");
    return;
  }
  const int unit = WidestUnit(e, std::vector<uint64_t>{static_cast<uint64_t>(width) * e, static_cast<uint64_t>(dst_ld) * e,
                                  static_cast<uint64_t>(src_ld) * e, Address(dst), Address(src)});
  const int64_t k = unit / static_cast<int64_t>(e);
  LaunchCopy2D(unit, dst, dst_ld / k, src, src_ld / k, rows, width / k, stream);
  CheckLaunch("2-D block copy kernel");
}

}  // namespace onyx::cuda
