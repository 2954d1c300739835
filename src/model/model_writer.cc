// IR -> ModelProto, for SessionOptions.optimized_model_filepath: the optimized graph is saved
// as a plain ONNX model that other runtimes can load.
#include <fstream>
#include <map>

#include "model/model_loader.h"
#include "model/proto_writer.h"
#include "onyx/error.h"

namespace onyx {

namespace {

using proto::Writer;

Writer TensorProtoOf(const std::string& name, const Tensor& t) {
  Writer p;
  p.PackedVarints(1, t.shape());
  p.Varint(2, static_cast<uint64_t>(t.dtype()));
  if (!name.empty()) p.Bytes(8, name);
  if (t.dtype() == DataType::String) {
    for (int64_t i = 0; i < t.size(); ++i) p.Bytes(6, t.data<std::string>()[i]);
  } else if (const int bits = PackedBits(t.dtype())) {
    const int64_t per = 8 / bits;
    const unsigned mask = (1u << bits) - 1;
    std::string packed(static_cast<size_t>((t.size() + per - 1) / per), '\0');
    for (int64_t i = 0; i < t.size(); ++i)
      packed[static_cast<size_t>(i / per)] |= static_cast<char>((t.data<uint8_t>()[i] & mask) << ((i % per) * bits));
    p.Bytes(9, packed);
  } else {
    p.Bytes(9, t.raw_data(), t.nbytes());
  }
  return p;
}

Writer TypeProtoOf(const ValueInfo& vi) {
  Writer tensor;
  tensor.Varint(1, static_cast<uint64_t>(vi.dtype));
  if (vi.has_shape) {
    Writer shape;
    for (const auto& d : vi.shape) {
      Writer dim;
      if (d.is_fixed()) dim.Varint(1, static_cast<uint64_t>(d.value));
      else if (d.is_symbolic()) dim.Bytes(2, d.symbol);
      shape.Message(1, dim);
    }
    tensor.Message(2, shape);
  }
  Writer type;
  if (vi.kind == ValueInfo::Kind::Sequence || vi.kind == ValueInfo::Kind::Optional) {
    Writer inner_type;
    inner_type.Message(1, tensor);
    Writer wrap;
    wrap.Message(1, inner_type);
    type.Message(vi.kind == ValueInfo::Kind::Sequence ? 4 : 9, wrap);
  } else {
    type.Message(1, tensor);
  }
  return type;
}

Writer ValueInfoOf(const ValueInfo& vi) {
  Writer w;
  w.Bytes(1, vi.name);
  if (vi.kind != ValueInfo::Kind::Unknown && vi.kind != ValueInfo::Kind::Map) w.Message(2, TypeProtoOf(vi));
  return w;
}

Writer GraphProtoOf(const Graph& g);

Writer AttributeOf(const std::string& name, const Attribute& a) {
  Writer w;
  w.Bytes(1, name);
  switch (a.type) {
    case Attribute::Type::Float: w.Varint(20, 1).Float(2, a.f); break;
    case Attribute::Type::Int: w.Varint(20, 2).Varint(3, static_cast<uint64_t>(a.i)); break;
    case Attribute::Type::String: w.Varint(20, 3).Bytes(4, a.s); break;
    case Attribute::Type::Tensor: w.Varint(20, 4).Message(5, TensorProtoOf("", a.t)); break;
    case Attribute::Type::Graph: w.Varint(20, 5).Message(6, GraphProtoOf(*a.g)); break;
    case Attribute::Type::Floats: w.Varint(20, 6).PackedFloats(7, a.floats); break;
    case Attribute::Type::Ints: w.Varint(20, 7).PackedVarints(8, a.ints); break;
    case Attribute::Type::Strings:
      w.Varint(20, 8);
      for (const auto& s : a.strings) w.Bytes(9, s);
      break;
    case Attribute::Type::Tensors:
      w.Varint(20, 9);
      for (const auto& t : a.tensors) w.Message(10, TensorProtoOf("", t));
      break;
    case Attribute::Type::Graphs:
      w.Varint(20, 10);
      for (const auto& sg : a.graphs) w.Message(11, GraphProtoOf(*sg));
      break;
    case Attribute::Type::TypeProto: w.Varint(20, 13).Message(14, TypeProtoOf(a.type_proto)); break;
    default: throw Error(ErrorCode::NotImplemented, "cannot save attribute '" + name + "' of undefined type");
  }
  return w;
}

Writer GraphProtoOf(const Graph& g) {
  Writer w;
  for (const auto& n : g.nodes) {
    Writer node;
    for (const auto& i : n.inputs) node.Bytes(1, i);
    for (const auto& o : n.outputs) node.Bytes(2, o);
    if (!n.name.empty()) node.Bytes(3, n.name);
    node.Bytes(4, n.op_type);
    if (!n.domain.empty()) node.Bytes(7, n.domain);
    for (const auto& [an, a] : n.attributes) node.Message(5, AttributeOf(an, a));
    w.Message(1, node);
  }
  if (!g.name.empty()) w.Bytes(2, g.name);
  // Initializers in name order so that saving is deterministic.
  std::map<std::string, const Tensor*> inits;
  for (const auto& [n, t] : g.initializers) inits[n] = &t;
  for (const auto& [n, t] : inits) w.Message(5, TensorProtoOf(n, *t));
  if (!g.doc_string.empty()) w.Bytes(10, g.doc_string);
  for (const auto& vi : g.inputs) w.Message(11, ValueInfoOf(vi));
  for (const auto& vi : g.outputs) w.Message(12, ValueInfoOf(vi));
  // Inference leaves the element type of some values open (ops without a rule); such a value
  // info says nothing, and onnxruntime rejects a model with element type 0.
  for (const auto& vi : g.value_info)
    if (vi.dtype != DataType::Undefined) w.Message(13, ValueInfoOf(vi));
  return w;
}

}  // namespace

std::string SerializeTensor(const std::string& name, const Tensor& t) { return TensorProtoOf(name, t).str(); }

std::string SerializeModel(const Graph& graph, const ModelMetadata& md) {
  Writer m;
  m.Varint(1, static_cast<uint64_t>(md.ir_version > 0 ? md.ir_version : 8));
  if (!md.producer_name.empty()) m.Bytes(2, md.producer_name);
  if (!md.producer_version.empty()) m.Bytes(3, md.producer_version);
  if (!md.domain.empty()) m.Bytes(4, md.domain);
  if (md.version) m.Varint(5, static_cast<uint64_t>(md.version));
  if (!md.description.empty()) m.Bytes(6, md.description);
  m.Message(7, GraphProtoOf(graph));
  // The model's imports plus domains that passes introduced (com.microsoft fused ops).
  std::map<std::string, int64_t> imports = md.opset_imports;
  for (const auto& [d, v] : graph.opsets) imports.emplace(d, v);
  for (const auto& [d, v] : imports) {
    Writer op;
    op.Bytes(1, d).Varint(2, static_cast<uint64_t>(v));
    m.Message(8, op);
  }
  for (const auto& [k, v] : md.custom_metadata_map) {
    Writer e;
    e.Bytes(1, k).Bytes(2, v);
    m.Message(14, e);
  }
  return m.str();
}

void SaveModel(const Graph& graph, const ModelMetadata& md, const std::string& path) {
  std::string bytes = SerializeModel(graph, md);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw Error(ErrorCode::NoSuchFile, "cannot write the optimized model to '" + path + "'");
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw Error(ErrorCode::Fail, "writing the optimized model to '" + path + "' failed");
}

}  // namespace onyx
