// Fuses the exact (erf) GELU that exporters decompose,
//   y = x * 0.5 * (1 + Erf(x / sqrt(2)))      (any grouping of the two Muls; / sqrt(2) or * 1/sqrt(2))
// into one Gelu node. Opset 20+ graphs get ai.onnx Gelu; older ones com.microsoft's Gelu (same
// math, no attributes), which onnxruntime also runs.
#include <algorithm>
#include <cmath>

#include "optimizer/optimizer.h"
#include "optimizer/pattern.h"

namespace onyx {

namespace {

bool Near(double a, double b) { return std::fabs(a - b) <= 1e-3 * std::fabs(b); }

// For a binary node reading `v`, its other input.
const std::string& Other(const Node& n, const std::string& v) { return n.inputs[0] == v ? n.inputs[1] : n.inputs[0]; }

class GeluFusion : public Pass {
 public:
  const char* name() const override { return "GeluFusion"; }
  bool Run(Graph& g) const override {
    bool changed = false;
    for (int guard = 0; guard < 4096 && FuseOne(g); ++guard) changed = true;
    return changed;
  }

 private:
  bool FuseOne(Graph& g) const {
    const GraphIndex u = GraphIndex::Of(g);
    for (const Node& erf : g.nodes) {
      if (erf.op_type != "Erf" || !erf.domain.empty() || erf.inputs.size() != 1) continue;
      auto pi = u.producer.find(erf.inputs[0]);
      if (pi == u.producer.end()) continue;
      const Node& scale = g.nodes[pi->second];
      if (!scale.domain.empty() || scale.inputs.size() != 2 || u.readers.at(erf.inputs[0]) != 1) continue;
      double c = 0;
      std::string x;
      if (scale.op_type == "Div" && ScalarConstant(g, scale.inputs[1], &c) && Near(c, std::sqrt(2.0))) x = scale.inputs[0];
      else if (scale.op_type == "Mul" && ScalarConstant(g, scale.inputs[1], &c) && Near(c, std::sqrt(0.5))) x = scale.inputs[0];
      else if (scale.op_type == "Mul" && ScalarConstant(g, scale.inputs[0], &c) && Near(c, std::sqrt(0.5))) x = scale.inputs[1];
      else continue;
      auto xt = u.types.find(x);
      if (xt == u.types.end() || (xt->second != DataType::Float && xt->second != DataType::Float16)) continue;
      const Node* add = u.OnlyReader(g, erf.outputs[0], "Add");
      if (!add || add->inputs.size() != 2 || !ScalarConstant(g, Other(*add, erf.outputs[0]), &c) || c != 1.0) continue;
      const Node* mul1 = u.OnlyReader(g, add->outputs[0], "Mul");
      if (!mul1 || mul1->inputs.size() != 2) continue;
      const std::string& m1_other = Other(*mul1, add->outputs[0]);
      std::vector<std::string> dead = {erf.inputs[0], erf.outputs[0], add->outputs[0]};
      std::string y;
      if (m1_other == x) {  // (x * (1 + erf)) * 0.5
        const Node* mul2 = u.OnlyReader(g, mul1->outputs[0], "Mul");
        if (!mul2 || mul2->inputs.size() != 2 || !ScalarConstant(g, Other(*mul2, mul1->outputs[0]), &c) || c != 0.5) continue;
        dead.push_back(mul1->outputs[0]);
        y = mul2->outputs[0];
      } else {  // (x * 0.5) * (1 + erf)
        auto hp = u.producer.find(m1_other);
        if (hp == u.producer.end() || u.readers.at(m1_other) != 1) continue;
        const Node& half = g.nodes[hp->second];
        if (half.op_type != "Mul" || !half.domain.empty() || half.inputs.size() != 2) continue;
        if (!((half.inputs[0] == x && ScalarConstant(g, half.inputs[1], &c)) || (half.inputs[1] == x && ScalarConstant(g, half.inputs[0], &c))) ||
            c != 0.5)
          continue;
        dead.push_back(m1_other);
        y = mul1->outputs[0];
      }
      Node gelu;
      gelu.name = (erf.name.empty() ? y : erf.name) + "/Gelu";
      gelu.op_type = "Gelu";
      SetFusedOpDomain(g, gelu, 20);
      gelu.inputs = {x};
      gelu.outputs = {y};
      ReplaceMatchedNodes(g, u.producer.at(y), std::move(gelu), dead);
      return true;
    }
    return false;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeGeluFusion() { return std::make_unique<GeluFusion>(); }

}  // namespace onyx
