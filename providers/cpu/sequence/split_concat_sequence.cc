// SplitToSequence and ConcatFromSequence: the sequence counterparts of Split and Concat/Stack.
// Both view a tensor as [outer, axis, inner] and move contiguous axis*inner blocks per outer row.
#include "sequence/sequence_common.h"
#include "tensor/tensor_helpers.h"
#include "cpu_kernels.h"

namespace onyx::sequence {
namespace {

int64_t Product(const std::vector<int64_t>& s, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= s[i];
  return p;
}

class SplitToSequenceKernel : public OpKernel {
 public:
  explicit SplitToSequenceKernel(const KernelInfo& info)
      : axis_(info.GetInt("axis", 0)), keepdims_(info.GetInt("keepdims", 1) != 0) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    if (rank == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot split a scalar (rank 0) tensor");
    if (axis_ < -rank || axis_ >= rank)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(rank));
    const size_t axis = static_cast<size_t>(axis_ < 0 ? axis_ + rank : axis_);
    const int64_t dim = x.dim(axis);
    std::vector<int64_t> lengths;
    bool squeeze = false;
    if (const Tensor* split = ctx.OptionalInput(1)) {
      if (split->rank() == 0) {
        const int64_t k = ReadScalarInt(*split, ctx, "split");
        if (k <= 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "a scalar split must be positive, got " + std::to_string(k));
        for (int64_t off = 0; off < dim; off += k) lengths.push_back(std::min(k, dim - off));
      } else if (split->rank() == 1) {
        lengths = ReadInt64s(*split, ctx);
        int64_t sum = 0;
        for (int64_t l : lengths) {
          if (l < 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "split lengths must be non-negative, got " + std::to_string(l));
          sum += l;
          if (sum > dim) break;
        }
        if (sum != dim)
          throw ctx.MakeError(ErrorCode::InvalidArgument, "split lengths add up to " + std::to_string(sum) + " but axis " +
                                                              std::to_string(axis) + " has length " + std::to_string(dim));
      } else {
        throw ctx.MakeError(ErrorCode::InvalidArgument, "split must be a scalar or 1-D, got shape " + ShapeToString(split->shape()));
      }
    } else {
      lengths.assign(static_cast<size_t>(dim), 1);
      squeeze = !keepdims_;
    }

    const std::vector<int64_t>& shape = x.shape();
    const int64_t outer = Product(shape, 0, axis), inner = Product(shape, axis + 1, shape.size());
    const DataType dt = x.dtype();
    std::vector<Tensor> items;
    items.reserve(lengths.size());
    int64_t off = 0;
    for (int64_t len : lengths) {
      std::vector<int64_t> s = shape;
      s[axis] = len;
      if (squeeze) s.erase(s.begin() + axis);
      Tensor item(dt, s);
      if (len * inner > 0)
        for (int64_t o = 0; o < outer; ++o)
          CopyElements(dt, ElementAt(item.raw_data(), dt, o * len * inner), ElementAt(x.raw_data(), dt, (o * dim + off) * inner),
                       len * inner);
      items.push_back(std::move(item));
      off += len;
    }
    ctx.SetOutput(0, Value::Sequence(std::move(items), dt));
  }

 private:
  int64_t axis_;
  bool keepdims_;
};

class ConcatFromSequenceKernel : public OpKernel {
 public:
  explicit ConcatFromSequenceKernel(const KernelInfo& info)
      : axis_(info.RequireInt("axis")), new_axis_(info.GetInt("new_axis", 0) != 0) {}

  void Compute(KernelContext& ctx) const override {
    const std::vector<Tensor>& items = SequenceInput(ctx, 0).sequence();
    if (items.empty()) throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot concatenate an empty sequence");
    const Tensor& first = items[0];
    const DataType dt = first.dtype();
    const int64_t rank = static_cast<int64_t>(first.rank());
    const int64_t out_rank = new_axis_ ? rank + 1 : rank;
    if (out_rank == 0 || axis_ < -out_rank || axis_ >= out_rank)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "axis " + std::to_string(axis_) + " is out of range for " +
                                                          (new_axis_ ? "stacking" : "concatenating") + " tensors of rank " + std::to_string(rank));
    const size_t axis = static_cast<size_t>(axis_ < 0 ? axis_ + out_rank : axis_);

    // Each item seen as [outer, len, inner] in the output's axis layout.
    std::vector<int64_t> item_len(items.size());
    int64_t total = 0;
    for (size_t k = 0; k < items.size(); ++k) {
      const Tensor& t = items[k];
      if (t.dtype() != dt)
        throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("sequence items have different types: ") + DataTypeName(dt) + " and " + DataTypeName(t.dtype()));
      bool ok = t.rank() == first.rank();
      for (size_t d = 0; ok && d < first.rank(); ++d)
        if (t.dim(d) != first.dim(d) && (new_axis_ || d != axis)) ok = false;
      if (!ok)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "sequence item " + std::to_string(k) + " has shape " + ShapeToString(t.shape()) +
                                                            ", which does not match item 0's shape " + ShapeToString(first.shape()));
      item_len[k] = new_axis_ ? 1 : t.dim(axis);
      total += item_len[k];
    }
    std::vector<int64_t> out_shape = first.shape();
    if (new_axis_) out_shape.insert(out_shape.begin() + axis, total);
    else out_shape[axis] = total;
    Tensor& out = ctx.Output(0, dt, out_shape);
    const int64_t outer = Product(out_shape, 0, axis), inner = Product(out_shape, axis + 1, out_shape.size());
    if (outer * total * inner == 0) return;
    for (int64_t o = 0; o < outer; ++o) {
      int64_t dst = o * total * inner;
      for (size_t k = 0; k < items.size(); ++k) {
        const int64_t block = item_len[k] * inner;
        CopyElements(dt, ElementAt(out.raw_data(), dt, dst), ElementAt(items[k].raw_data(), dt, o * block), block);
        dst += block;
      }
    }
  }

 private:
  int64_t axis_;
  bool new_axis_;
};

}  // namespace

void RegisterSplitConcatSequenceKernels(KernelRegistry& r) {
  const auto& types = AllTensorTypes();
  r.Register({kCpuProvider, "", "SplitToSequence", 11, INT64_MAX, types, MakeFactory<SplitToSequenceKernel>()});
  r.Register({kCpuProvider, "", "ConcatFromSequence", 11, INT64_MAX, types, MakeFactory<ConcatFromSequenceKernel>()});
}

}  // namespace onyx::sequence
