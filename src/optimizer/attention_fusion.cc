// Fuses the multi-head self/cross-attention that torch exports for BERT- and GPT-style models,
//
//   Qh = Transpose(Reshape(q, [B, S, N, H]), perm 0,2,1,3)
//   Kt = Transpose(Reshape(k, [B, T, N, H]), perm 0,2,3,1)
//   Vh = Transpose(Reshape(v, [B, T, N, Hv]), perm 0,2,1,3)
//   s  = MatMul(Qh, Kt), then Div(s, c) or Mul(s, c) (c a float scalar constant), or neither
//        (or com.microsoft FusedMatMul(Qh, Kt, alpha), or FusedMatMul(Qh, Kh, alpha, transB=1))
//   s  = Where(causal, s, fill) (optional; GPT-2: a constant lower-triangular condition, fill
//        -10000 or below) -> unidirectional
//   s  = Add(s, mask) in either order (optional; mask float, broadcasting to [B, N, S, T])
//   y  = Reshape(Transpose(MatMul(Softmax(s, axis=-1), Vh), perm 0,2,1,3), [B, S, N*Hv])
//
// into onnxruntime's com.microsoft MultiHeadAttention(q, k, v, attention_bias=mask) with
// num_heads N and scale 1/c (c, alpha, or 1 without a scaling node), so that a saved optimized
// model still loads in onnxruntime. q, k and v are [B, S|T, N*H] values; the Reshape targets are
// recognised by their inferred shapes (exporters build them from Shape/Gather/Concat), not by
// evaluating them. MultiHeadAttention wants attention_bias as [B|1, N|1, S, T]: a mask with a
// broadcast query axis (BERT's [B, 1, 1, T] padding mask) goes through one Expand to [.., S, T],
// shared by every layer that reads the same mask. The matched nodes go, and with them the nodes
// that only computed their Reshape targets (Shape/Gather/Unsqueeze/Concat).
// Float only; level 2 (Extended); skipped where a session provider has no MultiHeadAttention
// kernel. Runs before any pass that would fold the Div into a FusedMatMul, and matches that form
// too.
#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "optimizer/activation_fusion.h"

namespace onyx {

namespace {

bool SameDim(const Dim& a, const Dim& b) {
  if (a.is_fixed() || b.is_fixed()) return a.is_fixed() && b.is_fixed() && a.value == b.value;
  return a.is_symbolic() && a.symbol == b.symbol;
}

// Not provably different.
bool Compatible(const Dim& a, const Dim& b) { return !(a.is_fixed() && b.is_fixed() && a.value != b.value); }

bool IsOne(const Dim& d) { return d.is_fixed() && d.value == 1; }

bool IsOnnx(const Node& n, const char* op) { return n.op_type == op && n.domain.empty(); }

std::vector<int64_t> Perm(const Node& n) {
  const Attribute* a = n.FindAttribute("perm");
  return a && a->type == Attribute::Type::Ints ? a->ints : std::vector<int64_t>{};
}

int64_t IntAttribute(const Node& n, const char* name, int64_t dflt) {
  const Attribute* a = n.FindAttribute(name);
  return a && a->type == Attribute::Type::Int ? a->i : dflt;
}

class AttentionFusion : public Pass {
 public:
  explicit AttentionFusion(const OptimizerContext& ctx) : ctx_(ctx) {}
  const char* name() const override { return "AttentionFusion"; }

  bool Run(Graph& g) const override {
    const GraphIndex ix = GraphIndex::Of(g);
    State st{g, ix, {}, {}, {}, {}, {}};
    for (size_t i = 0; i < g.nodes.size(); ++i)
      for (const auto& in : g.nodes[i].inputs)
        if (!in.empty()) st.readers[in].push_back(i);
    st.removed.assign(g.nodes.size(), false);
    bool changed = false;
    std::vector<Node> added;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      if (st.removed[i] || !IsOnnx(g.nodes[i], "Reshape")) continue;
      std::optional<Match> m = MatchAt(st, i);
      if (!m) continue;
      if (!ProvidersRunFused(ctx_, g.nodes[m->softmax], "MultiHeadAttention")) continue;
      std::vector<bool> removed = st.removed;
      if (!RemoveChain(st, *m, &removed)) continue;
      st.removed = std::move(removed);
      Node fused;
      fused.name = (g.nodes[m->softmax].name.empty() ? g.nodes[i].outputs[0] : g.nodes[m->softmax].name) + "/MultiHeadAttention";
      fused.op_type = "MultiHeadAttention";
      fused.domain = "com.microsoft";
      fused.opset = ImportMicrosoftDomain(g);
      fused.inputs = {m->q, m->k, m->v};
      if (!m->mask.empty()) {
        const std::string bias = m->expand ? ExpandedMask(st, *m, &added) : m->mask;
        fused.inputs.insert(fused.inputs.end(), {"", "", bias});
      }
      fused.outputs = g.nodes[i].outputs;
      for (const auto& in : fused.inputs) st.pinned.insert(in);
      Attribute heads;
      heads.type = Attribute::Type::Int;
      heads.i = m->heads;
      fused.attributes["num_heads"] = heads;
      fused.attributes["scale"] = FloatAttribute(m->scale);
      if (m->unidirectional) {
        Attribute causal;
        causal.type = Attribute::Type::Int;
        causal.i = 1;
        fused.attributes["unidirectional"] = causal;
      }
      st.removed[i] = false;  // the fused node takes the output Reshape's place
      g.nodes[i] = std::move(fused);
      changed = true;
    }
    if (!changed) return false;
    EraseNodes(g, st.removed);
    // Appended after everything; the pass manager sorts the graph after a change.
    for (auto& n : added) g.nodes.push_back(std::move(n));
    return true;
  }

 private:
  struct State {
    Graph& g;
    const GraphIndex& ix;
    std::unordered_map<std::string, std::vector<size_t>> readers;
    std::vector<bool> removed;
    std::unordered_map<std::string, std::string> expanded;  // mask -> its [.., S, T] expansion
    std::unordered_set<std::string> new_names;
    // Values that the fused nodes and the nodes added for them read: never removed as dead.
    std::unordered_set<std::string> pinned;
  };

  struct Match {
    std::string q, k, v, mask;
    int64_t heads = 0;
    float scale = 1.f;
    bool expand = false;            // the mask's query axis is broadcast
    bool unidirectional = false;    // a causal Where went
    std::vector<Dim> query_shape;   // [B, S, N*H]
    std::vector<size_t> chain;      // the matched nodes, the output Reshape included
    size_t softmax = 0;
  };

  // x = Transpose(Reshape(in, [d0, d1, N, H]), perm) where in is [d0, d1, N*H].
  struct HeadSplit {
    std::string in;
    int64_t heads = 0, head_size = 0;
    std::vector<Dim> in_shape;
    size_t reshape = 0, transpose = 0;
  };

  static const Node* ProducerNode(const State& st, const std::string& v, size_t* at) {
    auto it = st.ix.producer.find(v);
    if (it == st.ix.producer.end() || st.removed[it->second]) return nullptr;
    *at = it->second;
    return &st.g.nodes[it->second];
  }

  // One element of a Reshape target: a copy of the data's dim `copy` (a 0 without allowzero,
  // or Unsqueeze(Gather(Shape(data), copy))), or a number (-1: inferred).
  struct TargetDim {
    int64_t copy = -1;
    int64_t value = 0;
  };

  // The Reshape target of `rs` element by element, when it is a constant or the Concat of
  // constants and dims of the Reshape's own input (as torch exports it for symbolic sizes).
  static std::optional<std::vector<TargetDim>> ReshapeTarget(const State& st, const Node& rs) {
    const bool allowzero = IntAttribute(rs, "allowzero", 0) != 0;
    std::vector<TargetDim> out;
    auto constants = [&](const std::vector<int64_t>& vals) {
      for (int64_t v : vals) {
        TargetDim d;
        if (v == 0 && !allowzero) d.copy = static_cast<int64_t>(out.size());
        else d.value = v;
        out.push_back(d);
      }
    };
    std::vector<int64_t> vals;
    if (ConstantInts(st.g, rs.inputs[1], &vals)) {
      constants(vals);
      return out;
    }
    size_t idx = 0;
    const Node* cat = ProducerNode(st, rs.inputs[1], &idx);
    if (!cat || !IsOnnx(*cat, "Concat") || IntAttribute(*cat, "axis", -1) != 0) return std::nullopt;
    for (const auto& part : cat->inputs) {
      if (ConstantInts(st.g, part, &vals)) {
        const Tensor* t = ConstantTensor(st.g, part);
        if (!t || t->rank() != 1) return std::nullopt;
        constants(vals);
        continue;
      }
      const Node* un = ProducerNode(st, part, &idx);
      if (!un || !IsOnnx(*un, "Unsqueeze") || un->inputs.empty()) return std::nullopt;
      std::vector<int64_t> axes;
      const Attribute* a = un->FindAttribute("axes");
      if (a && a->type == Attribute::Type::Ints) axes = a->ints;
      else if (un->inputs.size() < 2 || !ConstantInts(st.g, un->inputs[1], &axes)) return std::nullopt;
      if (axes != std::vector<int64_t>{0}) return std::nullopt;
      const Node* ga = ProducerNode(st, un->inputs[0], &idx);
      if (!ga || !IsOnnx(*ga, "Gather") || ga->inputs.size() != 2 || IntAttribute(*ga, "axis", 0) != 0) return std::nullopt;
      const Tensor* index = ConstantTensor(st.g, ga->inputs[1]);
      if (!index || index->rank() != 0 || !ConstantInts(st.g, ga->inputs[1], &vals) || vals[0] < 0) return std::nullopt;
      const Node* sh = ProducerNode(st, ga->inputs[0], &idx);
      if (!sh || !IsOnnx(*sh, "Shape") || sh->inputs.size() != 1 || sh->inputs[0] != rs.inputs[0] ||
          sh->FindAttribute("start") || sh->FindAttribute("end"))
        return std::nullopt;
      TargetDim d;
      d.copy = vals[0];
      out.push_back(d);
    }
    return out;
  }

  // The Reshape of `rs` (input shape `in`, rank in.size()) keeps dims 0 .. keep-1 of its input
  // and writes `tail` after them (`tail` fixed, positive).
  static bool KeepsLeadingDims(const State& st, const Node& rs, const std::vector<Dim>& in, size_t keep,
                               const std::vector<int64_t>& tail) {
    auto out_shape = st.ix.shapes.find(rs.outputs[0]);
    bool by_shapes = out_shape != st.ix.shapes.end() && out_shape->second.size() == keep + tail.size();
    for (size_t i = 0; by_shapes && i < keep; ++i) by_shapes = SameDim(in[i], out_shape->second[i]);
    for (size_t i = 0; by_shapes && i < tail.size(); ++i)
      by_shapes = out_shape->second[keep + i].is_fixed() && out_shape->second[keep + i].value == tail[i];
    if (by_shapes) return true;
    auto target = ReshapeTarget(st, rs);
    if (!target || target->size() != keep + tail.size()) return false;
    int inferred = -1;
    for (size_t i = 0; i < keep; ++i) {
      const TargetDim& d = (*target)[i];
      if (d.copy == static_cast<int64_t>(i) || (d.copy < 0 && in[i].is_fixed() && d.value == in[i].value)) continue;
      if (d.copy < 0 && d.value == -1 && inferred < 0) {
        inferred = static_cast<int>(i);  // the element count then decides it: the dim itself
        continue;
      }
      return false;
    }
    for (size_t i = 0; i < tail.size(); ++i)
      if ((*target)[keep + i].copy >= 0 || (*target)[keep + i].value != tail[i]) return false;
    return true;
  }

  static std::optional<HeadSplit> MatchHeadSplit(const State& st, const std::string& x, const std::vector<int64_t>& perm) {
    HeadSplit h;
    const Node* tr = ProducerNode(st, x, &h.transpose);
    if (!tr || !IsOnnx(*tr, "Transpose") || tr->inputs.size() != 1 || Perm(*tr) != perm) return std::nullopt;
    const Node* rs = ProducerNode(st, tr->inputs[0], &h.reshape);
    if (!rs || !IsOnnx(*rs, "Reshape") || rs->inputs.size() != 2) return std::nullopt;
    h.in = rs->inputs[0];
    auto in_shape = st.ix.shapes.find(h.in);
    if (in_shape == st.ix.shapes.end() || !st.ix.IsFloat(h.in)) return std::nullopt;
    const auto& is = in_shape->second;
    if (is.size() != 3 || !is[2].is_fixed()) return std::nullopt;
    // The heads: the target's last two entries, or the inferred shape's.
    auto out_shape = st.ix.shapes.find(rs->outputs[0]);
    auto target = ReshapeTarget(st, *rs);
    int64_t n = -1, hs = -1;
    if (out_shape != st.ix.shapes.end() && out_shape->second.size() == 4 && out_shape->second[2].is_fixed() &&
        out_shape->second[3].is_fixed()) {
      n = out_shape->second[2].value, hs = out_shape->second[3].value;
    } else if (target && target->size() == 4 && (*target)[2].copy < 0 && (*target)[3].copy < 0) {
      n = (*target)[2].value, hs = (*target)[3].value;
    }
    // Keeping the first two dims makes the Reshape a split of the last one.
    if (n <= 0 || hs <= 0 || n * hs != is[2].value || !KeepsLeadingDims(st, *rs, is, 2, {n, hs})) return std::nullopt;
    h.heads = n;
    h.head_size = hs;
    h.in_shape = is;
    return h;
  }

  static std::optional<Match> MatchAt(const State& st, size_t at) {
    const Graph& g = st.g;
    const Node& out = g.nodes[at];
    Match m;
    m.chain.push_back(at);
    auto keep = [&](size_t idx) { m.chain.push_back(idx); };
    size_t idx = 0;
    if (out.inputs.size() != 2 || out.outputs.size() != 1) return std::nullopt;
    const Node* tr = ProducerNode(st, out.inputs[0], &idx);
    if (!tr || !IsOnnx(*tr, "Transpose") || tr->inputs.size() != 1 || Perm(*tr) != std::vector<int64_t>{0, 2, 1, 3})
      return std::nullopt;
    keep(idx);
    const Node* pv = ProducerNode(st, tr->inputs[0], &idx);
    if (!pv || !IsOnnx(*pv, "MatMul") || pv->inputs.size() != 2) return std::nullopt;
    keep(idx);
    auto vs = MatchHeadSplit(st, pv->inputs[1], {0, 2, 1, 3});
    if (!vs) return std::nullopt;
    keep(vs->reshape), keep(vs->transpose);
    const Node* sm = ProducerNode(st, pv->inputs[0], &idx);
    if (!sm || !IsOnnx(*sm, "Softmax") || sm->inputs.size() != 1) return std::nullopt;
    const int64_t axis = IntAttribute(*sm, "axis", sm->opset < 13 ? 1 : -1);
    if (axis != -1 && axis != 3) return std::nullopt;  // the keys' axis (before 13, flattening from 3 is the same)
    keep(idx);
    m.softmax = idx;

    // Scores, after an optional additive mask.
    std::string scores = sm->inputs[0];
    const Node* add = ProducerNode(st, scores, &idx);
    size_t add_at = idx;
    std::optional<ScoreMatch> sc;
    if (add && IsOnnx(*add, "Add") && add->inputs.size() == 2) {
      for (int side = 0; side < 2 && !sc; ++side) {
        sc = MatchScores(st, add->inputs[side]);
        if (sc) m.mask = add->inputs[1 - side];
      }
      if (!sc) return std::nullopt;
      keep(add_at);
    } else {
      sc = MatchScores(st, scores);
      if (!sc) return std::nullopt;
    }
    for (size_t c : sc->chain) keep(c);
    const HeadSplit& qs = sc->q;
    const HeadSplit& ks = sc->k;
    // One head count and size for Q and K, the same count for V; batch shared, K and V share T.
    if (qs.heads != ks.heads || qs.heads != vs->heads || qs.head_size != ks.head_size) return std::nullopt;
    if (sc->causal_rows > 0) {
      // The condition's size must be the scores' own: fixed query and key lengths.
      const Dim& sq = qs.in_shape[1];
      const Dim& sk = ks.in_shape[1];
      if (!sq.is_fixed() || !sk.is_fixed() || sq.value != sc->causal_rows || sk.value != sc->causal_cols) return std::nullopt;
      m.unidirectional = true;
    }
    // The output Reshape merges the heads back: [B, S, N, Hv] -> [B, S, N*Hv].
    // Its input is 4-D (a Transpose by a 4-element perm) even where inference lost its shape
    // (behind an op it does not know, such as FusedMatMul).
    auto ctx_shape = st.ix.shapes.find(out.inputs[0]);
    const std::vector<Dim> ctx_dims = ctx_shape != st.ix.shapes.end() ? ctx_shape->second : std::vector<Dim>(4);
    if (ctx_dims.size() != 4 || !KeepsLeadingDims(st, out, ctx_dims, 2, {vs->heads * vs->head_size})) return std::nullopt;
    // Batch shared by Q, K and V, K and V of one length (as far as the shapes tell; the kernel
    // checks the rest at run time).
    if (!Compatible(qs.in_shape[0], ks.in_shape[0]) || !Compatible(qs.in_shape[0], vs->in_shape[0]) ||
        !Compatible(ks.in_shape[1], vs->in_shape[1]))
      return std::nullopt;
    // Float throughout: q, k, v (checked in the head splits) and the mask are float.

    if (!m.mask.empty()) {
      // The mask broadcasts to the scores [B, N, S, T] without growing them, as far as the shapes
      // tell: MultiHeadAttention refuses at run time an attention_bias that does not fit.
      auto ms = st.ix.shapes.find(m.mask);
      if (ms == st.ix.shapes.end() || !st.ix.IsFloat(m.mask)) return std::nullopt;
      const auto& mk = ms->second;
      if (mk.empty() || mk.size() > 4) return std::nullopt;
      std::vector<Dim> m4(4 - mk.size(), Dim{1, ""});
      m4.insert(m4.end(), mk.begin(), mk.end());
      const Dim want[4] = {qs.in_shape[0], Dim{qs.heads, ""}, qs.in_shape[1], ks.in_shape[1]};
      if (IsOne(m4[3]) && !IsOne(want[3])) return std::nullopt;  // one value for every key
      for (int d = 0; d < 4; ++d)
        if (!IsOne(m4[d]) && !Compatible(m4[d], want[d])) return std::nullopt;
      if (!IsOne(m4[1]) && !SameDim(m4[1], want[1])) return std::nullopt;
      m.expand = mk.size() != 4 || !SameDim(m4[2], want[2]);
    }
    m.q = qs.in;
    m.k = ks.in;
    m.v = vs->in;
    m.heads = qs.heads;
    m.scale = sc->scale;
    m.query_shape = qs.in_shape;
    return m;
  }

  struct ScoreMatch {
    HeadSplit q, k;
    float scale = 1.f;
    std::vector<size_t> chain;
    int64_t causal_rows = 0, causal_cols = 0;  // a Where's constant causal condition [S, T]
  };

  // Where(cond, x, fill) with cond a constant bool [.., S, T] (leading dims 1) that is true
  // exactly where key j <= query i + T - S, and fill a constant float scalar of -10000 or below:
  // GPT-2's causal mask. The masked scores then weigh exp(fill - max), 0 in float, as
  // unidirectional MultiHeadAttention gives them.
  static std::optional<ScoreMatch> MatchCausalScores(const State& st, const Node& where, size_t at) {
    if (where.inputs.size() != 3) return std::nullopt;
    const Tensor* cond = ConstantTensor(st.g, where.inputs[0]);
    double fill = 0;
    if (!cond || cond->dtype() != DataType::Bool || cond->rank() < 2 || cond->rank() > 4) return std::nullopt;
    const Tensor* f = ConstantTensor(st.g, where.inputs[2]);
    if (!f || f->dtype() != DataType::Float || f->rank() > 4 || !ScalarConstant(st.g, where.inputs[2], &fill) || !(fill <= -10000.0))
      return std::nullopt;
    const int64_t r = static_cast<int64_t>(cond->rank());
    for (int64_t d = 0; d + 2 < r; ++d)
      if (cond->dim(d) != 1) return std::nullopt;
    const int64_t S = cond->dim(r - 2), T = cond->dim(r - 1);
    if (S <= 0 || T < S) return std::nullopt;
    const bool* c = cond->data<bool>();
    for (int64_t i = 0; i < S; ++i)
      for (int64_t j = 0; j < T; ++j)
        if (c[i * T + j] != (j <= i + T - S)) return std::nullopt;
    std::optional<ScoreMatch> r2 = MatchScores(st, where.inputs[1]);
    if (!r2) return std::nullopt;
    r2->chain.push_back(at);
    r2->causal_rows = S;
    r2->causal_cols = T;
    return r2;
  }

  // s = [Div|Mul](MatMul(Qh, Kt), c), MatMul(Qh, Kt), or FusedMatMul(Qh, K.., alpha).
  static std::optional<ScoreMatch> MatchScores(const State& st, const std::string& s) {
    ScoreMatch r;
    size_t idx = 0;
    const Node* n = ProducerNode(st, s, &idx);
    if (!n) return std::nullopt;
    if (IsOnnx(*n, "Where")) return MatchCausalScores(st, *n, idx);
    double c = 1;
    if ((IsOnnx(*n, "Div") || IsOnnx(*n, "Mul")) && n->inputs.size() == 2) {
      const bool div = n->op_type == "Div";
      int side = -1;
      for (int k = 0; k < 2 && side < 0; ++k) {
        const Tensor* t = ConstantTensor(st.g, n->inputs[1 - k]);
        if ((div && k == 1) || !t || t->dtype() != DataType::Float || t->size() != 1 || t->rank() > 4) continue;
        side = k;
      }
      if (side < 0 || !ScalarConstant(st.g, n->inputs[1 - side], &c) || c == 0 || !std::isfinite(c)) return std::nullopt;
      r.scale = static_cast<float>(div ? 1.0 / c : c);
      r.chain.push_back(idx);
      n = ProducerNode(st, n->inputs[side], &idx);
      if (!n) return std::nullopt;
    }
    bool trans_b = false;
    if (n->op_type == "FusedMatMul" && n->domain == "com.microsoft" && n->inputs.size() == 2 && r.chain.empty()) {
      if (IntAttribute(*n, "transA", 0) != 0 || IntAttribute(*n, "transBatchA", 0) != 0 ||
          IntAttribute(*n, "transBatchB", 0) != 0)
        return std::nullopt;
      trans_b = IntAttribute(*n, "transB", 0) != 0;
      const Attribute* alpha = n->FindAttribute("alpha");
      if (alpha && alpha->type == Attribute::Type::Float) r.scale = alpha->f;
    } else if (!IsOnnx(*n, "MatMul") || n->inputs.size() != 2) {
      return std::nullopt;
    }
    r.chain.push_back(idx);
    auto q = MatchHeadSplit(st, n->inputs[0], {0, 2, 1, 3});
    auto k = MatchHeadSplit(st, n->inputs[1], trans_b ? std::vector<int64_t>{0, 2, 1, 3} : std::vector<int64_t>{0, 2, 3, 1});
    if (!q || !k) return std::nullopt;
    r.chain.insert(r.chain.end(), {q->reshape, q->transpose, k->reshape, k->transpose});
    r.q = *q;
    r.k = *k;
    return r;
  }

  // Marks the matched nodes and every node that only fed them (the Reshape targets' shape
  // arithmetic) as removed. False, marking nothing that counts, when a matched intermediate is
  // read elsewhere, is a graph output or is read by a subgraph.
  static bool RemoveChain(const State& st, const Match& m, std::vector<bool>* removed) {
    const Graph& g = st.g;
    const size_t out = m.chain.front();
    // Two matches never share nodes: each chain node is read only inside its own chain.
    for (size_t c : m.chain)
      if ((*removed)[c]) return false;
    for (size_t c : m.chain) (*removed)[c] = true;
    const std::unordered_set<std::string> kept = {m.q, m.k, m.v, m.mask};
    auto read_only_by_removed = [&](const std::string& v) {
      auto it = st.readers.find(v);
      if (it == st.readers.end()) return false;
      for (size_t r : it->second)
        if (!(*removed)[r]) return false;
      return true;
    };
    // Nodes are in topological order: walking back, a node's readers are decided before it.
    for (size_t j = g.nodes.size(); j-- > 0;) {
      if ((*removed)[j]) continue;
      const Node& n = g.nodes[j];
      bool any_read = false, dead = !n.outputs.empty();
      for (const auto& o : n.outputs) {
        if (o.empty()) continue;
        if (kept.count(o) || st.pinned.count(o) || !st.ix.Internal(o)) dead = false;
        if (st.readers.count(o)) {
          any_read = true;
          if (!read_only_by_removed(o)) dead = false;
        }
      }
      if (dead && any_read) (*removed)[j] = true;
    }
    for (size_t c : m.chain) {
      if (c == out) continue;
      for (const auto& o : g.nodes[c].outputs)
        if (!o.empty() && (!st.ix.Internal(o) || !read_only_by_removed(o))) return false;
    }
    return true;
  }

  static std::string NewName(State& st, const std::string& base) {
    std::string name = FreshName(st.g, st.ix, base);
    for (int k = 1; st.new_names.count(name); ++k) name = FreshName(st.g, st.ix, base + "_" + std::to_string(k));
    st.new_names.insert(name);
    return name;
  }

  static std::string Initializer(State& st, const std::string& base, const std::vector<int64_t>& values) {
    const std::string name = NewName(st, base);
    Tensor t(DataType::Int64, {static_cast<int64_t>(values.size())});
    std::copy(values.begin(), values.end(), t.data<int64_t>());
    st.g.initializers.emplace(name, std::move(t));
    return name;
  }

  // Expand(mask, [1, 1, S, 1]): the mask as [B|1, N|1, S, T]; one per mask, shared by the layers.
  static std::string ExpandedMask(State& st, const Match& m, std::vector<Node>* added) {
    auto it = st.expanded.find(m.mask);
    if (it != st.expanded.end()) return it->second;
    Graph& g = st.g;
    const int64_t opset = g.opsets.count("") ? g.opsets.at("") : 1;
    auto node = [&](const char* op, std::vector<std::string> inputs, const std::string& out) {
      Node n;
      n.name = out;
      n.op_type = op;
      n.opset = opset;
      n.inputs = std::move(inputs);
      n.outputs = {out};
      return n;
    };
    const Dim& seq = m.query_shape[1];
    std::string shape;
    if (seq.is_fixed()) {
      shape = Initializer(st, m.mask + "/attention_bias_shape", {1, 1, seq.value, 1});
    } else {
      // S read from the query at run time.
      const std::string q_shape = NewName(st, m.mask + "/query_shape");
      const std::string s = NewName(st, m.mask + "/query_length");
      shape = NewName(st, m.mask + "/attention_bias_shape");
      added->push_back(node("Shape", {m.q}, q_shape));
      Node gather = node("Gather", {q_shape, Initializer(st, m.mask + "/query_length_index", {1})}, s);
      added->push_back(std::move(gather));
      Node concat = node("Concat", {Initializer(st, m.mask + "/ones", {1, 1}), s, Initializer(st, m.mask + "/one", {1})}, shape);
      Attribute axis;
      axis.type = Attribute::Type::Int;
      axis.i = 0;
      concat.attributes["axis"] = axis;
      added->push_back(std::move(concat));
    }
    const std::string out = NewName(st, m.mask + "/attention_bias");
    added->push_back(node("Expand", {m.mask, shape}, out));
    st.expanded[m.mask] = out;
    st.pinned.insert(m.mask);
    st.pinned.insert(m.q);
    return out;
  }

  OptimizerContext ctx_;
};

}  // namespace

std::unique_ptr<Pass> MakeAttentionFusion(const OptimizerContext& ctx) { return std::make_unique<AttentionFusion>(ctx); }

}  // namespace onyx
