// ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum,
// ReduceLogSumExp and ReduceSumSquare over any axes, float and float16 (accumulated in float).
// The axes are planned exactly as on the CPU (reduction/reduce_plan.h): output groups x
// reduced elements x `inner` contiguous outputs; the device picks a warp or a block per output
// when inner == 1, and column tiles otherwise.
#include <algorithm>

#include "cuda_common.h"
#include "cuda_reduction.h"
#include "reduce_impl.h"
#include "reduction/reduce_plan.h"

namespace onyx::cuda {
namespace {

template <ReduceKind K>
class ReduceKernel final : public CudaKernel {
 public:
  explicit ReduceKernel(const KernelInfo& info)
      : CudaKernel(info),
        keepdims_(info.GetInt("keepdims", 1) != 0),
        noop_with_empty_axes_(info.GetInt("noop_with_empty_axes", 0) != 0),
        axes_from_input_(K == ReduceKind::Sum ? info.opset() >= 13 : info.opset() >= 18),
        axes_(info.GetInts("axes")) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    if (x.dtype() != DataType::Float && x.dtype() != DataType::Float16)
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(x.dtype()) +
                                                         " is not supported by the CUDA reduction kernels");
    std::vector<int64_t> axes = axes_;
    if (axes_from_input_) {
      axes.clear();
      if (const Tensor* a = ctx.OptionalInput(1)) axes = ReadInt64s(*a, ctx);
    }
    const int64_t rank = static_cast<int64_t>(x.rank());
    // No axes: reduce everything, or (noop_with_empty_axes) nothing, which still applies the
    // per-element part of the op (|x| for ReduceL1...), as the CPU kernel does.
    std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty() && !noop_with_empty_axes_);
    for (int64_t a : axes) {
      if (a < -rank || a >= std::max<int64_t>(rank, 1))
        throw ctx.MakeError(ErrorCode::InvalidArgument, "axis " + std::to_string(a) + " is out of range for input of shape " +
                                                            ShapeToString(x.shape()));
      if (rank > 0) reduced[a < 0 ? a + rank : a] = true;
    }
    const ReducePlan plan = MakeReducePlan(x.shape(), reduced, keepdims_);
    Tensor& y = ctx.Output(0, x.dtype(), plan.out_shape);
    if (plan.out_count == 0) return;
    if (plan.kept.size() > static_cast<size_t>(kMaxReduceDims) || plan.reduced.size() > static_cast<size_t>(kMaxReduceDims))
      throw ctx.MakeError(ErrorCode::NotImplemented, "the CUDA reduction takes at most " + std::to_string(kMaxReduceDims) +
                                                         " separate runs of kept or reduced axes, input shape " + ShapeToString(x.shape()));
    ReduceArgs args;
    args.kept_rank = static_cast<int>(plan.kept.size());
    for (size_t d = 0; d < plan.kept.size(); ++d) {
      args.kept_size[d] = plan.kept[d].size;
      args.kept_stride[d] = plan.kept[d].stride;
    }
    args.reduced_rank = static_cast<int>(plan.reduced.size());
    for (size_t d = 0; d < plan.reduced.size(); ++d) {
      args.reduced_size[d] = plan.reduced[d].size;
      args.reduced_stride[d] = plan.reduced[d].stride;
    }
    args.groups = plan.groups();
    args.reduce_count = plan.reduce_count;
    args.inner = plan.inner;
    LaunchReduce(K, x.dtype() == DataType::Float16, x.raw_data(), y.raw_data(), args, stream());
    CheckLaunch("reduction kernel");
  }

 private:
  bool keepdims_, noop_with_empty_axes_, axes_from_input_;
  std::vector<int64_t> axes_;
};

template <ReduceKind K>
void RegisterReduce(KernelRegistry& r, const char* name) {
  // Axes are an attribute up to opset 17 (12 for ReduceSum) and a host input since.
  const int64_t input_axes_since = K == ReduceKind::Sum ? 13 : 18;
  std::vector<std::pair<int64_t, int64_t>> ranges = {{1, 10}, {11, 12}};
  if (K == ReduceKind::Sum) {
    ranges.push_back({13, INT64_MAX});
  } else {
    ranges.push_back({13, 17});
    ranges.push_back({18, INT64_MAX});
  }
  for (auto [since, end] : ranges) {
    std::vector<int> host = since >= input_axes_since ? std::vector<int>{1} : std::vector<int>{};
    r.Register(CudaDef<ReduceKernel<K>>(name, since, end, FloatTypes(), host));
  }
}

}  // namespace

void RegisterCudaReduceKernels(KernelRegistry& r) {
  RegisterReduce<ReduceKind::Sum>(r, "ReduceSum");
  RegisterReduce<ReduceKind::Mean>(r, "ReduceMean");
  RegisterReduce<ReduceKind::Max>(r, "ReduceMax");
  RegisterReduce<ReduceKind::Min>(r, "ReduceMin");
  RegisterReduce<ReduceKind::Prod>(r, "ReduceProd");
  RegisterReduce<ReduceKind::L1>(r, "ReduceL1");
  RegisterReduce<ReduceKind::L2>(r, "ReduceL2");
  RegisterReduce<ReduceKind::LogSum>(r, "ReduceLogSum");
  RegisterReduce<ReduceKind::LogSumExp>(r, "ReduceLogSumExp");
  RegisterReduce<ReduceKind::SumSquare>(r, "ReduceSumSquare");
}

}  // namespace onyx::cuda
