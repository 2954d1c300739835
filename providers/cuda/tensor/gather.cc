// Gather along one axis. The indices are a host input: every index is checked on the host
// exactly as the CPU kernel does (same error for an out-of-range index, no device-side fault
// and no device-to-host sync), then the raw values go to the device, where negative ones wrap.
// Constant indices (initializers) are uploaded once, when the kernel is created.
#include <algorithm>

#include "copy_impl.h"
#include "cuda_tensor.h"
#include "tensor/tensor_helpers.h"
#include "tensor/tensor_shapes.h"

namespace onyx::cuda {
namespace {

class GatherKernel final : public CudaKernel {
 public:
  explicit GatherKernel(const KernelInfo& info) : CudaKernel(info), axis_(info.GetInt("axis", 0)) {
    const Tensor* c = info.ConstantInput(1);
    if (c && c->on_cpu() && (c->dtype() == DataType::Int64 || c->dtype() == DataType::Int32)) {
      const_indices_.resize(static_cast<size_t>(c->size()));
      for (int64_t i = 0; i < c->size(); ++i)
        const_indices_[i] = c->dtype() == DataType::Int64 ? c->data<int64_t>()[i] : c->data<int32_t>()[i];
      if (!const_indices_.empty()) {
        Tensor host = Tensor::Copy(DataType::Int64, {c->size()}, const_indices_.data());
        device_indices_ = cuda().Allocate(DataType::Int64, {c->size()});
        cuda().Copy(host, device_indices_);
      }
      has_const_ = true;
    }
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& data = ctx.Input(0);
    const Tensor& indices = ctx.Input(1);
    const int64_t rank = static_cast<int64_t>(data.rank());
    const int64_t axis = GatherAxis(axis_, rank, ctx);
    const std::vector<int64_t> idx = has_const_ ? const_indices_ : ReadIndices(indices, ctx, "indices");
    const int64_t dim = data.dim(axis);
    for (int64_t i : idx) CheckedIndex(i, dim, ctx, "Gather");
    Tensor& y = ctx.Output(0, data.dtype(), GatherOutputShape(data.shape(), indices.shape(), axis));
    if (y.size() == 0) return;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= data.dim(i);
    for (int64_t i = axis + 1; i < rank; ++i) inner *= data.dim(i);
    const int64_t n = static_cast<int64_t>(idx.size());

    const int64_t* device_idx = nullptr;
    std::shared_ptr<void> scratch;  // released once the kernel is queued: the allocator is stream-ordered
    if (has_const_) {
      device_idx = device_indices_.data<int64_t>();
    } else {
      scratch = cuda().Scratch(static_cast<size_t>(n) * sizeof(int64_t));
      // From pageable memory the copy returns once the bytes are staged, so idx may go away.
      CheckCuda(cudaMemcpyAsync(scratch.get(), idx.data(), static_cast<size_t>(n) * sizeof(int64_t), cudaMemcpyHostToDevice,
                                stream()),
                "cudaMemcpyAsync (Gather indices)");
      device_idx = static_cast<const int64_t*>(scratch.get());
    }
    const size_t e = DataTypeSize(data.dtype());
    const int unit = WidestUnit(e, {static_cast<uint64_t>(inner) * e, reinterpret_cast<uintptr_t>(y.raw_data()),
                                    reinterpret_cast<uintptr_t>(data.raw_data())});
    const int64_t k = unit / static_cast<int64_t>(e);
    LaunchGather(unit, y.raw_data(), data.raw_data(), device_idx, outer, n, dim, inner / k, stream());
    CheckLaunch("Gather kernel");
  }

 private:
  int64_t axis_;
  bool has_const_ = false;
  std::vector<int64_t> const_indices_;
  Tensor device_indices_;
};

bool GatherSupported(const Node&, const NodeOperandTypes& t) {
  if (t.inputs.size() < 2) return false;
  const auto& types = DataMovementTypes();
  return std::find(types.begin(), types.end(), t.inputs[0]) != types.end() &&
         (t.inputs[1] == DataType::Int64 || t.inputs[1] == DataType::Int32);
}

}  // namespace

void RegisterCudaGatherKernels(KernelRegistry& r) {
  for (auto [since, end] : {std::pair<int64_t, int64_t>{1, 10}, {11, 12}, {13, INT64_MAX}}) {
    KernelDef d = CudaDef<GatherKernel>("Gather", since, end, DataMovementTypes(), {1});
    d.supports = GatherSupported;
    r.Register(std::move(d));
  }
}

}  // namespace onyx::cuda
