// SequenceEmpty, SequenceConstruct, SequenceInsert, SequenceAt, SequenceErase, SequenceLength.
// Sequences are immutable values whose items share storage with the tensors they came from, so
// every op here builds a new item list and copies no tensor data.
#include "sequence/sequence_common.h"
#include "tensor/tensor_helpers.h"
#include "cpu_kernels.h"

namespace onyx::sequence {

const Value& SequenceInput(const KernelContext& ctx, size_t i) {
  const Value* v = i < ctx.num_inputs() ? ctx.InputValue(i) : nullptr;
  if (!v || v->is_none()) throw ctx.MakeError(ErrorCode::InvalidArgument, "input " + std::to_string(i) + " (a sequence) is missing");
  if (!v->is_sequence()) throw ctx.MakeError(ErrorCode::InvalidArgument, "input " + std::to_string(i) + " should be a sequence but is a tensor");
  return *v;
}

int64_t ReadPosition(const KernelContext& ctx, size_t i, int64_t n, bool allow_end) {
  const Tensor& t = ctx.Input(i);
  if (t.size() != 1 || t.rank() > 1)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "position must be a scalar, got shape " + ShapeToString(t.shape()));
  int64_t p = ReadScalarInt(t, ctx, "position");
  const int64_t hi = allow_end ? n : n - 1;
  if (p < -n || p > hi)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "position " + std::to_string(p) + " is out of range [" + std::to_string(-n) +
                                                        ", " + std::to_string(hi) + "] for a sequence of " + std::to_string(n) + " tensors");
  return p < 0 ? p + n : p;
}

namespace {

void CheckItemType(const KernelContext& ctx, DataType seq_type, const Tensor& t) {
  if (seq_type != DataType::Undefined && t.dtype() != seq_type)
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("tensor of type ") + DataTypeName(t.dtype()) +
                                                        " does not match the sequence element type " + DataTypeName(seq_type));
}

class SequenceEmptyKernel : public OpKernel {
 public:
  explicit SequenceEmptyKernel(const KernelInfo& info) {
    const int64_t code = info.GetInt("dtype", static_cast<int64_t>(DataType::Float));
    if (code < 0 || code > INT32_MAX || !IsKnownDataType(static_cast<int32_t>(code)))
      throw info.MakeError(ErrorCode::InvalidGraph, "dtype " + std::to_string(code) + " is not a known tensor element type");
    dtype_ = static_cast<DataType>(code);
  }
  void Compute(KernelContext& ctx) const override { ctx.SetOutput(0, Value::Sequence({}, dtype_)); }

 private:
  DataType dtype_;
};

class SequenceConstructKernel : public OpKernel {
 public:
  explicit SequenceConstructKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    if (ctx.num_inputs() == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "needs at least one input tensor");
    std::vector<Tensor> items;
    items.reserve(ctx.num_inputs());
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor& t = ctx.Input(i);
      CheckItemType(ctx, items.empty() ? DataType::Undefined : items[0].dtype(), t);
      items.push_back(t);
    }
    const DataType dt = items[0].dtype();
    ctx.SetOutput(0, Value::Sequence(std::move(items), dt));
  }
};

class SequenceInsertKernel : public OpKernel {
 public:
  explicit SequenceInsertKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    const Value& seq = SequenceInput(ctx, 0);
    const Tensor& t = ctx.Input(1);
    CheckItemType(ctx, seq.sequence_elem_type(), t);
    std::vector<Tensor> items = seq.sequence();
    const int64_t n = static_cast<int64_t>(items.size());
    const int64_t pos = ctx.has_input(2) ? ReadPosition(ctx, 2, n, true) : n;
    items.insert(items.begin() + pos, t);
    ctx.SetOutput(0, Value::Sequence(std::move(items), t.dtype()));
  }
};

class SequenceAtKernel : public OpKernel {
 public:
  explicit SequenceAtKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    const Value& seq = SequenceInput(ctx, 0);
    const int64_t n = static_cast<int64_t>(seq.sequence().size());
    if (n == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot read an item of an empty sequence");
    ctx.SetOutput(0, seq.sequence()[ReadPosition(ctx, 1, n, false)]);
  }
};

class SequenceEraseKernel : public OpKernel {
 public:
  explicit SequenceEraseKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    const Value& seq = SequenceInput(ctx, 0);
    std::vector<Tensor> items = seq.sequence();
    const int64_t n = static_cast<int64_t>(items.size());
    if (n == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot erase from an empty sequence");
    const int64_t pos = ctx.has_input(1) ? ReadPosition(ctx, 1, n, false) : n - 1;
    items.erase(items.begin() + pos);
    ctx.SetOutput(0, Value::Sequence(std::move(items), seq.sequence_elem_type()));
  }
};

class SequenceLengthKernel : public OpKernel {
 public:
  explicit SequenceLengthKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    const Value& seq = SequenceInput(ctx, 0);
    ctx.Output(0, DataType::Int64, {}).data<int64_t>()[0] = static_cast<int64_t>(seq.sequence().size());
  }
};

}  // namespace

void RegisterBasicSequenceKernels(KernelRegistry& r) {
  const auto& types = AllTensorTypes();
  r.Register({kCpuProvider, "", "SequenceEmpty", 11, INT64_MAX, types, MakeFactory<SequenceEmptyKernel>()});
  r.Register({kCpuProvider, "", "SequenceConstruct", 11, INT64_MAX, types, MakeFactory<SequenceConstructKernel>()});
  r.Register({kCpuProvider, "", "SequenceInsert", 11, INT64_MAX, types, MakeFactory<SequenceInsertKernel>()});
  r.Register({kCpuProvider, "", "SequenceAt", 11, INT64_MAX, types, MakeFactory<SequenceAtKernel>()});
  r.Register({kCpuProvider, "", "SequenceErase", 11, INT64_MAX, types, MakeFactory<SequenceEraseKernel>()});
  r.Register({kCpuProvider, "", "SequenceLength", 11, INT64_MAX, types, MakeFactory<SequenceLengthKernel>()});
}

}  // namespace onyx::sequence
