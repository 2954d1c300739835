// Removes nodes whose outputs nobody reads, initializers nobody uses, and the value infos of
// values that no longer exist (other passes rewire values away; saved models stay tidy).
#include <unordered_set>

#include "optimizer/optimizer.h"

namespace onyx {

namespace {

class DeadNodeElimination : public Pass {
 public:
  const char* name() const override { return "DeadNodeElimination"; }

  bool Run(Graph& g) const override {
    std::unordered_set<std::string> live;
    for (const auto& o : g.outputs) live.insert(o.name);
    // Walk backwards over the topologically sorted nodes.
    std::vector<bool> keep(g.nodes.size(), false);
    for (size_t k = g.nodes.size(); k-- > 0;) {
      const Node& n = g.nodes[k];
      bool needed = false;
      for (const auto& o : n.outputs) needed = needed || (!o.empty() && live.count(o));
      if (!needed) continue;
      keep[k] = true;
      for (const auto& i : n.inputs) live.insert(i);
      for (const auto& [an, a] : n.attributes) {
        std::vector<std::shared_ptr<Graph>> subs = a.graphs;
        if (a.g) subs.push_back(a.g);
        for (const auto& sg : subs)
          for (const auto& v : sg->OuterScopeReads()) live.insert(v);
      }
    }
    bool changed = false;
    std::vector<Node> kept;
    for (size_t k = 0; k < g.nodes.size(); ++k) {
      if (keep[k]) kept.push_back(std::move(g.nodes[k]));
      else changed = true;
    }
    g.nodes = std::move(kept);
    for (auto it = g.initializers.begin(); it != g.initializers.end();) {
      if (!live.count(it->first)) {
        it = g.initializers.erase(it);
        changed = true;
      } else {
        ++it;
      }
    }
    std::unordered_set<std::string> exists;
    for (const auto& in : g.inputs) exists.insert(in.name);
    for (const auto& [n, t] : g.initializers) exists.insert(n);
    for (const auto& n : g.nodes) exists.insert(n.outputs.begin(), n.outputs.end());
    const size_t infos = g.value_info.size();
    std::erase_if(g.value_info, [&](const ValueInfo& vi) { return !exists.count(vi.name); });
    return changed || g.value_info.size() != infos;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeDeadNodeElimination() { return std::make_unique<DeadNodeElimination>(); }

}  // namespace onyx
