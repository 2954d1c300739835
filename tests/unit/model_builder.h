#pragma once
// Writes ONNX ModelProto bytes for tests: a protobuf wire writer plus a small model builder.
// Also used to make malformed models on purpose (raw field control).
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "model/model_loader.h"
#include "model/proto_writer.h"
#include "onyx/tensor.h"

namespace onyx::testing {

using ProtoWriter = proto::Writer;

using DimSpec = std::variant<int64_t, std::string>;

inline ProtoWriter TensorTypeProto(DataType dt, const std::vector<DimSpec>& shape, bool has_shape = true) {
  ProtoWriter tt;
  tt.Varint(1, static_cast<uint64_t>(dt));
  if (has_shape) {
    ProtoWriter sh;
    for (const auto& d : shape) {
      ProtoWriter dim;
      if (std::holds_alternative<int64_t>(d)) dim.Varint(1, static_cast<uint64_t>(std::get<int64_t>(d)));
      else dim.Bytes(2, std::get<std::string>(d));
      sh.Message(1, dim);
    }
    tt.Message(2, sh);
  }
  ProtoWriter type;
  type.Message(1, tt);
  return type;
}

inline std::string TensorProtoOf(const std::string& name, const Tensor& t) { return SerializeTensor(name, t); }

struct AttrSpec {
  std::string name;
  ProtoWriter proto;  // AttributeProto without the name
};
inline AttrSpec IntAttribute(const std::string& n, int64_t v) {
  ProtoWriter a;
  a.Bytes(1, n).Varint(20, 2).Varint(3, static_cast<uint64_t>(v));
  return {n, a};
}
inline AttrSpec FloatAttribute(const std::string& n, float v) {
  ProtoWriter a;
  a.Bytes(1, n).Varint(20, 1).Float(2, v);
  return {n, a};
}
inline AttrSpec IntsAttribute(const std::string& n, const std::vector<int64_t>& v) {
  ProtoWriter a;
  a.Bytes(1, n).Varint(20, 7);
  for (int64_t x : v) a.Varint(8, static_cast<uint64_t>(x));
  return {n, a};
}
inline AttrSpec FloatsAttribute(const std::string& n, const std::vector<float>& v) {
  ProtoWriter a;
  a.Bytes(1, n).Varint(20, 6);
  for (float x : v) a.Float(7, x);
  return {n, a};
}
inline AttrSpec TensorAttribute(const std::string& n, const Tensor& t) {
  ProtoWriter a;
  a.Bytes(1, n).Varint(20, 4).Bytes(5, TensorProtoOf("", t));
  return {n, a};
}
inline AttrSpec GraphAttribute(const std::string& n, const ProtoWriter& graph) {
  ProtoWriter a;
  a.Bytes(1, n).Varint(20, 5).Message(6, graph);
  return {n, a};
}

class GraphBuilder {
 public:
  GraphBuilder& Name(const std::string& n) {
    g_.Bytes(2, n);
    return *this;
  }
  GraphBuilder& Input(const std::string& n, DataType dt, const std::vector<DimSpec>& shape) {
    ProtoWriter vi;
    vi.Bytes(1, n).Message(2, TensorTypeProto(dt, shape));
    g_.Message(11, vi);
    return *this;
  }
  GraphBuilder& Output(const std::string& n, DataType dt, const std::vector<DimSpec>& shape = {}, bool has_shape = false) {
    ProtoWriter vi;
    vi.Bytes(1, n).Message(2, TensorTypeProto(dt, shape, has_shape));
    g_.Message(12, vi);
    return *this;
  }
  GraphBuilder& Initializer(const std::string& n, const Tensor& t) {
    g_.Bytes(5, TensorProtoOf(n, t));
    return *this;
  }
  GraphBuilder& Node(const std::string& op, const std::vector<std::string>& ins, const std::vector<std::string>& outs,
                     const std::vector<AttrSpec>& attrs = {}, const std::string& name = "", const std::string& domain = "") {
    ProtoWriter n;
    for (const auto& i : ins) n.Bytes(1, i);
    for (const auto& o : outs) n.Bytes(2, o);
    if (!name.empty()) n.Bytes(3, name);
    n.Bytes(4, op);
    if (!domain.empty()) n.Bytes(7, domain);
    for (const auto& a : attrs) n.Message(5, a.proto);
    g_.Message(1, n);
    return *this;
  }
  GraphBuilder& Raw(uint32_t field, const std::string& bytes) {
    g_.Bytes(field, bytes);
    return *this;
  }
  const ProtoWriter& proto() const { return g_; }

 private:
  ProtoWriter g_;
};

// A ModelProto with ir_version 8, producer "onyx-tests" and the given ai.onnx opset.
inline std::string BuildModel(const GraphBuilder& g, int64_t opset = 17,
                              const std::map<std::string, std::string>& metadata = {},
                              const std::vector<ProtoWriter>& functions = {}, const std::map<std::string, int64_t>& extra_opsets = {}) {
  ProtoWriter m;
  m.Varint(1, 8).Bytes(2, "onyx-tests").Bytes(3, "1.0").Bytes(4, "test.domain").Varint(5, 3).Bytes(6, "a test model");
  ProtoWriter op;
  op.Bytes(1, "").Varint(2, static_cast<uint64_t>(opset));
  m.Message(8, op);
  for (const auto& [d, v] : extra_opsets) {
    ProtoWriter o;
    o.Bytes(1, d).Varint(2, static_cast<uint64_t>(v));
    m.Message(8, o);
  }
  m.Message(7, g.proto());
  for (const auto& [k, v] : metadata) {
    ProtoWriter e;
    e.Bytes(1, k).Bytes(2, v);
    m.Message(14, e);
  }
  for (const auto& f : functions) m.Message(25, f);
  return m.str();
}

}  // namespace onyx::testing
