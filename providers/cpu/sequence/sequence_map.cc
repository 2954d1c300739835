// SequenceMap: runs the body once per position of the input sequence. Sequence inputs give the
// body their item at that position; tensor inputs are passed whole to every run. Output k
// collects body output k of every run.
#include "sequence/sequence_common.h"
#include "tensor/tensor_helpers.h"
#include "cpu_kernels.h"

namespace onyx::sequence {
namespace {

class SequenceMapKernel : public OpKernel {
 public:
  explicit SequenceMapKernel(const KernelInfo& info) {
    const Graph* g = info.GetGraph("body");
    if (!g) throw info.MakeError(ErrorCode::InvalidGraph, "required graph attribute 'body' is missing");
    if (g->inputs.size() != info.num_inputs())
      throw info.MakeError(ErrorCode::InvalidGraph, "body has " + std::to_string(g->inputs.size()) + " inputs but the node has " +
                                                        std::to_string(info.num_inputs()));
    if (g->outputs.size() != info.num_outputs())
      throw info.MakeError(ErrorCode::InvalidGraph, "body has " + std::to_string(g->outputs.size()) + " outputs but the node has " +
                                                        std::to_string(info.num_outputs()));
    body_ = info.CompileSubgraph(*g);
  }

  void Compute(KernelContext& ctx) const override {
    const size_t n = SequenceInput(ctx, 0).sequence().size();
    std::vector<const Value*> ins(ctx.num_inputs());
    for (size_t i = 0; i < ins.size(); ++i) {
      ins[i] = ctx.InputValue(i);
      if (!ins[i] || ins[i]->is_none()) throw ctx.MakeError(ErrorCode::InvalidArgument, "input " + std::to_string(i) + " is missing");
      if (ins[i]->is_sequence() && ins[i]->sequence().size() != n)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "input sequence " + std::to_string(i) + " has " + std::to_string(ins[i]->sequence().size()) +
                                                            " items but input 0 has " + std::to_string(n));
    }
    const Graph& g = body_->graph();
    std::vector<std::vector<Tensor>> outs(g.outputs.size());
    for (size_t j = 0; j < n; ++j) {
      if (ctx.terminated()) throw ctx.MakeError(ErrorCode::Fail, "terminated");
      std::vector<Value> args;
      args.reserve(ins.size());
      for (const Value* v : ins) args.push_back(v->is_sequence() ? Value(v->sequence()[j]) : *v);
      std::vector<Value> res = body_->Run(ctx, args);
      if (res.size() != outs.size())
        throw ctx.MakeError(ErrorCode::InvalidGraph, "body returned " + std::to_string(res.size()) + " values, expected " + std::to_string(outs.size()));
      for (size_t k = 0; k < res.size(); ++k) {
        if (!res[k].is_tensor()) throw ctx.MakeError(ErrorCode::InvalidArgument, "body output " + std::to_string(k) + " is not a tensor");
        outs[k].push_back(res[k].tensor());
      }
    }
    for (size_t k = 0; k < outs.size(); ++k) {
      if (!ctx.has_output(k)) continue;
      const DataType dt = outs[k].empty() ? g.outputs[k].dtype : outs[k][0].dtype();
      ctx.SetOutput(k, Value::Sequence(std::move(outs[k]), dt));
    }
  }

 private:
  std::shared_ptr<Subgraph> body_;
};

}  // namespace

void RegisterSequenceMapKernel(KernelRegistry& r) {
  r.Register({kCpuProvider, "", "SequenceMap", 17, INT64_MAX, AllTensorTypes(), MakeFactory<SequenceMapKernel>()});
}

}  // namespace onyx::sequence
