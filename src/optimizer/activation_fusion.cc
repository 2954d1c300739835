#include "optimizer/activation_fusion.h"

#include <limits>

namespace onyx {

namespace {

constexpr const char* kMsDomain = "com.microsoft";

// A float attribute, its default when absent; false when present with another type.
bool FloatAttr(const Node& n, const char* name, float dflt, float* out) {
  const Attribute* a = n.FindAttribute(name);
  if (!a) {
    *out = dflt;
    return true;
  }
  if (a->type != Attribute::Type::Float) return false;
  *out = a->f;
  return true;
}

// Clip's bound input i: absent (the default) or a constant one-element float tensor.
bool ClipBound(const Graph& g, const Node& clip, size_t i, float dflt, float* out) {
  if (i >= clip.inputs.size() || clip.inputs[i].empty()) {
    *out = dflt;
    return true;
  }
  const Tensor* t = ConstantTensor(g, clip.inputs[i]);
  if (!t || t->dtype() != DataType::Float || t->size() != 1) return false;
  *out = t->data<float>()[0];
  return true;
}

}  // namespace

std::optional<MatchedActivation> MatchActivation(const Graph& g, const Node& act, const std::string& x, bool allow_clip) {
  if (!act.domain.empty() || act.inputs.empty() || act.inputs[0] != x || act.outputs.size() != 1 || act.outputs[0].empty())
    return std::nullopt;
  MatchedActivation m;
  m.op = act.op_type;
  if (m.op == "Relu" || m.op == "Sigmoid" || m.op == "Tanh") {
    if (act.inputs.size() != 1) return std::nullopt;
    return m;
  }
  if (m.op == "LeakyRelu") {
    float alpha;
    if (act.inputs.size() != 1 || !FloatAttr(act, "alpha", 0.01f, &alpha)) return std::nullopt;
    m.params = {alpha};
    return m;
  }
  if (m.op == "HardSigmoid") {
    float alpha, beta;
    if (act.inputs.size() != 1 || !FloatAttr(act, "alpha", 0.2f, &alpha) || !FloatAttr(act, "beta", 0.5f, &beta))
      return std::nullopt;
    m.params = {alpha, beta};
    return m;
  }
  if (m.op == "Clip" && allow_clip) {
    float lo, hi;
    if (act.opset < 11) {
      // The defaults of the standalone kernel.
      if (act.inputs.size() != 1 || !FloatAttr(act, "min", -std::numeric_limits<float>::max(), &lo) ||
          !FloatAttr(act, "max", std::numeric_limits<float>::max(), &hi))
        return std::nullopt;
    } else if (act.inputs.size() > 3 || !ClipBound(g, act, 1, std::numeric_limits<float>::lowest(), &lo) ||
               !ClipBound(g, act, 2, std::numeric_limits<float>::max(), &hi)) {
      return std::nullopt;
    }
    m.params = {lo, hi};
    return m;
  }
  return std::nullopt;
}

bool ProvidersRunFused(const OptimizerContext& ctx, const Node& original, const std::string& fused) {
  if (!ctx.registry) return false;
  const std::vector<std::string> providers = ctx.providers.empty() ? std::vector<std::string>{ctx.provider} : ctx.providers;
  for (const auto& p : providers) {
    if (!ctx.registry->Find(p, original.domain, original.op_type, original.opset)) continue;
    if (!ctx.registry->Find(p, kMsDomain, fused, 1)) return false;
  }
  return true;
}

int64_t ImportMicrosoftDomain(Graph& g) {
  auto it = g.opsets.find(kMsDomain);
  if (it != g.opsets.end()) return it->second;
  g.opsets[kMsDomain] = 1;
  return 1;
}

bool FuseWithActivation(Graph& g, const ActivationFuser& fuse) {
  const GraphIndex ix = GraphIndex::Of(g);
  // The reader of each value read by exactly one node input.
  std::unordered_map<std::string, size_t> reader;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (const auto& in : g.nodes[i].inputs)
      if (!in.empty()) reader[in] = i;
  std::vector<bool> removed(g.nodes.size(), false);
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (removed[i]) continue;
    const Node& producer = g.nodes[i];
    if (producer.outputs.size() != 1 || producer.outputs[0].empty()) continue;
    const std::string& y = producer.outputs[0];
    if (!ix.SingleReader(y) || !ix.Internal(y)) continue;
    auto r = reader.find(y);
    if (r == reader.end() || r->second == i || removed[r->second]) continue;
    std::optional<Node> fused = fuse(producer, g.nodes[r->second], ix);
    if (!fused) continue;
    fused->outputs = g.nodes[r->second].outputs;
    // In the producer's place: its inputs exist there, and its output is read only later.
    g.nodes[i] = std::move(*fused);
    removed[r->second] = true;
    changed = true;
  }
  if (!changed) return false;
  EraseNodes(g, removed);
  return true;
}

}  // namespace onyx
