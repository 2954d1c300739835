// Transpose(Transpose(x, p1), p2) reads x directly with the composed permutation
// q[i] = p1[p2[i]]; a Transpose whose permutation is the identity is removed. The inner Transpose
// stays while something else reads it (dead-node elimination drops it otherwise), so no rewrite
// ever adds work.
#include "optimizer/optimizer.h"
#include "optimizer/pattern.h"

namespace onyx {

namespace {

// The permutation of a Transpose: its perm attribute, or the reversal of the axes when the rank
// is known. False when it is missing or not a permutation (the kernel reports that).
bool Permutation(const GraphIndex& ix, const Node& t, std::vector<int64_t>* perm) {
  if (const Attribute* a = t.FindAttribute("perm")) {
    *perm = a->ints;
  } else {
    auto r = ix.rank.find(t.inputs[0]);
    if (r == ix.rank.end()) return false;
    perm->resize(r->second);
    for (size_t i = 0; i < r->second; ++i) (*perm)[i] = static_cast<int64_t>(r->second - 1 - i);
  }
  std::vector<bool> seen(perm->size(), false);
  for (int64_t p : *perm) {
    if (p < 0 || p >= static_cast<int64_t>(perm->size()) || seen[static_cast<size_t>(p)]) return false;
    seen[static_cast<size_t>(p)] = true;
  }
  auto r = ix.rank.find(t.inputs[0]);
  return r == ix.rank.end() || r->second == perm->size();
}

bool IsIdentity(const std::vector<int64_t>& perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int64_t>(i)) return false;
  return true;
}

bool IsTranspose(const Node& n) { return n.op_type == "Transpose" && n.domain.empty() && n.inputs.size() == 1 && n.outputs.size() == 1; }

class TransposeElimination : public Pass {
 public:
  const char* name() const override { return "TransposeElimination"; }

  bool Run(Graph& g) const override {
    const GraphIndex ix = GraphIndex::Of(g);
    BypassSweep sweep(g, ix);
    bool composed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      sweep.ResolveInputs(i);
      Node& t = g.nodes[i];
      std::vector<int64_t> p2;
      if (!IsTranspose(t) || !Permutation(ix, t, &p2)) continue;
      const int64_t pi = sweep.Producer(t.inputs[0]);
      std::vector<int64_t> p1;
      if (pi >= 0 && IsTranspose(g.nodes[static_cast<size_t>(pi)]) && Permutation(ix, g.nodes[static_cast<size_t>(pi)], &p1) &&
          p1.size() == p2.size()) {
        std::vector<int64_t> q(p2.size());
        for (size_t k = 0; k < q.size(); ++k) q[k] = p1[static_cast<size_t>(p2[k])];
        Attribute perm;
        perm.type = Attribute::Type::Ints;
        perm.ints = q;
        t.attributes["perm"] = std::move(perm);
        t.inputs[0] = g.nodes[static_cast<size_t>(pi)].inputs[0];
        p2 = std::move(q);
        composed = true;
      }
      if (IsIdentity(p2)) sweep.Bypass(i);
    }
    return sweep.Finish() || composed;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeTransposeElimination() { return std::make_unique<TransposeElimination>(); }

}  // namespace onyx
