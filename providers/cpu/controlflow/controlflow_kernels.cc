// If, Loop and Scan: kernels that run subgraphs. Subgraphs are compiled once with the kernel
// and read outer-scope values through the running frame.
#include <cstring>

#include "cpu_kernels.h"
#include "kernel_utils.h"

namespace onyx {

namespace {

// Stacks equally shaped tensors along a new axis 0.
Tensor Stack(const std::vector<Tensor>& items, const KernelContext& ctx, DataType dt, const std::vector<int64_t>& item_shape) {
  std::vector<int64_t> shape = item_shape;
  shape.insert(shape.begin(), static_cast<int64_t>(items.size()));
  Tensor out(dt, shape);
  const int64_t n = ShapeSize(item_shape);
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].shape() != item_shape || items[i].dtype() != dt)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "scan output changes shape or type between iterations: " +
                                                          ShapeToString(items[i].shape()) + " vs " + ShapeToString(item_shape));
    if (dt == DataType::String) {
      for (int64_t k = 0; k < n; ++k) out.data<std::string>()[i * n + k] = items[i].data<std::string>()[k];
    } else if (items[i].nbytes()) {
      std::memcpy(static_cast<char*>(out.raw_data()) + i * items[i].nbytes(), items[i].raw_data(), items[i].nbytes());
    }
  }
  return out;
}

bool ScalarBool(const Tensor& t, const KernelContext& ctx, const char* what) {
  if (t.size() != 1) throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(what) + " must hold one element, got shape " + ShapeToString(t.shape()));
  if (t.dtype() != DataType::Bool) throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(what) + " must be bool, got " + DataTypeName(t.dtype()));
  return t.data<uint8_t>()[0] != 0;
}

class IfKernel : public OpKernel {
 public:
  explicit IfKernel(const KernelInfo& info) {
    then_ = info.CompileSubgraph(Branch(info, "then_branch"));
    else_ = info.CompileSubgraph(Branch(info, "else_branch"));
  }
  void Compute(KernelContext& ctx) const override {
    const bool cond = ScalarBool(ctx.Input(0), ctx, "the condition");
    const Subgraph& branch = cond ? *then_ : *else_;
    std::vector<Value> outs = branch.Run(ctx, {});
    if (outs.size() != ctx.num_outputs())
      throw ctx.MakeError(ErrorCode::InvalidGraph, std::string(cond ? "then" : "else") + "_branch has " + std::to_string(outs.size()) +
                                                       " outputs but the node has " + std::to_string(ctx.num_outputs()));
    for (size_t i = 0; i < outs.size(); ++i) ctx.SetOutput(i, std::move(outs[i]));
  }

 private:
  static const Graph& Branch(const KernelInfo& info, const char* name) {
    const Graph* g = info.GetGraph(name);
    if (!g) throw info.MakeError(ErrorCode::InvalidGraph, std::string("required graph attribute '") + name + "' is missing");
    return *g;
  }
  std::shared_ptr<Subgraph> then_, else_;
};

class LoopKernel : public OpKernel {
 public:
  explicit LoopKernel(const KernelInfo& info) {
    const Graph* g = info.GetGraph("body");
    if (!g) throw info.MakeError(ErrorCode::InvalidGraph, "required graph attribute 'body' is missing");
    body_ = info.CompileSubgraph(*g);
    num_carried_ = static_cast<int64_t>(info.num_inputs()) - 2;
    if (num_carried_ < 0) throw info.MakeError(ErrorCode::InvalidGraph, "Loop needs at least the M and cond inputs (which may be empty)");
    if (static_cast<int64_t>(g->inputs.size()) != num_carried_ + 2)
      throw info.MakeError(ErrorCode::InvalidGraph, "body has " + std::to_string(g->inputs.size()) + " inputs, expected " + std::to_string(num_carried_ + 2));
    num_scan_ = static_cast<int64_t>(g->outputs.size()) - 1 - num_carried_;
    if (num_scan_ < 0) throw info.MakeError(ErrorCode::InvalidGraph, "body has too few outputs");
  }

  void Compute(KernelContext& ctx) const override {
    int64_t max_trips = INT64_MAX;
    if (const Tensor* m = ctx.OptionalInput(0)) {
      if (m->size() != 1) throw ctx.MakeError(ErrorCode::InvalidArgument, "M must hold one element");
      max_trips = m->dtype() == DataType::Int32 ? m->data<int32_t>()[0] : m->data<int64_t>()[0];
    }
    bool cond = true;
    if (const Tensor* c = ctx.OptionalInput(1)) cond = ScalarBool(*c, ctx, "cond");
    std::vector<Value> carried;
    for (int64_t i = 0; i < num_carried_; ++i) {
      const Value* v = ctx.InputValue(2 + i);
      carried.push_back(v ? *v : Value());
    }
    std::vector<std::vector<Tensor>> scans(num_scan_);
    Tensor iter(DataType::Int64, {}), cond_t(DataType::Bool, {});
    int64_t trip = 0;
    for (; trip < max_trips && cond; ++trip) {
      if (ctx.terminated()) throw ctx.MakeError(ErrorCode::Fail, "terminated");
      Tensor it_now(DataType::Int64, {});
      it_now.data<int64_t>()[0] = trip;
      Tensor c_now(DataType::Bool, {});
      c_now.data<uint8_t>()[0] = cond;
      std::vector<Value> inputs = {Value(it_now), Value(c_now)};
      inputs.insert(inputs.end(), carried.begin(), carried.end());
      std::vector<Value> outs = body_->Run(ctx, inputs);
      cond = ScalarBool(outs.at(0).tensor(), ctx, "the body's condition output");
      for (int64_t i = 0; i < num_carried_; ++i) carried[i] = std::move(outs[1 + i]);
      for (int64_t i = 0; i < num_scan_; ++i) scans[i].push_back(outs[1 + num_carried_ + i].tensor());
    }
    for (int64_t i = 0; i < num_carried_; ++i) ctx.SetOutput(i, carried[i]);
    const Graph& g = body_->graph();
    for (int64_t i = 0; i < num_scan_; ++i) {
      if (!ctx.has_output(num_carried_ + i)) continue;
      if (scans[i].empty()) {
        // No iteration ran: an empty stack with the declared element shape where known.
        const ValueInfo& vi = g.outputs[1 + num_carried_ + i];
        std::vector<int64_t> shape = {0};
        for (const auto& d : vi.shape) shape.push_back(d.is_fixed() ? d.value : 0);
        ctx.SetOutput(num_carried_ + i, Tensor(vi.dtype == DataType::Undefined ? DataType::Float : vi.dtype, shape));
      } else {
        ctx.SetOutput(num_carried_ + i, Stack(scans[i], ctx, scans[i][0].dtype(), scans[i][0].shape()));
      }
    }
  }

 private:
  std::shared_ptr<Subgraph> body_;
  int64_t num_carried_ = 0, num_scan_ = 0;
};

// Copies slice `index` of axis `axis` of t into a new tensor (the axis removed).
Tensor SliceAxis(const Tensor& t, int64_t axis, int64_t index) {
  std::vector<int64_t> shape = t.shape();
  const int64_t len = shape[axis];
  shape.erase(shape.begin() + axis);
  Tensor out(t.dtype(), shape);
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= t.dim(i);
  for (size_t i = axis + 1; i < t.rank(); ++i) inner *= t.dim(i);
  const size_t es = DataTypeSize(t.dtype());
  for (int64_t o = 0; o < outer; ++o) {
    const int64_t src = (o * len + index) * inner, dst = o * inner;
    if (t.dtype() == DataType::String) {
      for (int64_t k = 0; k < inner; ++k) out.data<std::string>()[dst + k] = t.data<std::string>()[src + k];
    } else {
      std::memcpy(static_cast<char*>(out.raw_data()) + dst * es, static_cast<const char*>(t.raw_data()) + src * es, inner * es);
    }
  }
  return out;
}

// Moves axis 0 of a stacked tensor to position `axis`.
Tensor MoveAxis0(const Tensor& t, int64_t axis) {
  if (axis == 0) return t;
  std::vector<int64_t> shape = t.shape();
  const int64_t n = shape[0];
  shape.erase(shape.begin());
  std::vector<Tensor> items;
  for (int64_t i = 0; i < n; ++i) items.push_back(SliceAxis(t, 0, i));
  std::vector<int64_t> out_shape = shape;
  out_shape.insert(out_shape.begin() + axis, n);
  Tensor out(t.dtype(), out_shape);
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= shape[i];
  for (size_t i = axis; i < shape.size(); ++i) inner *= shape[i];
  const size_t es = DataTypeSize(t.dtype());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < n; ++i) {
      if (t.dtype() == DataType::String) {
        for (int64_t k = 0; k < inner; ++k) out.data<std::string>()[(o * n + i) * inner + k] = items[i].data<std::string>()[o * inner + k];
      } else {
        std::memcpy(static_cast<char*>(out.raw_data()) + ((o * n + i) * inner) * es,
                    static_cast<const char*>(items[i].raw_data()) + o * inner * es, inner * es);
      }
    }
  return out;
}

// Scan. Opset 9+ scans along chosen axes; opset 8 has a leading batch axis on every state and
// scan input (and an optional sequence_lens input), handled by running the opset-9 loop per
// batch item.
class ScanKernel : public OpKernel {
 public:
  explicit ScanKernel(const KernelInfo& info) : batched_(info.opset() < 9) {
    const Graph* g = info.GetGraph("body");
    if (!g) throw info.MakeError(ErrorCode::InvalidGraph, "required graph attribute 'body' is missing");
    body_ = info.CompileSubgraph(*g);
    num_scan_in_ = info.RequireInt("num_scan_inputs");
    num_state_ = static_cast<int64_t>(info.num_inputs()) - num_scan_in_ - (batched_ ? 1 : 0);
    num_scan_out_ = static_cast<int64_t>(info.num_outputs()) - num_state_;
    if (num_state_ < 0 || num_scan_out_ < 0) throw info.MakeError(ErrorCode::InvalidGraph, "inconsistent numbers of scan inputs and outputs");
    in_dirs_ = info.GetInts(batched_ ? "directions" : "scan_input_directions", std::vector<int64_t>(num_scan_in_, 0));
    out_dirs_ = info.GetInts("scan_output_directions", std::vector<int64_t>(num_scan_out_, 0));
    in_axes_ = info.GetInts("scan_input_axes", std::vector<int64_t>(num_scan_in_, 0));
    out_axes_ = info.GetInts("scan_output_axes", std::vector<int64_t>(num_scan_out_, 0));
    if (static_cast<int64_t>(in_dirs_.size()) != num_scan_in_ || static_cast<int64_t>(in_axes_.size()) != num_scan_in_ ||
        static_cast<int64_t>(out_dirs_.size()) != num_scan_out_ || static_cast<int64_t>(out_axes_.size()) != num_scan_out_)
      throw info.MakeError(ErrorCode::InvalidGraph, "scan direction/axis attributes have the wrong length");
  }

  void Compute(KernelContext& ctx) const override {
    if (!batched_) {
      std::vector<Value> state;
      std::vector<Tensor> scan_in;
      for (int64_t i = 0; i < num_state_; ++i) state.push_back(ctx.Input(i));
      for (int64_t j = 0; j < num_scan_in_; ++j) scan_in.push_back(ctx.Input(num_state_ + j));
      std::vector<Tensor> scan_out = Loop(ctx, state, scan_in);
      for (int64_t i = 0; i < num_state_; ++i) ctx.SetOutput(i, state[i]);
      for (int64_t k = 0; k < num_scan_out_; ++k)
        if (ctx.has_output(num_state_ + k)) ctx.SetOutput(num_state_ + k, scan_out[k]);
      return;
    }
    const int64_t first = 1;  // input 0 is sequence_lens
    if (num_state_ + num_scan_in_ == 0) throw ctx.MakeError(ErrorCode::InvalidGraph, "Scan has no inputs");
    const Tensor& any = ctx.Input(first);
    const int64_t batch = any.rank() ? any.dim(0) : 0;
    for (int64_t i = 0; i < num_state_ + num_scan_in_; ++i) {
      const Tensor& t = ctx.Input(first + i);
      if (t.rank() == 0 || t.dim(0) != batch)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "every Scan-8 input should have the batch dim " + std::to_string(batch) +
                                                            " first, input " + std::to_string(first + i) + " has shape " +
                                                            ShapeToString(t.shape()));
    }
    if (const Tensor* lens = ctx.OptionalInput(0)) {
      std::vector<int64_t> l = ReadInt64s(*lens, ctx);
      for (int64_t j = 0; j < num_scan_in_; ++j) {
        const Tensor& t = ctx.Input(first + num_state_ + j);
        for (int64_t v : l)
          if (t.rank() < 2 || v != t.dim(1))
            throw ctx.MakeError(ErrorCode::NotImplemented, "Scan-8 with sequence_lens shorter than the sequence is not supported");
      }
    }
    std::vector<std::vector<Tensor>> states(num_state_), scans(num_scan_out_);
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<Value> state;
      std::vector<Tensor> scan_in;
      for (int64_t i = 0; i < num_state_; ++i) state.push_back(SliceAxis(ctx.Input(first + i), 0, b));
      for (int64_t j = 0; j < num_scan_in_; ++j) scan_in.push_back(SliceAxis(ctx.Input(first + num_state_ + j), 0, b));
      std::vector<Tensor> scan_out = Loop(ctx, state, scan_in);
      for (int64_t i = 0; i < num_state_; ++i) states[i].push_back(state[i].tensor());
      for (int64_t k = 0; k < num_scan_out_; ++k) scans[k].push_back(scan_out[k]);
    }
    if (batch == 0) throw ctx.MakeError(ErrorCode::NotImplemented, "Scan-8 over an empty batch");
    for (int64_t i = 0; i < num_state_; ++i) ctx.SetOutput(i, Stack(states[i], ctx, states[i][0].dtype(), states[i][0].shape()));
    for (int64_t k = 0; k < num_scan_out_; ++k)
      if (ctx.has_output(num_state_ + k)) ctx.SetOutput(num_state_ + k, Stack(scans[k], ctx, scans[k][0].dtype(), scans[k][0].shape()));
  }

 private:
  // Runs the body over the scan inputs; updates `state` to the final state and returns the
  // stacked scan outputs.
  std::vector<Tensor> Loop(KernelContext& ctx, std::vector<Value>& state, const std::vector<Tensor>& scan_in) const {
    int64_t steps = -1;
    std::vector<int64_t> axes(num_scan_in_);
    for (int64_t j = 0; j < num_scan_in_; ++j) {
      const Tensor& t = scan_in[j];
      if (t.rank() == 0)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "scan input " + std::to_string(j) + " is a scalar; it needs an axis to scan");
      axes[j] = NormalizeAxis(in_axes_[j], static_cast<int64_t>(t.rank()), ctx);
      int64_t len = t.dim(axes[j]);
      if (steps >= 0 && len != steps)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "scan inputs have different lengths: " + std::to_string(steps) + " and " + std::to_string(len));
      steps = len;
    }
    if (steps < 0) steps = 0;
    std::vector<std::vector<Tensor>> outs(num_scan_out_);
    for (int64_t s = 0; s < steps; ++s) {
      std::vector<Value> inputs = state;
      for (int64_t j = 0; j < num_scan_in_; ++j) inputs.push_back(SliceAxis(scan_in[j], axes[j], in_dirs_[j] ? steps - 1 - s : s));
      std::vector<Value> res = body_->Run(ctx, inputs);
      for (int64_t i = 0; i < num_state_; ++i) state[i] = res.at(i);
      for (int64_t k = 0; k < num_scan_out_; ++k) outs[k].push_back(res.at(num_state_ + k).tensor());
    }
    std::vector<Tensor> result;
    for (int64_t k = 0; k < num_scan_out_; ++k) {
      if (outs[k].empty()) throw ctx.MakeError(ErrorCode::NotImplemented, "scan over zero steps");
      if (out_dirs_[k]) std::reverse(outs[k].begin(), outs[k].end());
      Tensor stacked = Stack(outs[k], ctx, outs[k][0].dtype(), outs[k][0].shape());
      int64_t axis = NormalizeAxis(out_axes_[k], static_cast<int64_t>(stacked.rank()), ctx);
      result.push_back(MoveAxis0(stacked, axis));
    }
    return result;
  }

  std::shared_ptr<Subgraph> body_;
  bool batched_;
  int64_t num_scan_in_ = 0, num_state_ = 0, num_scan_out_ = 0;
  std::vector<int64_t> in_dirs_, out_dirs_, in_axes_, out_axes_;
};

}  // namespace

void RegisterControlFlowKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "", "If", 1, INT64_MAX, {DataType::Bool}, MakeFactory<IfKernel>()});
  r.Register({kCpuProvider, "", "Loop", 1, INT64_MAX, {DataType::Int64, DataType::Bool}, MakeFactory<LoopKernel>()});
  r.Register({kCpuProvider, "", "Scan", 8, INT64_MAX, AllNumericTypes(), MakeFactory<ScanKernel>()});
}

}  // namespace onyx
