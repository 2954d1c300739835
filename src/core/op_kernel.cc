#include "core/op_kernel.h"

#include <cstring>

#include "core/execution_provider.h"
#include "core/host_block_cache.h"
#include "core/output_fill.h"

#include "core/kernel_registry.h"

namespace onyx {

namespace {
const Attribute* Typed(const KernelInfo& info, const std::string& name, Attribute::Type type) {
  const Attribute* a = info.node().FindAttribute(name);
  if (!a) return nullptr;
  if (a->type != type)
    throw info.MakeError(ErrorCode::InvalidGraph, std::string("attribute '") + name + "' should be of type " +
                                                      AttributeTypeName(type) + " but is " + AttributeTypeName(a->type));
  return a;
}
}  // namespace

Error KernelInfo::MakeError(ErrorCode code, const std::string& what) const {
  return Error(code, node().Describe() + ": " + what);
}

int64_t KernelInfo::GetInt(const std::string& name, int64_t dflt) const {
  const Attribute* a = Typed(*this, name, Attribute::Type::Int);
  return a ? a->i : dflt;
}
float KernelInfo::GetFloat(const std::string& name, float dflt) const {
  const Attribute* a = Typed(*this, name, Attribute::Type::Float);
  return a ? a->f : dflt;
}
std::string KernelInfo::GetString(const std::string& name, const std::string& dflt) const {
  const Attribute* a = Typed(*this, name, Attribute::Type::String);
  return a ? a->s : dflt;
}
std::vector<int64_t> KernelInfo::GetInts(const std::string& name, std::vector<int64_t> dflt) const {
  const Attribute* a = Typed(*this, name, Attribute::Type::Ints);
  return a ? a->ints : dflt;
}
std::vector<float> KernelInfo::GetFloats(const std::string& name, std::vector<float> dflt) const {
  const Attribute* a = Typed(*this, name, Attribute::Type::Floats);
  return a ? a->floats : dflt;
}
std::vector<std::string> KernelInfo::GetStrings(const std::string& name, std::vector<std::string> dflt) const {
  const Attribute* a = Typed(*this, name, Attribute::Type::Strings);
  return a ? a->strings : dflt;
}
const Tensor* KernelInfo::GetTensor(const std::string& name) const {
  const Attribute* a = Typed(*this, name, Attribute::Type::Tensor);
  return a ? &a->t : nullptr;
}
const Graph* KernelInfo::GetGraph(const std::string& name) const {
  const Attribute* a = Typed(*this, name, Attribute::Type::Graph);
  return a ? a->g.get() : nullptr;
}
int64_t KernelInfo::RequireInt(const std::string& name) const { return Require(name, Attribute::Type::Int).i; }
const Attribute& KernelInfo::Require(const std::string& name, Attribute::Type type) const {
  const Attribute* a = Typed(*this, name, type);
  if (!a) throw MakeError(ErrorCode::InvalidGraph, "required attribute '" + name + "' is missing");
  return *a;
}

Error KernelContext::MakeError(ErrorCode code, const std::string& what) const {
  return Error(code, node().Describe() + ": " + what);
}

const Tensor& KernelContext::Input(size_t i) const {
  const Value* v = i < num_inputs() ? InputValue(i) : nullptr;
  if (!v || v->is_none()) throw MakeError(ErrorCode::InvalidArgument, "input " + std::to_string(i) + " is required but missing");
  if (!v->is_tensor()) throw MakeError(ErrorCode::InvalidArgument, "input " + std::to_string(i) + " ('" + node().inputs[i] + "') should be a tensor");
  return v->tensor();
}

const Tensor* KernelContext::OptionalInput(size_t i) const {
  const Value* v = i < num_inputs() ? InputValue(i) : nullptr;
  if (!v || v->is_none()) return nullptr;
  return &Input(i);
}

Tensor& KernelContext::Output(size_t i, DataType dtype, const std::vector<int64_t>& shape) {
  Tensor& slot = OutputTensorSlot(i);
  const ExecutionProvider* p = provider();
  // The slot may come with a block the session planned for it (a per-run arena); it serves when
  // the kernel asks for the shape that inference predicted.
  if (slot.defined() && slot.on_cpu() && (!p || p->is_cpu()) && slot.dtype() == dtype && slot.shape() == shape) {
    // A block handed over in place (OpKernel::InPlaceInput) still holds its input's values.
    bool holds_input = false;
    for (size_t in = 0; in < num_inputs() && !holds_input; ++in) {
      const Value* v = InputValue(in);
      holds_input = v && v->is_tensor() && v->tensor().raw_data() == slot.raw_data();
    }
    if (!holds_input && slot.nbytes() && dtype != DataType::String)
      FillStorage(slot.raw_data(), slot.nbytes(), KernelOutputFill());
    return slot;
  }
  if (p && !p->is_cpu()) {
    slot = p->Allocate(dtype, shape);
  } else {
    // Large host outputs come from the session's block cache, when it has one.
    ScopedOutputFill fill(KernelOutputFill());  // (see output_fill.h)
    slot = HostTensor(dtype, shape, host_block_cache());
  }
  return slot;
}

void KernelRegistry::Register(KernelDef def) {
  index_[{def.provider, def.domain, def.op_type}].push_back(defs_.size());
  defs_.push_back(std::move(def));
}

const KernelDef* KernelRegistry::Find(const std::string& provider, const std::string& domain,
                                      const std::string& op_type, int64_t opset) const {
  auto it = index_.find({provider, domain == "ai.onnx" ? "" : domain, op_type});
  if (it == index_.end()) return nullptr;
  for (size_t i : it->second) {
    const KernelDef& d = defs_[i];
    if (opset >= d.since_version && opset <= d.end_version) return &d;
  }
  return nullptr;
}

bool KernelRegistry::HasOp(const std::string& domain, const std::string& op_type) const {
  for (const auto& [key, v] : index_)
    if (std::get<1>(key) == domain && std::get<2>(key) == op_type) return true;
  return false;
}

}  // namespace onyx
