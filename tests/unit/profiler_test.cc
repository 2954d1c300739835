#include <gtest/gtest.h>

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <memory>
#include <sstream>
#include <thread>

#include "model_builder.h"
#include "onyx/onyx.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

// Just enough JSON to check a trace: a parse failure fails the test.
struct Json {
  enum class Kind { Null, Bool, Number, String, Array, Object } kind = Kind::Null;
  double number = 0;
  std::string str;
  std::vector<Json> items;
  std::map<std::string, Json> members;
  const Json& operator[](const std::string& k) const {
    static const Json none;
    auto it = members.find(k);
    return it == members.end() ? none : it->second;
  }
  bool has(const std::string& k) const { return members.count(k) > 0; }
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : s_(text) {}
  Json ParseDocument() {
    Json j = Parse();
    Skip();
    if (i_ != s_.size()) throw std::runtime_error("trailing characters at " + std::to_string(i_));
    return j;
  }

 private:
  void Skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  char Peek() {
    Skip();
    if (i_ >= s_.size()) throw std::runtime_error("unexpected end");
    return s_[i_];
  }
  void Expect(char c) {
    if (Peek() != c) throw std::runtime_error(std::string("expected '") + c + "' at " + std::to_string(i_));
    ++i_;
  }
  std::string String() {
    Expect('"');
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (static_cast<unsigned char>(c) < 0x20) throw std::runtime_error("control character in a string");
      if (c == '\\') {
        char e = s_.at(i_++);
        if (e == 'u') {
          out += static_cast<char>(std::stoi(s_.substr(i_, 4), nullptr, 16));
          i_ += 4;
        } else {
          out += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
        }
      } else {
        out += c;
      }
    }
    Expect('"');
    return out;
  }
  Json Parse() {
    Json j;
    const char c = Peek();
    if (c == '{') {
      j.kind = Json::Kind::Object;
      ++i_;
      if (Peek() == '}') return ++i_, j;
      for (;;) {
        std::string k = String();
        Expect(':');
        j.members[k] = Parse();
        if (Peek() == '}') return ++i_, j;
        Expect(',');
      }
    }
    if (c == '[') {
      j.kind = Json::Kind::Array;
      ++i_;
      if (Peek() == ']') return ++i_, j;
      for (;;) {
        j.items.push_back(Parse());
        if (Peek() == ']') return ++i_, j;
        Expect(',');
      }
    }
    if (c == '"') {
      j.kind = Json::Kind::String;
      j.str = String();
      return j;
    }
    for (const char* word : {"true", "false", "null"}) {
      if (s_.compare(i_, std::strlen(word), word) == 0) {
        i_ += std::strlen(word);
        j.kind = word[0] == 'n' ? Json::Kind::Null : Json::Kind::Bool;
        return j;
      }
    }
    size_t used = 0;
    j.number = std::stod(s_.substr(i_, 32), &used);
    if (used == 0) throw std::runtime_error("bad value at " + std::to_string(i_));
    i_ += used;
    j.kind = Json::Kind::Number;
    return j;
  }
  const std::string& s_;
  size_t i_ = 0;
};

Json LoadTrace(const std::string& path) {
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << path;
  std::stringstream ss;
  ss << f.rdbuf();
  Json j = JsonParser(ss.str()).ParseDocument();
  EXPECT_EQ(j.kind, Json::Kind::Array);
  return j;
}

// s = Add(x, b); y = Relu(s); z = Neg(x); x: float [N, 3], b: float [3]
std::string AddReluModel(const std::string& add_name = "add") {
  Tensor b(DataType::Float, {3});
  GraphBuilder g;
  g.Name("main").Input("x", DataType::Float, {std::string("N"), int64_t(3)}).Initializer("b", b);
  g.Output("y", DataType::Float).Output("z", DataType::Float);
  g.Node("Add", {"x", "b"}, {"s"}, {}, add_name).Node("Relu", {"s"}, {"y"}, {}, "relu").Node("Neg", {"x"}, {"z"}, {}, "neg");
  return BuildModel(g);
}

std::string TempPrefix(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("onyx_profiler_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

SessionOptions ProfilingOptions(const std::string& prefix) {
  SessionOptions o;
  o.intra_op_num_threads = 1;
  o.graph_optimization_level = GraphOptimizationLevel::DisableAll;
  o.enable_profiling = true;
  o.profile_file_prefix = TempPrefix(prefix);
  return o;
}

std::map<std::string, int> CountNames(const Json& trace) {
  std::map<std::string, int> n;
  for (const auto& e : trace.items) ++n[e["name"].str];
  return n;
}

std::string Shapes(const Json& list) {  // [{"float":[2,3]}] -> "float[2,3]"
  std::string s;
  for (const auto& item : list.items)
    for (const auto& [type, dims] : item.members) {
      s += (s.empty() ? "" : " ") + type + "[";
      for (size_t i = 0; i < dims.items.size(); ++i) s += (i ? "," : "") + std::to_string(static_cast<int64_t>(dims.items[i].number));
      s += "]";
    }
  return s;
}

}  // namespace

TEST(Profiler, OneEventPerNodePerRunInOnnxruntimeFormat) {
  const std::string bytes = AddReluModel();
  const auto before_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  Session s(bytes.data(), bytes.size(), ProfilingOptions("basic"));
  const int64_t start_ns = s.ProfilingStartTimeNs();
  EXPECT_GE(start_ns, before_ns);
  EXPECT_LT(start_ns - before_ns, int64_t{60} * 1000 * 1000 * 1000);
  float x[6] = {-1, 0, 1, 2, 3, -4};
  for (int r = 0; r < 3; ++r) s.Run({{"x", Tensor::Borrow(DataType::Float, {2, 3}, x)}});
  const std::string path = s.EndProfiling();
  ASSERT_FALSE(path.empty());
  EXPECT_NE(path.find("basic_"), std::string::npos);
  EXPECT_EQ(path.substr(path.size() - 5), ".json");
  EXPECT_EQ(s.EndProfiling(), "");  // once only, as onnxruntime
  s.Run({{"x", Tensor::Borrow(DataType::Float, {2, 3}, x)}});  // after the end: not recorded, no error

  const Json trace = LoadTrace(path);
  auto names = CountNames(trace);
  EXPECT_EQ(names["model_loading_array"], 1);
  EXPECT_EQ(names["session_initialization"], 1);
  EXPECT_EQ(names["model_run"], 3);
  EXPECT_EQ(names["add_kernel_time"], 3);
  EXPECT_EQ(names["relu_kernel_time"], 3);
  EXPECT_EQ(names["neg_kernel_time"], 3);
  EXPECT_EQ(trace.items.size(), 2u + 3u * 4u);
  for (const auto& e : trace.items) {
    EXPECT_EQ(e["ph"].str, "X");
    EXPECT_GE(e["ts"].number, 0);
    EXPECT_GE(e["dur"].number, 0);
    EXPECT_GT(e["tid"].number, 0);
    EXPECT_EQ(e["pid"].number, static_cast<double>(::getpid()));
    const std::string& cat = e["cat"].str;
    ASSERT_TRUE(cat == "Session" || cat == "Node") << cat;
    if (cat != "Node") continue;
    const Json& a = e["args"];
    EXPECT_EQ(a["provider"].str, "CPUExecutionProvider");
    EXPECT_FALSE(a.has("timing"));  // CPU durations are the real ones
    const std::string& op = a["op_name"].str;
    if (op == "Add") {
      EXPECT_EQ(e["name"].str, "add_kernel_time");
      EXPECT_EQ(Shapes(a["input_type_shape"]), "float[2,3] float[3]");
      EXPECT_EQ(Shapes(a["output_type_shape"]), "float[2,3]");
      EXPECT_EQ(a["parameter_size"].str, "12");  // b, an initializer
      EXPECT_EQ(a["activation_size"].str, "24");
      EXPECT_EQ(a["output_size"].str, "24");
      EXPECT_EQ(a["node_index"].str, "0");
    } else if (op == "Relu" || op == "Neg") {
      EXPECT_EQ(Shapes(a["input_type_shape"]), "float[2,3]");
      EXPECT_EQ(Shapes(a["output_type_shape"]), "float[2,3]");
    } else {
      ADD_FAILURE() << "unexpected op " << op;
    }
  }
  // Node events lie inside their run.
  std::vector<std::pair<double, double>> runs;
  for (const auto& e : trace.items)
    if (e["name"].str == "model_run") runs.emplace_back(e["ts"].number, e["ts"].number + e["dur"].number);
  for (const auto& e : trace.items) {
    if (e["cat"].str != "Node") continue;
    bool inside = false;
    for (const auto& [b, end] : runs) inside |= e["ts"].number >= b && e["ts"].number + e["dur"].number <= end;
    EXPECT_TRUE(inside) << e["name"].str;
  }
  std::filesystem::remove(path);
}

TEST(Profiler, OffByDefault) {
  const std::string bytes = AddReluModel();
  Session s(bytes.data(), bytes.size());
  EXPECT_EQ(s.ProfilingStartTimeNs(), 0);
  EXPECT_EQ(s.EndProfiling(), "");
}

TEST(Profiler, EventCountIsCappedAndTheTraceSaysSo) {
  const std::string bytes = AddReluModel();
  SessionOptions o = ProfilingOptions("capped");
  o.profiling_max_events = 5;
  o.log_severity_level = 3;  // the one-time warning is expected here
  Session s(bytes.data(), bytes.size(), o);
  float x[3] = {1, 2, 3};
  for (int r = 0; r < 3; ++r) s.Run({{"x", Tensor::Borrow(DataType::Float, {1, 3}, x)}});
  const std::string path = s.EndProfiling();
  const Json trace = LoadTrace(path);
  ASSERT_EQ(trace.items.size(), 6u);  // 5 kept + the marker
  const Json& marker = trace.items.back();
  EXPECT_EQ(marker["name"].str, "profiling_events_dropped");
  EXPECT_EQ(marker["args"]["dropped_events"].str, std::to_string(2 + 3 * 4 - 5));
  EXPECT_EQ(marker["args"]["max_events"].str, "5");
  std::filesystem::remove(path);
}

TEST(Profiler, ConcurrentRunsAllRecorded) {
  const std::string bytes = AddReluModel();
  Session s(bytes.data(), bytes.size(), ProfilingOptions("concurrent"));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&s, t] {
      std::vector<float> x(3 * (t + 1), 1.f);
      for (int r = 0; r < 10; ++r) s.Run({{"x", Tensor::Borrow(DataType::Float, {t + 1, 3}, x.data())}});
    });
  for (auto& th : threads) th.join();
  const std::string path = s.EndProfiling();
  const Json trace = LoadTrace(path);
  auto names = CountNames(trace);
  EXPECT_EQ(names["model_run"], 40);
  EXPECT_EQ(names["add_kernel_time"], 40);
  // Each node event carries the shape its own run fed, on its own thread.
  std::map<double, std::set<std::string>> shapes_by_thread;
  for (const auto& e : trace.items)
    if (e["name"].str == "neg_kernel_time") shapes_by_thread[e["tid"].number].insert(Shapes(e["args"]["input_type_shape"]));
  EXPECT_EQ(shapes_by_thread.size(), 4u);
  for (const auto& [tid, shapes] : shapes_by_thread) EXPECT_EQ(shapes.size(), 1u);
  std::filesystem::remove(path);
}

TEST(Profiler, DestroyedSessionWritesItsTraceAndNamesAreEscaped) {
  const std::string bytes = AddReluModel("add \"quoted\"\\\n");
  const std::string prefix = ProfilingOptions("destroyed").profile_file_prefix;
  const auto dir = std::filesystem::path(prefix).parent_path();
  for (const auto& f : std::filesystem::directory_iterator(dir))
    if (f.path().filename().string().rfind("destroyed_", 0) == 0) std::filesystem::remove(f.path());
  {
    Session s(bytes.data(), bytes.size(), ProfilingOptions("destroyed"));
    float x[3] = {1, 2, 3};
    s.Run({{"x", Tensor::Borrow(DataType::Float, {1, 3}, x)}});
  }
  std::string path;
  for (const auto& f : std::filesystem::directory_iterator(dir))
    if (f.path().filename().string().rfind("destroyed_", 0) == 0) path = f.path().string();
  ASSERT_FALSE(path.empty());
  auto names = CountNames(LoadTrace(path));
  EXPECT_EQ(names["add \"quoted\"\\\n_kernel_time"], 1);
  std::filesystem::remove(path);
}
