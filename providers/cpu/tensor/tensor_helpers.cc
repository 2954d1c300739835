#include "tensor/tensor_helpers.h"

#include <cmath>
#include <cstring>

#include "core/thread_pool.h"
#include "cpu_kernels.h"

namespace onyx {

const std::vector<DataType>& AllTensorTypes() {
  static const std::vector<DataType> t = {
      DataType::Float,  DataType::Double, DataType::Float16, DataType::BFloat16, DataType::Int8,
      DataType::Int16,  DataType::Int32,  DataType::Int64,   DataType::UInt8,    DataType::UInt16,
      DataType::UInt32, DataType::UInt64, DataType::Bool,    DataType::String};
  return t;
}

size_t ElementStride(DataType dt) { return dt == DataType::String ? sizeof(std::string) : DataTypeSize(dt); }

void CopyElements(DataType dt, void* dst, const void* src, int64_t n) {
  if (n <= 0) return;
  if (dt == DataType::String) {
    const auto* s = static_cast<const std::string*>(src);
    std::copy(s, s + n, static_cast<std::string*>(dst));
  } else {
    std::memcpy(dst, src, static_cast<size_t>(n) * DataTypeSize(dt));
  }
}

CopyElementKind ElementKindOf(DataType dt) {
  if (dt == DataType::String) return CopyElementKind::String;
  switch (DataTypeSize(dt)) {
    case 1: return CopyElementKind::Bytes1;
    case 2: return CopyElementKind::Bytes2;
    case 4: return CopyElementKind::Bytes4;
    case 8: return CopyElementKind::Bytes8;
    case 16: return CopyElementKind::Bytes16;
    default: throw Error(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(dt) + " cannot be copied");
  }
}

void StridedCopy(DataType dt, const std::vector<int64_t>& out_shape, void* dst, const void* src, int64_t src_offset,
                 const std::vector<int64_t>& src_strides, ThreadPool* pool) {
  mlas::StridedCopy(ElementKindOf(dt), out_shape.data(), src_strides.data(), static_cast<int>(out_shape.size()), dst,
                    ElementAt(src, dt, src_offset), pool);
}

std::vector<int64_t> ContiguousStrides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size());
  int64_t acc = 1;
  for (size_t k = shape.size(); k-- > 0;) {
    s[k] = acc;
    acc *= shape[k];
  }
  return s;
}

int64_t ReadScalarInt(const Tensor& t, const KernelContext& ctx, const std::string& what) {
  if (t.size() != 1)
    throw ctx.MakeError(ErrorCode::InvalidArgument, what + " should hold exactly one value but has shape " + ShapeToString(t.shape()));
  if (t.dtype() == DataType::Int64) return t.data<int64_t>()[0];
  if (t.dtype() == DataType::Int32) return t.data<int32_t>()[0];
  throw ctx.MakeError(ErrorCode::InvalidArgument, what + " should be int64 or int32, got " + DataTypeName(t.dtype()));
}

double ReadAsDouble(const Tensor& t, int64_t i, const KernelContext& ctx) {
  double v = 0;
  bool done = false;
  DispatchAll(t.dtype(), ctx, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
      v = ToFloat(t.data<T>()[i]);
      done = true;
    } else if constexpr (std::is_arithmetic_v<T>) {
      v = static_cast<double>(t.data<T>()[i]);
      done = true;
    }
  });
  if (!done) throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("expected a numeric tensor, got ") + DataTypeName(t.dtype()));
  return v;
}

std::vector<int64_t> ReadIndices(const Tensor& t, const KernelContext& ctx, const char* what) {
  if (t.dtype() != DataType::Int64 && t.dtype() != DataType::Int32)
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(what) + " should be int64 or int32, got " + DataTypeName(t.dtype()));
  return ReadInt64s(t, ctx);
}

std::vector<int64_t> AxisIndexOffsets(const Tensor& data, const Tensor& indices, int64_t axis, const KernelContext& ctx,
                                      const char* what) {
  const int64_t rank = static_cast<int64_t>(data.rank());
  if (static_cast<int64_t>(indices.rank()) != rank)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "indices " + ShapeToString(indices.shape()) + " should have the rank of data " +
                                                        ShapeToString(data.shape()));
  for (int64_t k = 0; k < rank; ++k)
    if (k != axis && indices.dim(k) > data.dim(k))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "indices " + ShapeToString(indices.shape()) + " exceed data " +
                                                          ShapeToString(data.shape()) + " on axis " + std::to_string(k));
  std::vector<int64_t> offsets = ReadIndices(indices, ctx, "indices");
  const std::vector<int64_t> ds = ContiguousStrides(data.shape());
  const int64_t dim = data.dim(axis);
  std::vector<int64_t> pos(rank, 0);
  int64_t base = 0;  // data offset of pos without its axis coordinate
  for (int64_t& off : offsets) {
    off = base + CheckedIndex(off, dim, ctx, what) * ds[axis];
    for (int64_t k = rank - 1; k >= 0; --k) {
      if (k != axis) base += ds[k];
      if (++pos[k] < indices.dim(k)) break;
      if (k != axis) base -= ds[k] * indices.dim(k);
      pos[k] = 0;
    }
  }
  return offsets;
}

std::vector<int64_t> IndexTupleOffsets(const Tensor& data, const Tensor& indices, int64_t batch_dims, const KernelContext& ctx,
                                       const char* what) {
  const std::vector<int64_t> idx = ReadIndices(indices, ctx, "indices");
  const int64_t q = static_cast<int64_t>(indices.rank()), k = indices.dim(q - 1);
  int64_t batches = 1, tuples = 1;
  for (int64_t i = 0; i < batch_dims; ++i) batches *= data.dim(i);
  for (int64_t i = 0; i < q - 1; ++i) tuples *= indices.dim(i);
  std::vector<int64_t> offsets(static_cast<size_t>(tuples));
  if (tuples == 0) return offsets;
  const std::vector<int64_t> ds = ContiguousStrides(data.shape());
  const int64_t batch_stride = batch_dims == 0 ? 0 : ds[batch_dims - 1], per_batch = tuples / batches;
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = (t / per_batch) * batch_stride;
    for (int64_t j = 0; j < k; ++j)
      off += CheckedIndex(idx[t * k + j], data.dim(batch_dims + j), ctx, what) * ds[batch_dims + j];
    offsets[t] = off;
  }
  return offsets;
}

void GatherAxisMaps(const Tensor& x, Tensor& y, const std::vector<std::vector<int64_t>>& src_offsets,
                    const Tensor& fill_value, ThreadPool* pool) {
  const int64_t rank = static_cast<int64_t>(y.rank());
  if (y.size() == 0) return;
  if (rank == 0) {
    CopyElements(x.dtype(), y.raw_data(), x.raw_data(), 1);
    return;
  }
  const int64_t inner = y.dim(rank - 1);
  const std::vector<int64_t>& last = src_offsets[rank - 1];
  struct Run {
    int64_t start, len, src;  // src = -1 for fill
  };
  std::vector<Run> runs;
  for (int64_t o = 0; o < inner; ++o) {
    if (!runs.empty()) {
      Run& r = runs.back();
      bool pad = last[o] < 0;
      if ((pad && r.src < 0) || (!pad && r.src >= 0 && last[o] == r.src + r.len)) {
        ++r.len;
        continue;
      }
    }
    runs.push_back({o, 1, last[o]});
  }
  const int64_t rows = y.size() / inner;
  // Mostly short runs (upsampling, reflection): an indexed loop beats one copy call per run.
  const bool per_element = static_cast<int64_t>(runs.size()) * 4 > inner;
  DispatchElement(x.dtype(), [&](auto tag) {
    using E = typename decltype(tag)::type;
    const E* src = x.data<E>();
    E* dst = y.data<E>();
    const E value = fill_value.data<E>()[0];
    ParallelFor(pool, rows, static_cast<double>(inner), [&](int64_t begin, int64_t end) {
      std::vector<int64_t> idx(rank - 1);
      int64_t rem = begin;
      for (int64_t k = rank - 2; k >= 0; --k) {
        idx[k] = rem % y.dim(k);
        rem /= y.dim(k);
      }
      for (int64_t row = begin; row < end; ++row) {
        E* d = dst + row * inner;
        int64_t base = 0;
        bool padded = false;
        for (int64_t k = 0; k < rank - 1 && !padded; ++k) {
          int64_t off = src_offsets[k][idx[k]];
          padded = off < 0;
          base += off;
        }
        if (padded) {
          std::fill(d, d + inner, value);
        } else if (per_element) {
          const E* s = src + base;
          for (int64_t o = 0; o < inner; ++o) d[o] = last[o] < 0 ? value : s[last[o]];
        } else {
          for (const Run& r : runs) {
            if (r.src < 0) std::fill(d + r.start, d + r.start + r.len, value);
            else std::copy(src + base + r.src, src + base + r.src + r.len, d + r.start);
          }
        }
        for (int64_t k = rank - 2; k >= 0; --k) {
          if (++idx[k] < y.dim(k)) break;
          idx[k] = 0;
        }
      }
    });
  });
}

void RegisterTensorKernel(KernelRegistry& r, const char* op, int64_t since, int64_t end, std::vector<DataType> types,
                          KernelFactory factory) {
  KernelDef d;
  d.provider = kCpuProvider;
  d.op_type = op;
  d.since_version = since;
  d.end_version = end;
  d.types = std::move(types);
  d.factory = std::move(factory);
  r.Register(std::move(d));
}

}  // namespace onyx
