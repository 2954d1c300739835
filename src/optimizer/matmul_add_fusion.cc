// Fuses Add(MatMul(A, B), C) into Gemm(A, B, C) when Gemm computes exactly that: A and B are
// 2-D, and C broadcasts unidirectionally to the [M, N] product, so that the Add's output shape is
// the product's. The MatMul's output must be read by the Add alone and not be a graph output.
// Batched (3-D and more) MatMuls stay as they are: Gemm has no batch dimension.
#include "optimizer/optimizer.h"
#include "optimizer/pattern.h"

namespace onyx {

namespace {

bool SameDim(const Dim& a, const Dim& b) {
  if (a.is_fixed() || b.is_fixed()) return a.is_fixed() && b.is_fixed() && a.value == b.value;
  return a.is_symbolic() && a.symbol == b.symbol;
}

// C of shape c fits Gemm's C for an [m, n] product without changing the result's shape.
bool BroadcastsTo(const std::vector<Dim>& c, const Dim& m, const Dim& n) {
  if (c.size() > 2) return false;
  const Dim* target[2] = {&m, &n};
  const size_t offset = 2 - c.size();
  for (size_t i = 0; i < c.size(); ++i)
    if (!(c[i].is_fixed() && c[i].value == 1) && !SameDim(c[i], *target[offset + i])) return false;
  return true;
}

bool GemmType(DataType t) {
  return t == DataType::Float || t == DataType::Double || t == DataType::Float16 || t == DataType::BFloat16;
}

class MatMulAddFusion : public Pass {
 public:
  const char* name() const override { return "MatMulAddFusion"; }

  bool Run(Graph& g) const override {
    const int64_t opset = g.opsets.count("") ? g.opsets.at("") : 0;
    if (opset < 7) return false;  // Gemm before 7 needs a broadcast attribute and has other rules
    // One sweep: each Add becomes a Gemm in place and its MatMul is dropped at the end.
    const GraphIndex ix = GraphIndex::Of(g);
    std::vector<bool> removed(g.nodes.size(), false);
    bool changed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const Node& add = g.nodes[i];
      if (add.op_type != "Add" || !add.domain.empty() || add.inputs.size() != 2 || add.outputs.size() != 1) continue;
      for (int side = 0; side < 2; ++side) {
        const std::string& product = add.inputs[side];
        const std::string& c = add.inputs[1 - side];
        auto mi = ix.producer.find(product);
        if (mi == ix.producer.end() || removed[mi->second] || !ix.SingleReader(product) || !ix.Internal(product)) continue;
        const Node& mm = g.nodes[mi->second];
        if (mm.op_type != "MatMul" || !mm.domain.empty() || mm.inputs.size() != 2) continue;
        auto a_shape = ix.shapes.find(mm.inputs[0]);
        auto b_shape = ix.shapes.find(mm.inputs[1]);
        auto c_shape = ix.shapes.find(c);
        auto a_type = ix.types.find(mm.inputs[0]);
        auto c_type = ix.types.find(c);
        if (a_shape == ix.shapes.end() || b_shape == ix.shapes.end() || c_shape == ix.shapes.end() ||
            a_type == ix.types.end() || c_type == ix.types.end())
          continue;
        if (a_shape->second.size() != 2 || b_shape->second.size() != 2 || !GemmType(a_type->second) || c_type->second != a_type->second)
          continue;
        if (!BroadcastsTo(c_shape->second, a_shape->second[0], b_shape->second[1])) continue;
        Node gemm;
        gemm.name = add.name.empty() ? add.outputs[0] + "/Gemm" : add.name;
        gemm.op_type = "Gemm";
        gemm.opset = opset;
        gemm.inputs = {mm.inputs[0], mm.inputs[1], c};
        gemm.outputs = add.outputs;
        removed[mi->second] = true;
        g.nodes[i] = std::move(gemm);  // add, product and c are not used past this point
        changed = true;
        break;
      }
    }
    if (!changed) return false;
    EraseNodes(g, removed);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeMatMulAddFusion() { return std::make_unique<MatMulAddFusion>(); }

}  // namespace onyx
