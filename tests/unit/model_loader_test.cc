#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "model/model_loader.h"
#include "onyx/error.h"
#include "model_builder.h"

using namespace onyx;
using namespace onyx::testing;
namespace fs = std::filesystem;

namespace {

std::string SimpleModel() {
  GraphBuilder g;
  g.Name("g").Input("x", DataType::Float, {std::string("N"), int64_t(3)}).Output("y", DataType::Float);
  g.Node("Relu", {"x"}, {"y"}, {}, "relu1");
  return BuildModel(g, 17, {{"author", "me"}});
}

Error LoadError(const std::string& bytes, const std::string& dir = "") {
  try {
    LoadModelFromBytes(bytes.data(), bytes.size(), dir);
  } catch (const Error& e) {
    return e;
  }
  return Error(ErrorCode::Fail, "no error");
}

}  // namespace

TEST(ModelLoader, ParsesMetadataInputsAndNodes) {
  std::string bytes = SimpleModel();
  Model m = LoadModelFromBytes(bytes.data(), bytes.size());
  EXPECT_EQ(m.metadata.producer_name, "onyx-tests");
  EXPECT_EQ(m.metadata.producer_version, "1.0");
  EXPECT_EQ(m.metadata.domain, "test.domain");
  EXPECT_EQ(m.metadata.version, 3);
  EXPECT_EQ(m.metadata.description, "a test model");
  EXPECT_EQ(m.metadata.graph_name, "g");
  EXPECT_EQ(m.metadata.custom_metadata_map.at("author"), "me");
  EXPECT_EQ(m.metadata.opset_imports.at(""), 17);
  ASSERT_EQ(m.graph->inputs.size(), 1u);
  const ValueInfo& x = m.graph->inputs[0];
  EXPECT_EQ(x.type_string, "tensor(float)");
  ASSERT_EQ(x.shape.size(), 2u);
  EXPECT_TRUE(x.shape[0].is_symbolic());
  EXPECT_EQ(x.shape[0].symbol, "N");
  EXPECT_EQ(x.shape[1].value, 3);
  ASSERT_EQ(m.graph->nodes.size(), 1u);
  EXPECT_EQ(m.graph->nodes[0].op_type, "Relu");
  EXPECT_EQ(m.graph->nodes[0].opset, 17);
  EXPECT_FALSE(m.graph->outputs[0].has_shape);
}

TEST(ModelLoader, TruncatedAndGarbageBytesAreInvalidProtobuf) {
  std::string bytes = SimpleModel();
  for (size_t cut : {size_t(1), size_t(5), bytes.size() / 2, bytes.size() - 1}) {
    Error e = LoadError(bytes.substr(0, cut));
    EXPECT_EQ(e.code(), ErrorCode::InvalidProtobuf) << "cut at " << cut << ": " << e.what();
  }
  EXPECT_EQ(LoadError("this is not a model").code(), ErrorCode::InvalidProtobuf);
  EXPECT_EQ(LoadError(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11)).code(), ErrorCode::InvalidProtobuf);
  EXPECT_THROW(LoadModelFromBytes(nullptr, 0), Error);
}

TEST(ModelLoader, TensorDataFieldsAndRawData) {
  // int64_data (field 7, packed) and float_data (field 4, packed), and raw_data.
  ProtoWriter t;
  t.Varint(1, 3).Varint(2, static_cast<uint64_t>(DataType::Int64)).PackedVarints(7, {5, -2, 7}).Bytes(8, "w");
  std::string raw = t.str();
  Tensor parsed = LoadTensorProto(raw.data(), raw.size());
  ASSERT_EQ(parsed.size(), 3);
  EXPECT_EQ(parsed.data<int64_t>()[0], 5);
  EXPECT_EQ(parsed.data<int64_t>()[1], -2);
  EXPECT_EQ(parsed.data<int64_t>()[2], 7);

  Tensor f(DataType::Float, {2});
  f.data<float>()[0] = 1.5f;
  f.data<float>()[1] = -3.f;
  std::string fb = TensorProtoOf("f", f);
  std::string name;
  Tensor g = LoadTensorProto(fb.data(), fb.size(), "", &name);
  EXPECT_EQ(name, "f");
  EXPECT_EQ(g.data<float>()[1], -3.f);
}

TEST(ModelLoader, RawDataOfWrongLengthIsRejected) {
  ProtoWriter t;
  t.Varint(1, 4).Varint(2, static_cast<uint64_t>(DataType::Float)).Bytes(8, "w").Bytes(9, std::string(12, '\0'));
  std::string b = t.str();
  try {
    LoadTensorProto(b.data(), b.size());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidGraph);
    EXPECT_NE(std::string(e.what()).find("needs 16 bytes"), std::string::npos) << e.what();
  }
}

TEST(ModelLoader, HugeDimsAreRejectedBeforeAllocating) {
  ProtoWriter t;
  t.Varint(1, uint64_t(1) << 40).Varint(1, uint64_t(1) << 40).Varint(2, static_cast<uint64_t>(DataType::Float)).Bytes(9, "");
  std::string b = t.str();
  EXPECT_THROW(LoadTensorProto(b.data(), b.size()), Error);
  ProtoWriter neg;
  neg.Varint(1, static_cast<uint64_t>(int64_t(-3))).Varint(2, 1);
  b = neg.str();
  EXPECT_THROW(LoadTensorProto(b.data(), b.size()), Error);
}

TEST(ModelLoader, Float16AndBoolInInt32Data) {
  ProtoWriter t;
  t.Varint(1, 2).Varint(2, static_cast<uint64_t>(DataType::Float16)).Varint(5, 0x3c00).Varint(5, 0xc000);
  std::string b = t.str();
  Tensor h = LoadTensorProto(b.data(), b.size());
  EXPECT_EQ(h.data<uint16_t>()[0], 0x3c00);
  EXPECT_EQ(h.data<uint16_t>()[1], 0xc000);
}

TEST(ModelLoader, StringTensors) {
  ProtoWriter t;
  t.Varint(1, 2).Varint(2, static_cast<uint64_t>(DataType::String)).Bytes(6, "ab").Bytes(6, "");
  std::string b = t.str();
  Tensor s = LoadTensorProto(b.data(), b.size());
  EXPECT_EQ(s.data<std::string>()[0], "ab");
  EXPECT_EQ(s.data<std::string>()[1], "");
}

class ExternalDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("onyx_ext_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "model");
    fs::create_directories(root_ / "outside");
    std::ofstream(root_ / "model" / "weights.bin", std::ios::binary).write("\0\0\x80\x3f\0\0\0\x40", 8);  // 1.0f, 2.0f
    std::ofstream(root_ / "outside" / "secret.bin", std::ios::binary).write("\0\0\x80\x3f\0\0\0\x40", 8);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string ModelWithExternal(const std::string& location, int64_t offset = 0, int64_t length = 8) {
    ProtoWriter t;
    t.Varint(1, 2).Varint(2, static_cast<uint64_t>(DataType::Float)).Bytes(8, "w").Varint(14, 1);
    auto entry = [&](const std::string& k, const std::string& v) {
      ProtoWriter e;
      e.Bytes(1, k).Bytes(2, v);
      t.Message(13, e);
    };
    entry("location", location);
    entry("offset", std::to_string(offset));
    entry("length", std::to_string(length));
    GraphBuilder g;
    g.Input("x", DataType::Float, {int64_t(2)}).Output("y", DataType::Float);
    g.Raw(5, t.str());
    g.Node("Add", {"x", "w"}, {"y"});
    return BuildModel(g);
  }
  Error LoadFileError(const std::string& bytes) {
    fs::path p = root_ / "model" / "m.onnx";
    std::ofstream(p, std::ios::binary) << bytes;
    try {
      LoadModelFromFile(p.string());
    } catch (const Error& e) {
      return e;
    }
    return Error(ErrorCode::Fail, "no error");
  }
  fs::path root_;
};

TEST_F(ExternalDataTest, ReadsDataInsideTheModelFolder) {
  std::string bytes = ModelWithExternal("weights.bin");
  fs::path p = root_ / "model" / "m.onnx";
  std::ofstream(p, std::ios::binary) << bytes;
  Model m = LoadModelFromFile(p.string());
  const Tensor& w = m.graph->initializers.at("w");
  EXPECT_EQ(w.data<float>()[0], 1.0f);
  EXPECT_EQ(w.data<float>()[1], 2.0f);
}

TEST_F(ExternalDataTest, RefusesEscapes) {
  EXPECT_EQ(LoadFileError(ModelWithExternal((root_ / "outside" / "secret.bin").string())).code(), ErrorCode::InvalidGraph);
  EXPECT_EQ(LoadFileError(ModelWithExternal("../outside/secret.bin")).code(), ErrorCode::InvalidGraph);
  EXPECT_EQ(LoadFileError(ModelWithExternal("sub/../../outside/secret.bin")).code(), ErrorCode::InvalidGraph);
  fs::create_symlink(root_ / "outside" / "secret.bin", root_ / "model" / "link.bin");
  Error e = LoadFileError(ModelWithExternal("link.bin"));
  EXPECT_EQ(e.code(), ErrorCode::InvalidGraph);
  EXPECT_NE(std::string(e.what()).find("outside"), std::string::npos) << e.what();
}

TEST_F(ExternalDataTest, ChecksOffsetAndLength) {
  EXPECT_EQ(LoadFileError(ModelWithExternal("weights.bin", 4, 8)).code(), ErrorCode::InvalidGraph);
  EXPECT_EQ(LoadFileError(ModelWithExternal("weights.bin", 0, 4)).code(), ErrorCode::InvalidGraph);
  EXPECT_EQ(LoadFileError(ModelWithExternal("weights.bin", -1, 8)).code(), ErrorCode::InvalidGraph);
  EXPECT_EQ(LoadFileError(ModelWithExternal("missing.bin")).code(), ErrorCode::NoSuchFile);
}

TEST_F(ExternalDataTest, RefusedWhenLoadedFromBytes) {
  std::string bytes = ModelWithExternal("weights.bin");
  EXPECT_EQ(LoadError(bytes).code(), ErrorCode::InvalidGraph);
}

TEST(ModelLoader, MissingFileIsNoSuchFile) {
  try {
    LoadModelFromFile("/nonexistent/model.onnx");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NoSuchFile);
  }
}

TEST(ModelLoader, SubgraphAttributesAndOuterScope) {
  GraphBuilder then_g, else_g;
  then_g.Name("then").Output("t_out", DataType::Float).Node("Identity", {"x"}, {"t_out"});
  else_g.Name("else").Output("e_out", DataType::Float).Node("Neg", {"x"}, {"e_out"});
  GraphBuilder g;
  g.Input("cond", DataType::Bool, {}).Input("x", DataType::Float, {int64_t(2)}).Output("y", DataType::Float);
  g.Node("If", {"cond"}, {"y"}, {GraphAttribute("then_branch", then_g.proto()), GraphAttribute("else_branch", else_g.proto())});
  std::string bytes = BuildModel(g);
  Model m = LoadModelFromBytes(bytes.data(), bytes.size());
  const Attribute* a = m.graph->nodes[0].FindAttribute("then_branch");
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->g);
  EXPECT_EQ(a->g->OuterScopeReads(), std::vector<std::string>{"x"});
  EXPECT_EQ(a->g->nodes[0].opset, 17);
  EXPECT_NO_THROW(m.graph->SortAndValidate());
}

TEST(ModelLoader, InlinesModelLocalFunctions) {
  // function custom.Double(a) -> b { b = Add(a, a) }, with an attribute reference unused.
  ProtoWriter body;
  body.Bytes(1, "a").Bytes(1, "a").Bytes(2, "b").Bytes(4, "Add");
  ProtoWriter f;
  f.Bytes(1, "Double").Bytes(4, "a").Bytes(5, "b").Message(7, body).Bytes(10, "custom");
  ProtoWriter op;
  op.Bytes(1, "").Varint(2, 17);
  f.Message(9, op);
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(2)}).Output("y", DataType::Float);
  g.Node("Double", {"x"}, {"mid"}, {}, "d1", "custom").Node("Double", {"mid"}, {"y"}, {}, "d2", "custom");
  std::string bytes = BuildModel(g, 17, {}, {f}, {{"custom", 1}});
  Model m = LoadModelFromBytes(bytes.data(), bytes.size());
  ASSERT_EQ(m.graph->nodes.size(), 2u);
  EXPECT_EQ(m.graph->nodes[0].op_type, "Add");
  EXPECT_EQ(m.graph->nodes[0].inputs[0], "x");
  EXPECT_EQ(m.graph->nodes[0].outputs[0], "mid");
  EXPECT_EQ(m.graph->nodes[1].outputs[0], "y");
}

TEST(ModelLoader, DeeplyNestedSubgraphsAreRefused) {
  GraphBuilder inner;
  inner.Output("o", DataType::Float).Node("Identity", {"x"}, {"o"});
  ProtoWriter cur = inner.proto();
  for (int i = 0; i < 80; ++i) {  // 80 levels, past the limit of 64
    GraphBuilder g;
    g.Output("o", DataType::Float).Node("If", {"c"}, {"o"}, {GraphAttribute("then_branch", cur), GraphAttribute("else_branch", inner.proto())});
    cur = g.proto();
  }
  GraphBuilder top;
  top.Input("c", DataType::Bool, {}).Input("x", DataType::Float, {}).Output("o", DataType::Float);
  top.Node("If", {"c"}, {"o"}, {GraphAttribute("then_branch", cur), GraphAttribute("else_branch", inner.proto())});
  std::string bytes = BuildModel(top);
  EXPECT_EQ(LoadError(bytes).code(), ErrorCode::InvalidGraph);
}

TEST(ModelWriter, RoundTripsGraphsAttributesAndTensors) {
  Tensor b(DataType::Float, {3});
  b.data<float>()[2] = 4.5f;
  Tensor s(DataType::String, {1});
  s.data<std::string>()[0] = "hi";
  GraphBuilder then_g;
  then_g.Name("then").Output("t", DataType::Float).Node("Identity", {"x"}, {"t"});
  GraphBuilder g;
  g.Name("main").Input("x", DataType::Float, {std::string("N"), int64_t(3)}).Input("c", DataType::Bool, {});
  g.Initializer("b", b).Initializer("s", s).Output("y", DataType::Float);
  g.Node("If", {"c"}, {"y"}, {GraphAttribute("then_branch", then_g.proto()), GraphAttribute("else_branch", then_g.proto()),
                              IntsAttribute("unused_ints", {1, -2}), FloatAttribute("unused_f", 0.25f)});
  std::string bytes = BuildModel(g, 17, {{"k", "v"}});
  Model m = LoadModelFromBytes(bytes.data(), bytes.size());
  std::string saved = SerializeModel(*m.graph, m.metadata);
  Model r = LoadModelFromBytes(saved.data(), saved.size());
  EXPECT_EQ(r.metadata.producer_name, "onyx-tests");
  EXPECT_EQ(r.metadata.custom_metadata_map.at("k"), "v");
  EXPECT_EQ(r.metadata.opset_imports.at(""), 17);
  EXPECT_EQ(r.graph->inputs[0].shape[0].symbol, "N");
  EXPECT_EQ(r.graph->initializers.at("b").data<float>()[2], 4.5f);
  EXPECT_EQ(r.graph->initializers.at("s").data<std::string>()[0], "hi");
  const Node& n = r.graph->nodes.at(0);
  EXPECT_EQ(n.FindAttribute("unused_ints")->ints, (std::vector<int64_t>{1, -2}));
  EXPECT_EQ(n.FindAttribute("unused_f")->f, 0.25f);
  EXPECT_EQ(n.FindAttribute("then_branch")->g->nodes.at(0).op_type, "Identity");
  EXPECT_EQ(SerializeModel(*r.graph, r.metadata), saved);  // stable
}

// Model files are mapped, not read: the bytes are the file's, an empty file has none, and a
// missing file or a directory is NoSuchFile as before.
TEST(ModelLoader, FileBytesMapsTheWholeFile) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("onyx_filebytes_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string content = std::string("onyx\0bytes", 10) + std::string(100000, 'x');
  {
    std::ofstream(dir / "f.bin", std::ios::binary) << content;
    std::ofstream(dir / "empty.bin", std::ios::binary);
  }
  {
    FileBytes f((dir / "f.bin").string());
    ASSERT_EQ(f.size(), content.size());
    EXPECT_EQ(std::string(f.data(), f.size()), content);
    FileBytes e((dir / "empty.bin").string());
    EXPECT_EQ(e.size(), 0u);
  }
  try {
    FileBytes missing((dir / "missing.onnx").string());
    ADD_FAILURE() << "no error for a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NoSuchFile);
  }
  try {
    FileBytes d(dir.string());
    ADD_FAILURE() << "no error for a directory";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NoSuchFile);
  }
  std::filesystem::remove_all(dir);
}
