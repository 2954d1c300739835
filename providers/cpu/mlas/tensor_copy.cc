#include "mlas/tensor_copy.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "core/thread_pool.h"

namespace onyx::mlas {
namespace {

struct Bytes16 {
  uint64_t lo, hi;
};

template <typename E>
inline void CopyRow(E* dst, const E* src, int64_t n, int64_t stride) {
  if (stride == 1) {
    if constexpr (std::is_trivially_copyable_v<E>) {
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(E));
    } else {
      std::copy(src, src + n, dst);
    }
  } else if (stride == 0) {
    std::fill(dst, dst + n, *src);
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i * stride];
  }
}

// Row-by-row copy over the leading dims; each row is the innermost dim.
template <typename E>
void CopyRows(const std::vector<int64_t>& shape, const std::vector<int64_t>& st, E* dst, const E* src,
              ThreadPool* pool) {
  const int outer_rank = static_cast<int>(shape.size()) - 1;
  const int64_t inner = shape.back(), inner_stride = st.back();
  int64_t rows = 1;
  for (int k = 0; k < outer_rank; ++k) rows *= shape[k];
  double cost = static_cast<double>(inner) * (std::is_trivially_copyable_v<E> ? 1.0 : 8.0);
  ParallelFor(pool, rows, cost, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> idx(outer_rank);
    int64_t rem = begin, off = 0;
    for (int k = outer_rank - 1; k >= 0; --k) {
      idx[k] = rem % shape[k];
      rem /= shape[k];
      off += idx[k] * st[k];
    }
    for (int64_t r = begin; r < end; ++r) {
      CopyRow(dst + r * inner, src + off, inner, inner_stride);
      for (int k = outer_rank - 1; k >= 0; --k) {
        off += st[k];
        if (++idx[k] < shape[k]) break;
        off -= st[k] * shape[k];
        idx[k] = 0;
      }
    }
  });
}

// A transpose: dim j has source stride 1 and the innermost dim does not. Copies in square tiles
// so that both the reads along j and the writes along the innermost dim stay in cache.
template <typename E>
void CopyTiled(const std::vector<int64_t>& shape, const std::vector<int64_t>& st, int j, E* dst, const E* src,
               ThreadPool* pool) {
  constexpr int64_t kTile = sizeof(E) <= 4 ? 32 : 16;
  const int rank = static_cast<int>(shape.size());
  std::vector<int64_t> dst_strides(rank);
  int64_t s = 1;
  for (int k = rank - 1; k >= 0; --k) {
    dst_strides[k] = s;
    s *= shape[k];
  }
  std::vector<int> outer_dims;
  for (int k = 0; k < rank - 1; ++k)
    if (k != j) outer_dims.push_back(k);
  int64_t outer = 1;
  for (int k : outer_dims) outer *= shape[k];
  const int64_t na = shape[j], nb = shape[rank - 1], sb = st[rank - 1], dsa = dst_strides[j];
  const int64_t a_tiles = (na + kTile - 1) / kTile;
  ParallelFor(pool, outer * a_tiles, static_cast<double>(kTile * nb), [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      int64_t o = task / a_tiles, a0 = (task % a_tiles) * kTile, a1 = std::min(na, a0 + kTile);
      int64_t src_off = 0, dst_off = 0;
      for (int q = static_cast<int>(outer_dims.size()) - 1; q >= 0; --q) {
        int k = outer_dims[q];
        int64_t i = o % shape[k];
        o /= shape[k];
        src_off += i * st[k];
        dst_off += i * dst_strides[k];
      }
      for (int64_t b0 = 0; b0 < nb; b0 += kTile) {
        int64_t b1 = std::min(nb, b0 + kTile);
        for (int64_t a = a0; a < a1; ++a) {
          E* d = dst + dst_off + a * dsa;
          const E* sp = src + src_off + a;
          for (int64_t b = b0; b < b1; ++b) d[b] = sp[b * sb];
        }
      }
    }
  });
}

template <typename E>
void Run(const std::vector<int64_t>& shape, const std::vector<int64_t>& st, void* dst_v, const void* src_v,
         ThreadPool* pool) {
  E* dst = static_cast<E*>(dst_v);
  const E* src = static_cast<const E*>(src_v);
  const int rank = static_cast<int>(shape.size());
  if (rank == 0) {
    *dst = *src;
    return;
  }
  const int64_t inner_stride = st[rank - 1];
  if (inner_stride != 1 && inner_stride != 0 && shape[rank - 1] >= 8) {
    for (int k = rank - 2; k >= 0; --k) {
      if (st[k] == 1 && shape[k] >= 8) {
        CopyTiled(shape, st, k, dst, src, pool);
        return;
      }
    }
  }
  CopyRows(shape, st, dst, src, pool);
}

}  // namespace

void StridedCopy(CopyElementKind kind, const int64_t* shape_in, const int64_t* strides_in, int rank, void* dst,
                 const void* src, ThreadPool* pool) {
  // Drop unit dims and merge dims that are contiguous with each other in the source.
  std::vector<int64_t> shape, st;
  for (int k = 0; k < rank; ++k) {
    if (shape_in[k] == 0) return;
    if (shape_in[k] == 1) continue;
    if (!shape.empty() && st.back() == strides_in[k] * shape_in[k]) {
      shape.back() *= shape_in[k];
      st.back() = strides_in[k];
    } else {
      shape.push_back(shape_in[k]);
      st.push_back(strides_in[k]);
    }
  }
  switch (kind) {
    case CopyElementKind::Bytes1: Run<uint8_t>(shape, st, dst, src, pool); return;
    case CopyElementKind::Bytes2: Run<uint16_t>(shape, st, dst, src, pool); return;
    case CopyElementKind::Bytes4: Run<uint32_t>(shape, st, dst, src, pool); return;
    case CopyElementKind::Bytes8: Run<uint64_t>(shape, st, dst, src, pool); return;
    case CopyElementKind::Bytes16: Run<Bytes16>(shape, st, dst, src, pool); return;
    case CopyElementKind::String: Run<std::string>(shape, st, dst, src, pool); return;
  }
}

}  // namespace onyx::mlas
