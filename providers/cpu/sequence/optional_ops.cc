// Optional, OptionalHasElement, OptionalGetElement. An optional flows as a plain Value: the
// wrapped tensor or sequence when it holds one, a None Value when it is empty. So wrapping and
// unwrapping pass the value through unchanged.
#include "sequence/sequence_common.h"
#include "tensor/tensor_helpers.h"
#include "cpu_kernels.h"

namespace onyx::sequence {
namespace {

const Value* PresentInput(const KernelContext& ctx, size_t i) {
  const Value* v = i < ctx.num_inputs() ? ctx.InputValue(i) : nullptr;
  return (v && !v->is_none()) ? v : nullptr;
}

class OptionalKernel : public OpKernel {
 public:
  explicit OptionalKernel(const KernelInfo& info) {
    if (!info.has_input(0) && !info.HasAttribute("type"))
      throw info.MakeError(ErrorCode::InvalidGraph, "without an input the 'type' attribute must say the type of the empty optional");
  }
  void Compute(KernelContext& ctx) const override {
    const Value* v = PresentInput(ctx, 0);
    ctx.SetOutput(0, v ? *v : Value());
  }
};

class OptionalHasElementKernel : public OpKernel {
 public:
  explicit OptionalHasElementKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    ctx.Output(0, DataType::Bool, {}).data<bool>()[0] = PresentInput(ctx, 0) != nullptr;
  }
};

class OptionalGetElementKernel : public OpKernel {
 public:
  explicit OptionalGetElementKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    const Value* v = PresentInput(ctx, 0);
    if (!v) throw ctx.MakeError(ErrorCode::InvalidArgument, "the input optional is empty: there is no element to get");
    ctx.SetOutput(0, *v);
  }
};

}  // namespace

void RegisterOptionalKernels(KernelRegistry& r) {
  const auto& types = AllTensorTypes();
  r.Register({kCpuProvider, "", "Optional", 15, INT64_MAX, types, MakeFactory<OptionalKernel>()});
  r.Register({kCpuProvider, "", "OptionalHasElement", 15, INT64_MAX, types, MakeFactory<OptionalHasElementKernel>()});
  r.Register({kCpuProvider, "", "OptionalGetElement", 15, INT64_MAX, types, MakeFactory<OptionalGetElementKernel>()});
}

}  // namespace onyx::sequence
