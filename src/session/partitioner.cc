#include "session/partitioner.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "onyx/error.h"

namespace onyx {

namespace {

struct ValueType {
  DataType dtype = DataType::Undefined;
  bool tensor = true;
};

bool IsIndexType(DataType t) { return t == DataType::Int64 || t == DataType::Int32; }

bool HasSubgraph(const Node& n) {
  for (const auto& [name, a] : n.attributes)
    if (a.g || !a.graphs.empty()) return true;
  return false;
}

std::string NodeLabel(const Node& n, size_t index) {
  return n.name.empty() ? n.op_type + " #" + std::to_string(index) : n.name;
}

}  // namespace

bool ReadsMetadataOnly(const Node& n) { return n.domain.empty() && (n.op_type == "Shape" || n.op_type == "Size"); }

std::string Placement::Summary() const {
  std::map<std::string, int> per_provider;
  std::vector<std::string> order;
  for (const auto& e : nodes) {
    if (!per_provider.count(e.provider)) order.push_back(e.provider);
    ++per_provider[e.provider];
  }
  std::string s;
  for (const auto& p : order) s += (s.empty() ? "" : ", ") + p + ": " + std::to_string(per_provider[p]) + " nodes";
  if (copies) s += ", " + std::to_string(copies) + " copies";
  const std::string fallback = FallbackOps();
  if (!fallback.empty()) s += "; on the CPU for lack of a device kernel: " + fallback;
  return s;
}

std::string Placement::FallbackOps() const {
  std::map<std::string, int> ops;
  for (const auto& e : nodes)
    if (!e.reason.empty() && e.reason != kShapeComputation) ++ops[e.op_type];
  std::string s;
  for (const auto& [op, n] : ops) s += (s.empty() ? "" : ", ") + op + (n > 1 ? " x" + std::to_string(n) : "");
  return s;
}

Placement PartitionGraph(Graph& g, const std::vector<const ExecutionProvider*>& providers, const PartitionOptions& options) {
  Placement placement;
  const ExecutionProvider* cpu = nullptr;
  bool any_device = false;
  for (const auto* p : providers) {
    if (p->is_cpu() && !cpu) cpu = p;
    if (!p->is_cpu()) any_device = true;
  }
  if (!cpu) throw Error(ErrorCode::InvalidArgument, "the CPU execution provider must be among the session's providers");

  std::unordered_map<std::string, ValueType> types;
  auto note = [&](const ValueInfo& vi) {
    types[vi.name] = ValueType{vi.dtype, vi.kind == ValueInfo::Kind::Tensor};
  };
  for (const auto& vi : g.inputs) note(vi);
  for (const auto& vi : g.value_info) note(vi);
  for (const auto& vi : g.outputs) note(vi);
  for (const auto& [name, t] : g.initializers) types[name] = ValueType{t.dtype(), true};

  // Values that subgraphs read from this scope must be on the host: subgraphs run on the CPU.
  std::set<std::string> host_required;
  for (const auto& n : g.nodes)
    for (const auto& [an, a] : n.attributes) {
      std::vector<std::shared_ptr<Graph>> subs = a.graphs;
      if (a.g) subs.push_back(a.g);
      for (const auto& sg : subs)
        for (const auto& name : sg->OuterScopeReads()) host_required.insert(name);
    }

  // Where each value lives once produced: the provider that produces it (nullptr = host).
  std::unordered_map<std::string, const ExecutionProvider*> location;
  std::vector<const KernelDef*> defs(g.nodes.size(), nullptr);
  std::string refused;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& n = g.nodes[i];
    const ExecutionProvider* chosen = nullptr;
    std::string reason;
    if (any_device) {
      NodeOperandTypes ot;
      bool inputs_on_host = true;
      for (const auto& in : n.inputs) {
        auto it = in.empty() ? types.end() : types.find(in);
        ot.inputs.push_back(it == types.end() ? DataType::Undefined : it->second.dtype);
        if (it != types.end() && !it->second.tensor) ot.all_tensors = false;
        if (!in.empty() && location.count(in) && location[in]) inputs_on_host = false;
      }
      bool index_outputs = !n.outputs.empty();
      bool host_output = false;
      for (const auto& out : n.outputs) {
        auto it = out.empty() ? types.end() : types.find(out);
        ot.outputs.push_back(it == types.end() ? DataType::Undefined : it->second.dtype);
        if (it != types.end() && !it->second.tensor) ot.all_tensors = false;
        if (!out.empty() && !IsIndexType(ot.outputs.back())) index_outputs = false;
        if (host_required.count(out)) host_output = true;
      }
      if (HasSubgraph(n)) {
        reason = "has subgraphs";
      } else if (host_output) {
        reason = "a subgraph reads its output";
      } else if (ReadsMetadataOnly(n) || (inputs_on_host && index_outputs && !n.inputs.empty())) {
        reason = kShapeComputation;
      } else {
        for (const auto* p : providers) {
          if (p->is_cpu()) continue;
          const KernelDef* def = p->registry().Find(p->name(), n.domain, n.op_type, n.opset);
          if (def && p->Claims(n, *def, ot)) {
            chosen = p;
            defs[i] = def;
            break;
          }
        }
        if (!chosen) reason = "no device kernel for these types";
      }
    }
    if (!chosen) chosen = cpu;
    if (!chosen->is_cpu()) reason.clear();
    if (options.disable_cpu_fallback && !reason.empty() && reason != kShapeComputation)
      refused += (refused.empty() ? "" : ", ") + n.Describe() + " (" + reason + ")";
    n.provider = chosen->name();
    for (const auto& out : n.outputs)
      if (!out.empty()) location[out] = chosen->is_cpu() ? nullptr : chosen;
    placement.nodes.push_back({NodeLabel(n, i), n.op_type, n.provider, reason});
  }
  if (!refused.empty())
    throw Error(ErrorCode::Fail, "CPU fallback is disabled, but these nodes cannot run on the requested device providers: " + refused);
  if (!any_device) return placement;

  // Device copies. Graph outputs produced on a device are renamed, and a copy to the host takes
  // the original name.
  std::map<std::pair<std::string, const ExecutionProvider*>, std::string> copies;  // (value, target) -> name
  std::map<std::string, Node> output_copies;  // renamed device value -> its copy to the host
  auto add_type = [&](const std::string& from, const std::string& to) {
    auto it = types.find(from);
    ValueInfo vi;
    vi.name = to;
    if (it != types.end()) vi.dtype = it->second.dtype;
    for (const auto& v : g.value_info)
      if (v.name == from) vi = v, vi.name = to;
    g.value_info.push_back(vi);
    types[to] = it == types.end() ? ValueType{} : it->second;
  };
  auto copy_node = [&](const std::string& in, const std::string& out, const ExecutionProvider* device, bool to_host) {
    Node c;
    c.op_type = to_host ? "MemcpyToHost" : "MemcpyFromHost";
    c.domain = kOnyxInternalDomain;
    c.name = c.op_type + "_" + out;
    c.inputs = {in};
    c.outputs = {out};
    c.opset = 1;
    c.provider = device->name();
    ++placement.copies;
    return c;
  };
  for (const auto& out : g.outputs) {
    auto it = location.find(out.name);
    if (it == location.end() || !it->second) continue;
    const ExecutionProvider* dev = it->second;
    const std::string renamed = out.name + "@" + dev->device().ToString();
    for (auto& n : g.nodes) {
      for (auto& o : n.outputs)
        if (o == out.name) o = renamed;
      for (auto& in : n.inputs)
        if (in == out.name) in = renamed;
    }
    add_type(out.name, renamed);
    location[renamed] = dev;
    location[out.name] = nullptr;
    copies[{renamed, nullptr}] = out.name;
    Node c = copy_node(renamed, out.name, dev, true);
    Attribute flag;
    flag.type = Attribute::Type::Int;
    flag.i = 1;
    c.attributes["graph_output"] = flag;  // io binding may keep it on the device
    output_copies.emplace(renamed, std::move(c));
  }

  std::vector<Node> nodes;
  std::vector<std::string> reasons;
  nodes.reserve(g.nodes.size() * 2);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& n = g.nodes[i];
    const ExecutionProvider* target_dev = nullptr;
    for (const auto* p : providers)
      if (p->name() == n.provider && !p->is_cpu()) target_dev = p;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      std::string& in = n.inputs[k];
      if (in.empty()) continue;
      const ExecutionProvider* have = location.count(in) ? location[in] : nullptr;
      const ExecutionProvider* want = target_dev;
      if (target_dev && defs[i] && defs[i]->ReadsOnHost(k)) want = nullptr;
      if (!target_dev && ReadsMetadataOnly(n)) want = have;
      if (have == want) continue;
      auto route = [&](const std::string& value, const ExecutionProvider* from, const ExecutionProvider* to) {
        auto key = std::make_pair(value, to);
        auto found = copies.find(key);
        if (found != copies.end()) return found->second;
        std::string name = value + "@" + (to ? to->device().ToString() : "cpu");
        add_type(value, name);
        nodes.push_back(copy_node(value, name, to ? to : from, to == nullptr));
        reasons.emplace_back();
        location[name] = to;
        copies[key] = name;
        return name;
      };
      std::string v = in;
      if (have) v = route(v, have, nullptr);
      if (want) v = route(v, nullptr, want);
      in = v;
    }
    std::vector<std::string> outs = n.outputs;
    nodes.push_back(std::move(n));
    reasons.push_back(placement.nodes[i].reason);
    for (const auto& o : outs) {
      auto it = output_copies.find(o);
      if (it == output_copies.end()) continue;
      nodes.push_back(std::move(it->second));
      reasons.emplace_back();
    }
  }
  g.nodes = std::move(nodes);

  placement.nodes.clear();
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    placement.nodes.push_back({NodeLabel(n, i), n.op_type, n.provider, reasons[i]});
  }
  return placement;
}

}  // namespace onyx
