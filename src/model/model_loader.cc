#include "model/model_loader.h"

#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

#include "graph/onnx_schema.h"
#include "model/proto_parse.h"

namespace onyx {

namespace {

constexpr int kMaxGraphDepth = 64;  // nested subgraphs; deeper models are refused, not recursed into

struct FunctionDef {
  std::string name, domain;
  std::vector<std::string> inputs, outputs;
  std::vector<std::string> attribute_names;
  std::map<std::string, Attribute> attribute_defaults;
  std::vector<Node> nodes;
  std::map<std::string, int64_t> opsets;
};

struct ParseContext {
  std::string model_dir;
  const FileBytes* file = nullptr;  // the mapped model file the bytes come from, if any
  std::map<std::string, int64_t> opsets;
};

std::string NormDomain(const std::string& d) { return d == "ai.onnx" ? "" : d; }

std::shared_ptr<Graph> ParseGraph(proto::Reader r, const ParseContext& ctx, int depth);

// OperatorSetIdProto: domain (1), version (2).
void ParseOpsetImport(proto::Reader o, std::map<std::string, int64_t>& opsets) {
  std::string d;
  int64_t v = 0;
  while (o.Next()) {
    if (o.field() == 1) d = NormDomain(o.String());
    else if (o.field() == 2) v = o.Int64();
    else o.Skip();
  }
  if (d.empty() && v > NewestOnnxOpset())
    throw Error(ErrorCode::NotImplemented, "the model imports ai.onnx opset " + std::to_string(v) +
                                               "; onyx knows the operators of opsets up to " + std::to_string(NewestOnnxOpset()));
  opsets[d] = v;
}

std::vector<Dim> ParseShape(proto::Reader r) {
  std::vector<Dim> dims;
  while (r.Next()) {
    if (r.field() != 1) { r.Skip(); continue; }
    proto::Reader d = r.Message();
    Dim dim;
    while (d.Next()) {
      if (d.field() == 1) dim.value = d.Int64();
      else if (d.field() == 2) dim.symbol = d.String();
      else d.Skip();
    }
    if (dim.value < -1) dim.value = -1;
    dims.push_back(std::move(dim));
  }
  return dims;
}

// Fills kind/dtype/shape/type_string from a TypeProto.
void ParseType(proto::Reader r, ValueInfo& vi, int depth = 0) {
  if (depth > 16) r.Fail("type nesting too deep");
  while (r.Next()) {
    switch (r.field()) {
      case 1:
      case 8: {  // tensor_type, sparse_tensor_type
        vi.kind = ValueInfo::Kind::Tensor;
        proto::Reader t = r.Message();
        while (t.Next()) {
          if (t.field() == 1) {
            int32_t code = t.Int32();
            if (code != 0 && !IsKnownDataType(code))
              throw Error(ErrorCode::InvalidGraph, "element type " + std::to_string(code) + " is not an ONNX data type");
            vi.dtype = static_cast<DataType>(code);
          } else if (t.field() == 2) {
            vi.has_shape = true;
            vi.shape = ParseShape(t.Message());
          } else {
            t.Skip();
          }
        }
        vi.type_string = std::string("tensor(") + DataTypeName(vi.dtype) + ")";
        break;
      }
      case 4:
      case 9: {  // sequence_type, optional_type: both wrap one elem_type (field 1)
        const bool seq = r.field() == 4;
        proto::Reader s = r.Message();
        ValueInfo inner;
        while (s.Next()) {
          if (s.field() == 1) ParseType(s.Message(), inner, depth + 1);
          else s.Skip();
        }
        vi.kind = seq ? ValueInfo::Kind::Sequence : ValueInfo::Kind::Optional;
        vi.dtype = inner.dtype;
        vi.has_shape = inner.has_shape;
        vi.shape = inner.shape;
        vi.type_string = std::string(seq ? "seq(" : "optional(") + inner.type_string + ")";
        break;
      }
      case 5:
        vi.kind = ValueInfo::Kind::Map;
        vi.type_string = "map";
        r.Skip();
        break;
      default: r.Skip();
    }
  }
}

ValueInfo ParseValueInfo(proto::Reader r) {
  ValueInfo vi;
  vi.kind = ValueInfo::Kind::Unknown;
  while (r.Next()) {
    if (r.field() == 1) {
      vi.name = r.String();
    } else if (r.field() == 2) {
      try {
        ParseType(r.Message(), vi);
      } catch (const Error& e) {
        if (e.code() != ErrorCode::InvalidGraph) throw;
        throw Error(e.code(), "value '" + vi.name + "': " + e.what());
      }
    } else {
      r.Skip();
    }
  }
  return vi;
}

Attribute ParseAttribute(proto::Reader r, const ParseContext& ctx, int depth, std::string& name, std::string& ref) {
  Attribute a;
  int32_t declared = -1;
  while (r.Next()) {
    switch (r.field()) {
      case 1: name = r.String(); break;
      case 21: ref = r.String(); break;
      case 20: declared = r.Int32(); break;
      case 2: a.f = r.Float(); a.type = Attribute::Type::Float; break;
      case 3: a.i = r.Int64(); a.type = Attribute::Type::Int; break;
      case 4: a.s = r.String(); a.type = Attribute::Type::String; break;
      case 5: a.t = ParseTensor(r.Message(), ctx.model_dir); a.type = Attribute::Type::Tensor; break;
      case 6: a.g = ParseGraph(r.Message(), ctx, depth + 1); a.type = Attribute::Type::Graph; break;
      case 7: r.RepeatedFloat(a.floats); a.type = Attribute::Type::Floats; break;
      case 8: r.RepeatedInt64(a.ints); a.type = Attribute::Type::Ints; break;
      case 9: a.strings.push_back(r.String()); a.type = Attribute::Type::Strings; break;
      case 10: a.tensors.push_back(ParseTensor(r.Message(), ctx.model_dir)); a.type = Attribute::Type::Tensors; break;
      case 11: a.graphs.push_back(ParseGraph(r.Message(), ctx, depth + 1)); a.type = Attribute::Type::Graphs; break;
      case 14: ParseType(r.Message(), a.type_proto); a.type = Attribute::Type::TypeProto; break;
      default: r.Skip();
    }
  }
  // The declared type wins: it distinguishes empty lists and zero scalars.
  switch (declared) {
    case 1: a.type = Attribute::Type::Float; break;
    case 2: a.type = Attribute::Type::Int; break;
    case 3: a.type = Attribute::Type::String; break;
    case 4: a.type = Attribute::Type::Tensor; break;
    case 5: a.type = Attribute::Type::Graph; break;
    case 6: a.type = Attribute::Type::Floats; break;
    case 7: a.type = Attribute::Type::Ints; break;
    case 8: a.type = Attribute::Type::Strings; break;
    case 9: a.type = Attribute::Type::Tensors; break;
    case 10: a.type = Attribute::Type::Graphs; break;
    case 13: a.type = Attribute::Type::TypeProto; break;
    default: break;
  }
  if (a.type == Attribute::Type::Graph && !a.g)
    throw Error(ErrorCode::InvalidGraph, "graph attribute '" + name + "' holds no graph");
  return a;
}

// Node attributes that refer to an enclosing function's attribute keep the reference name.
Node ParseNode(proto::Reader r, const ParseContext& ctx, int depth, std::map<std::string, std::string>* refs) {
  Node n;
  while (r.Next()) {
    switch (r.field()) {
      case 1: n.inputs.push_back(r.String()); break;
      case 2: n.outputs.push_back(r.String()); break;
      case 3: n.name = r.String(); break;
      case 4: n.op_type = r.String(); break;
      case 7: n.domain = NormDomain(r.String()); break;
      case 5: {
        std::string an, ref;
        Attribute a = ParseAttribute(r.Message(), ctx, depth, an, ref);
        if (!ref.empty()) {
          if (!refs) throw Error(ErrorCode::InvalidGraph, "attribute '" + an + "' refers to '" + ref + "' outside a function");
          (*refs)[an] = ref;
        } else {
          n.attributes[an] = std::move(a);
        }
        break;
      }
      default: r.Skip();
    }
  }
  if (n.op_type.empty()) throw Error(ErrorCode::InvalidGraph, "a node has no op_type");
  return n;
}

// Input and output counts of an ai.onnx or ai.onnx.ml node against its schema. Trailing empty names (omitted
// optional values) do not count. Nodes without a schema at their opset are left to the session:
// unknown ops (it tells "not an ONNX operator" from "not implemented"), and ops used below the
// opset that introduced them, which onnxruntime's optimizer writes (LayerNormalization at 14).
void CheckArity(const Node& n) {
  const OnnxSchema* s = FindOnnxSchema(n.domain, n.op_type, n.opset);
  if (!s) return;
  auto used = [](const std::vector<std::string>& names) {
    size_t k = names.size();
    while (k > 0 && names[k - 1].empty()) --k;
    return static_cast<int64_t>(k);
  };
  auto check = [&](const char* what, int64_t count, int lo, int hi) {
    if (count >= lo && count <= hi) return;
    std::string expected = lo == hi ? std::to_string(lo)
                         : hi == std::numeric_limits<int>::max() ? "at least " + std::to_string(lo)
                                                                 : std::to_string(lo) + " to " + std::to_string(hi);
    throw Error(ErrorCode::InvalidGraph, n.Describe() + " has " + std::to_string(count) + " " + what + "; " + n.op_type +
                                             "-" + std::to_string(s->since_version) + " takes " + expected);
  };
  check("inputs", used(n.inputs), s->min_inputs, s->max_inputs);
  check("outputs", used(n.outputs), s->min_outputs, s->max_outputs);
}

void AssignOpset(Node& n, const std::map<std::string, int64_t>& opsets) {
  auto it = opsets.find(n.domain);
  if (it == opsets.end()) {
    if (n.domain.empty()) throw Error(ErrorCode::InvalidGraph, n.Describe() + ": the model imports no opset for the default domain");
    n.opset = 1;  // custom domains need not be imported; kernels of such domains choose their own
  } else {
    n.opset = it->second;
  }
  if (n.domain.empty() || n.domain == "ai.onnx.ml") CheckArity(n);
}

std::shared_ptr<Graph> ParseGraph(proto::Reader r, const ParseContext& ctx, int depth) {
  if (depth > kMaxGraphDepth) throw Error(ErrorCode::InvalidGraph, "subgraphs are nested more than " + std::to_string(kMaxGraphDepth) + " deep");
  auto g = std::make_shared<Graph>();
  g->opsets = ctx.opsets;
  while (r.Next()) {
    switch (r.field()) {
      case 1: {
        Node n = ParseNode(r.Message(), ctx, depth, nullptr);
        AssignOpset(n, ctx.opsets);
        g->nodes.push_back(std::move(n));
        break;
      }
      case 2: g->name = r.String(); break;
      case 5: {
        proto::Reader t = r.Message();
        Tensor tensor = ParseTensor(t, ctx.model_dir, ctx.file);
        std::string name;
        proto::Reader t2 = t;  // re-read for the name
        while (t2.Next()) {
          if (t2.field() == 8) name = t2.String();
          else t2.Skip();
        }
        if (name.empty()) throw Error(ErrorCode::InvalidGraph, "graph '" + g->name + "' has an initializer without a name");
        if (!g->initializers.emplace(name, std::move(tensor)).second)
          throw Error(ErrorCode::InvalidGraph, "initializer '" + name + "' is defined twice");
        break;
      }
      case 15: throw Error(ErrorCode::NotImplemented, "sparse initializers are not supported");
      case 10: g->doc_string = r.String(); break;
      case 11: g->inputs.push_back(ParseValueInfo(r.Message())); break;
      case 12: g->outputs.push_back(ParseValueInfo(r.Message())); break;
      case 13: g->value_info.push_back(ParseValueInfo(r.Message())); break;
      default: r.Skip();
    }
  }
  // Initializers listed as inputs (IR < 4 style) are inputs with defaults; keep them as inputs
  // so a feed may override them, as onnxruntime does.
  return g;
}

FunctionDef ParseFunction(proto::Reader r, const ParseContext& outer) {
  FunctionDef f;
  ParseContext ctx = outer;
  std::vector<std::pair<Node, std::map<std::string, std::string>>> nodes;
  std::vector<std::string> node_payloads;
  while (r.Next()) {
    switch (r.field()) {
      case 1: f.name = r.String(); break;
      case 4: f.inputs.push_back(r.String()); break;
      case 5: f.outputs.push_back(r.String()); break;
      case 6: f.attribute_names.push_back(r.String()); break;
      case 11: {
        std::string an, ref;
        Attribute a = ParseAttribute(r.Message(), ctx, 0, an, ref);
        f.attribute_names.push_back(an);
        f.attribute_defaults[an] = std::move(a);
        break;
      }
      case 7: node_payloads.emplace_back(r.Bytes()); break;
      case 9: ParseOpsetImport(r.Message(), f.opsets); break;
      case 10: f.domain = NormDomain(r.String()); break;
      default: r.Skip();
    }
  }
  for (auto& [d, v] : outer.opsets)
    f.opsets.emplace(d, v);
  ctx.opsets = f.opsets;
  for (const auto& payload : node_payloads) {
    std::map<std::string, std::string> refs;
    Node n = ParseNode(proto::Reader(payload, "FunctionProto node"), ctx, 0, &refs);
    AssignOpset(n, f.opsets);
    // Encode attribute references as string attributes with a reserved prefix until inlining.
    for (auto& [an, ref] : refs) {
      Attribute a;
      a.type = Attribute::Type::Undefined;
      a.s = ref;
      n.attributes["\x01ref:" + an] = a;
    }
    f.nodes.push_back(std::move(n));
  }
  return f;
}

// Replaces calls to model-local functions by their bodies, with fresh value names.
void InlineFunctions(Graph& g, const std::map<std::pair<std::string, std::string>, FunctionDef>& functions, int& counter,
                     int depth = 0) {
  if (functions.empty()) return;
  if (depth > kMaxGraphDepth) throw Error(ErrorCode::InvalidGraph, "model-local functions call each other too deeply (recursion?)");
  std::vector<Node> out;
  bool changed = false;
  for (auto& node : g.nodes) {
    for (auto& [an, a] : node.attributes) {
      if (a.g) InlineFunctions(*a.g, functions, counter, depth);
      for (auto& sg : a.graphs) InlineFunctions(*sg, functions, counter, depth);
    }
    auto it = functions.find({node.domain, node.op_type});
    if (it == functions.end()) {
      out.push_back(std::move(node));
      continue;
    }
    changed = true;
    const FunctionDef& f = it->second;
    const std::string prefix = "_inl" + std::to_string(counter++) + "_" + f.name + "_";
    std::unordered_map<std::string, std::string> rename;
    for (size_t i = 0; i < f.inputs.size(); ++i) rename[f.inputs[i]] = i < node.inputs.size() ? node.inputs[i] : "";
    for (size_t i = 0; i < f.outputs.size(); ++i) rename[f.outputs[i]] = i < node.outputs.size() ? node.outputs[i] : prefix + f.outputs[i];
    auto map_name = [&](const std::string& v) -> std::string {
      if (v.empty()) return v;
      auto r = rename.find(v);
      return r != rename.end() ? r->second : prefix + v;
    };
    for (const Node& body : f.nodes) {
      Node n = body;
      n.name = prefix + body.name;
      for (auto& v : n.inputs) v = map_name(v);
      for (auto& v : n.outputs) v = map_name(v);
      std::map<std::string, Attribute> attrs;
      for (auto& [an, a] : n.attributes) {
        if (an.rfind("\x01ref:", 0) == 0) {
          std::string target = an.substr(5);
          auto caller = node.attributes.find(a.s);
          if (caller != node.attributes.end()) attrs[target] = caller->second;
          else if (auto d = f.attribute_defaults.find(a.s); d != f.attribute_defaults.end() && d->second.type != Attribute::Type::Undefined)
            attrs[target] = d->second;
        } else {
          attrs[an] = a;
        }
      }
      n.attributes = std::move(attrs);
      out.push_back(std::move(n));
    }
  }
  g.nodes = std::move(out);
  if (changed) InlineFunctions(g, functions, counter, depth + 1);  // bodies may call functions
}

}  // namespace

namespace {

Model LoadModel(const void* data, size_t size, const std::string& model_dir, const FileBytes* file) {
  if (!data || size == 0) throw Error(ErrorCode::InvalidProtobuf, "the model is empty (0 bytes)");
  proto::Reader r(static_cast<const uint8_t*>(data), size, "the model (ModelProto)");
  Model m;
  ParseContext ctx;
  ctx.model_dir = model_dir;
  ctx.file = file;
  std::string_view graph_bytes;
  bool has_graph = false;
  std::vector<std::string_view> function_bytes;
  // Opsets must be known before nodes are parsed, so the graph is parsed after the scan.
  while (r.Next()) {
    switch (r.field()) {
      case 1: m.metadata.ir_version = r.Int64(); break;
      case 2: m.metadata.producer_name = r.String(); break;
      case 3: m.metadata.producer_version = r.String(); break;
      case 4: m.metadata.domain = r.String(); break;
      case 5: m.metadata.version = r.Int64(); break;
      case 6: m.metadata.description = r.String(); break;
      case 7: graph_bytes = r.Bytes(); has_graph = true; break;
      case 8: ParseOpsetImport(r.Message(), ctx.opsets); break;
      case 14: {
        proto::Reader e = r.Message();
        std::string k, v;
        while (e.Next()) {
          if (e.field() == 1) k = e.String();
          else if (e.field() == 2) v = e.String();
          else e.Skip();
        }
        m.metadata.custom_metadata_map[k] = v;
        break;
      }
      case 25: function_bytes.push_back(r.Bytes()); break;
      default: r.Skip();
    }
  }
  if (!has_graph) throw Error(ErrorCode::InvalidProtobuf, "the model has no graph (is this an ONNX file?)");
  if (m.metadata.ir_version <= 0) throw Error(ErrorCode::InvalidProtobuf, "the model has no ir_version (is this an ONNX file?)");
  m.metadata.opset_imports = ctx.opsets;
  std::map<std::pair<std::string, std::string>, FunctionDef> functions;
  for (auto fb : function_bytes) {
    FunctionDef f = ParseFunction(proto::Reader(fb, "FunctionProto"), ctx);
    functions[{f.domain, f.name}] = std::move(f);
  }
  m.graph = ParseGraph(proto::Reader(graph_bytes, "GraphProto"), ctx, 0);
  int counter = 0;
  InlineFunctions(*m.graph, functions, counter);
  m.metadata.graph_name = m.graph->name;
  m.metadata.graph_description = m.graph->doc_string;
  return m;
}

}  // namespace

Model LoadModelFromBytes(const void* data, size_t size, const std::string& model_dir) {
  return LoadModel(data, size, model_dir, nullptr);
}

Model LoadModelFromFile(const std::string& path) {
  const FileBytes bytes(path);
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  return LoadModel(bytes.data(), bytes.size(), dir, &bytes);
}

}  // namespace onyx
