// The `onyx` command: info, run, perf, test.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <random>
#include <sstream>

#include "cli/conformance.h"
#include "cli/provider_args.h"
#include "core/kernel_registry.h"
#include "cli/tensor_files.h"
#include "model/model_loader.h"
#include "onyx/onyx.h"

using namespace onyx;

namespace {

std::string ShapeString(const ValueInfo& vi) {
  if (!vi.has_shape) return "(unknown shape)";
  std::string s = "[";
  for (size_t i = 0; i < vi.shape.size(); ++i) {
    if (i) s += ", ";
    const Dim& d = vi.shape[i];
    s += d.is_fixed() ? std::to_string(d.value) : d.is_symbolic() ? d.symbol : "?";
  }
  return s + "]";
}

void CountOps(const Graph& g, std::map<std::string, int>& hist) {
  for (const auto& n : g.nodes) {
    hist[(n.domain.empty() ? "" : n.domain + ".") + n.op_type]++;
    for (const auto& [k, a] : n.attributes) {
      if (a.g) CountOps(*a.g, hist);
      for (const auto& sg : a.graphs) CountOps(*sg, hist);
    }
  }
}

// `onyx info MODEL --providers cuda`: where a session with these providers runs each node.
int PrintPlacement(const std::string& model, const std::vector<std::string>& providers) {
  SessionOptions o;
  o.providers = providers;
  o.log_severity_level = 3;
  Session s(model, o);
  std::map<std::string, std::map<std::string, int>> per_provider;  // provider -> op -> count
  std::map<std::string, std::string> reasons;                        // op on CPU -> why
  for (const auto& p : s.placement()) {
    ++per_provider[p.provider][p.op_type];
    if (!p.reason.empty()) reasons[p.op_type] = p.reason;
  }
  std::cout << "placement (providers:";
  for (const auto& p : s.providers()) std::cout << " " << p;
  std::cout << "):\n";
  for (const auto& [prov, ops] : per_provider) {
    int total = 0;
    for (const auto& [op, c] : ops) total += c;
    std::cout << "  " << prov << ": " << total << " nodes\n";
    for (const auto& [op, c] : ops) {
      std::cout << "    " << std::setw(6) << c << "  " << op;
      auto r = reasons.find(op);
      if (r != reasons.end() && prov == "CPUExecutionProvider") std::cout << "  (" << r->second << ")";
      std::cout << "\n";
    }
  }
  return 0;
}

int Info(const std::vector<std::string>& all_args) {
  std::vector<std::string> args, providers;
  for (size_t i = 0; i < all_args.size(); ++i) {
    if (all_args[i] == "--providers" && i + 1 < all_args.size()) providers = cli::ParseProviderList(all_args[++i]);
    else args.push_back(all_args[i]);
  }
  if (args.empty()) {
    std::cerr << "usage: onyx info MODEL [--providers cuda,cpu]\n";
    return 2;
  }
  if (!providers.empty()) return PrintPlacement(args[0], providers);
  Model m = LoadModelFromFile(args[0]);
  const auto& md = m.metadata;
  std::cout << "model:      " << args[0] << "\n";
  std::cout << "producer:   " << md.producer_name << (md.producer_version.empty() ? "" : " " + md.producer_version) << "\n";
  std::cout << "ir_version: " << md.ir_version << "\n";
  std::cout << "opsets:    ";
  for (const auto& [d, v] : md.opset_imports) std::cout << " " << (d.empty() ? "ai.onnx" : d) << "=" << v;
  std::cout << "\n";
  if (!md.graph_name.empty()) std::cout << "graph:      " << md.graph_name << "\n";
  if (!md.description.empty()) std::cout << "doc:        " << md.description << "\n";
  for (const auto& [k, v] : md.custom_metadata_map) std::cout << "metadata:   " << k << " = " << v << "\n";
  std::set<std::string> inits;
  for (const auto& [n, t] : m.graph->initializers) inits.insert(n);
  std::cout << "inputs:\n";
  for (const auto& in : m.graph->inputs)
    if (!inits.count(in.name)) std::cout << "  " << in.name << ": " << in.type_string << " " << ShapeString(in) << "\n";
  std::cout << "outputs:\n";
  for (const auto& o : m.graph->outputs) std::cout << "  " << o.name << ": " << o.type_string << " " << ShapeString(o) << "\n";
  int64_t params = 0;
  size_t bytes = 0;
  for (const auto& [n, t] : m.graph->initializers) {
    params += t.size();
    bytes += t.dtype() == DataType::String ? 0 : t.nbytes();
  }
  std::cout << "parameters: " << params << " in " << m.graph->initializers.size() << " initializers, "
            << std::fixed << std::setprecision(2) << bytes / 1e6 << " MB\n";
  std::map<std::string, int> hist;
  CountOps(*m.graph, hist);
  std::vector<std::pair<int, std::string>> sorted;
  int total = 0;
  for (const auto& [op, c] : hist) {
    sorted.emplace_back(-c, op);
    total += c;
  }
  std::sort(sorted.begin(), sorted.end());
  std::cout << "nodes:      " << total << "\n";
  for (const auto& [c, op] : sorted) std::cout << "  " << std::setw(6) << -c << "  " << op << "\n";
  return 0;
}

struct RunArgs {
  std::string model;
  std::vector<std::string> input_files;
  std::map<std::string, int64_t> dims;
  int threads = 0;
  int runs = 20;
  double seconds = 0;
  int level = 99;
  unsigned seed = 0;
  std::vector<std::string> providers;
  std::map<std::string, std::string> provider_options;  // for the first device provider
  std::string output_dir;
  std::string profile_file;  // --profile: where the Chrome-trace profile goes
  bool mem_pattern = true;
  bool cpu_mem_arena = true;
};

RunArgs ParseRunArgs(const std::vector<std::string>& args) {
  RunArgs r;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= args.size()) throw Error(ErrorCode::InvalidArgument, a + " needs a value");
      return args[++i];
    };
    if (a == "--input" || a == "-i") r.input_files.push_back(next());
    else if (a == "--dim") {
      std::string d = next();
      auto eq = d.find('=');
      if (eq == std::string::npos) throw Error(ErrorCode::InvalidArgument, "--dim expects NAME=VALUE, got '" + d + "'");
      r.dims[d.substr(0, eq)] = std::stoll(d.substr(eq + 1));
    } else if (a == "--threads") r.threads = std::stoi(next());
    else if (a == "--runs") r.runs = std::stoi(next());
    else if (a == "--seconds") r.seconds = std::stod(next());
    else if (a == "--opt-level") r.level = std::stoi(next());
    else if (a == "--seed") r.seed = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--providers") r.providers = cli::ParseProviderList(next());
    else if (a == "--provider-option") {
      std::string kv = next();
      auto eq = kv.find('=');
      if (eq == std::string::npos) throw Error(ErrorCode::InvalidArgument, "--provider-option expects KEY=VALUE, got '" + kv + "'");
      r.provider_options[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else if (a == "--output-dir") r.output_dir = next();
    else if (a == "--profile") r.profile_file = next();
    else if (a == "--no-mem-pattern") r.mem_pattern = false;
    else if (a == "--no-cpu-mem-arena") r.cpu_mem_arena = false;
    else if (!a.empty() && a[0] == '-') throw Error(ErrorCode::InvalidArgument, "unknown option " + a);
    else if (r.model.empty()) r.model = a;
    else r.input_files.push_back(a);
  }
  if (r.model.empty()) throw Error(ErrorCode::InvalidArgument, "no model given");
  return r;
}

std::vector<std::pair<std::string, Tensor>> MakeFeeds(const Session& s, const RunArgs& a) {
  std::vector<std::pair<std::string, Tensor>> feeds;
  const auto& ins = s.inputs();
  if (!a.input_files.empty()) {
    if (a.input_files.size() != ins.size())
      throw Error(ErrorCode::InvalidArgument, "the model has " + std::to_string(ins.size()) + " inputs but " +
                                                  std::to_string(a.input_files.size()) + " input files were given");
    for (size_t i = 0; i < ins.size(); ++i) feeds.emplace_back(ins[i].name, cli::LoadTensorFile(a.input_files[i]));
    return feeds;
  }
  std::mt19937 rng(a.seed);
  for (const auto& in : ins) {
    std::vector<int64_t> shape;
    for (const auto& d : in.shape) {
      if (d.is_fixed()) shape.push_back(d.value);
      else if (auto it = a.dims.find(d.symbol); d.is_symbolic() && it != a.dims.end()) shape.push_back(it->second);
      else shape.push_back(1);
    }
    feeds.emplace_back(in.name, cli::RandomTensor(in.dtype, shape, rng));
  }
  return feeds;
}

SessionOptions OptionsFrom(const RunArgs& a) {
  SessionOptions o;
  o.intra_op_num_threads = a.threads;
  o.graph_optimization_level = static_cast<GraphOptimizationLevel>(a.level);
  o.providers = a.providers;
  o.enable_mem_pattern = a.mem_pattern;
  o.enable_cpu_mem_arena = a.cpu_mem_arena;
  for (const auto& p : a.providers)
    if (p != "CPUExecutionProvider" && !a.provider_options.empty()) {
      o.provider_options[p] = a.provider_options;
      break;
    }
  if (!a.profile_file.empty()) {
    o.enable_profiling = true;
    o.profile_file_prefix = a.profile_file;  // the trace is renamed to exactly this path
  }
  return o;
}

// Ends profiling and moves the trace to the path --profile gave.
void WriteProfile(Session& s, const RunArgs& a) {
  if (a.profile_file.empty()) return;
  const std::string written = s.EndProfiling();
  std::filesystem::rename(written, a.profile_file);
  std::cout << "profile:          " << a.profile_file << " (open in https://ui.perfetto.dev or chrome://tracing)\n";
}

int RunCmd(const std::vector<std::string>& args) {
  RunArgs a = ParseRunArgs(args);
  Session s(a.model, OptionsFrom(a));
  auto feeds = MakeFeeds(s, a);
  for (const auto& [n, t] : feeds) std::cout << "input  " << n << ": " << DataTypeName(t.dtype()) << " " << ShapeToString(t.shape()) << "\n";
  auto t0 = std::chrono::steady_clock::now();
  std::vector<Tensor> outs = s.Run(feeds);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  for (size_t i = 0; i < outs.size(); ++i) std::cout << "output " << s.outputs()[i].name << ": " << cli::Summarize(outs[i]) << "\n";
  if (!a.output_dir.empty()) {
    std::filesystem::create_directories(a.output_dir);
    for (size_t i = 0; i < outs.size(); ++i) cli::SaveNpy(outs[i], a.output_dir + "/output_" + std::to_string(i) + ".npy");
  }
  std::cout << "run time: " << std::fixed << std::setprecision(2) << ms << " ms\n";
  WriteProfile(s, a);
  return 0;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  double idx = p * (v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(idx)), hi = static_cast<size_t>(std::ceil(idx));
  return v[lo] + (v[hi] - v[lo]) * (idx - lo);
}

int Perf(const std::vector<std::string>& args) {
  RunArgs a = ParseRunArgs(args);
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  Session s(a.model, OptionsFrom(a));
  double create_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  auto feeds = MakeFeeds(s, a);
  t0 = clock::now();
  s.Run(feeds);
  double first_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  std::vector<double> times;
  auto start = clock::now();
  for (int i = 0; i < a.runs || (a.seconds > 0 && std::chrono::duration<double>(clock::now() - start).count() < a.seconds); ++i) {
    t0 = clock::now();
    s.Run(feeds);
    times.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::cout << std::fixed << std::setprecision(3);
  std::cout << "model:            " << a.model << "\n";
  std::cout << "threads:          " << (a.threads ? std::to_string(a.threads) : "default") << "\n";
  std::cout << "providers:       ";
  for (const auto& p : s.providers()) std::cout << " " << p;
  std::cout << "\n";
  std::cout << "session creation: " << create_ms << " ms\n";
  std::cout << "first run:        " << first_ms << " ms\n";
  std::cout << "runs:             " << times.size() << "\n";
  std::cout << "median latency:   " << Percentile(times, 0.5) << " ms\n";
  std::cout << "p90 latency:      " << Percentile(times, 0.9) << " ms\n";
  std::cout << "peak memory:      " << ru.ru_maxrss / 1024.0 << " MB (max RSS)\n";
  const MemoryPlanSummary mp = s.memory_plan();
  std::cout << "planned peak:     " << mp.planned_peak_bytes / 1e6 << " MB of intermediates in one arena (" << mp.planned_values
            << " values, " << mp.intermediate_bytes / 1e6 << " MB without reuse, " << mp.live_peak_bytes / 1e6 << " MB live at most"
            << (mp.unplanned_values ? "; " + std::to_string(mp.unplanned_values) + " sized only at run time" : std::string()) << ")\n";
  if (!a.profile_file.empty()) std::cout << "(latencies include the profiler's own cost)\n";
  WriteProfile(s, a);
  return 0;
}

// `onyx operators`: every kernel of the registry, as the Markdown page docs/operators.md.
std::string TypeList(std::vector<DataType> types) {
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  std::string s;
  for (DataType t : types) s += (s.empty() ? "" : ", ") + std::string(DataTypeName(t));
  return s.empty() ? "any" : s;
}

int Operators(const std::vector<std::string>&) {
  const auto& defs = KernelRegistry::Global().all();
  std::set<std::string> others;  // device providers, after the CPU
  for (const auto& d : defs)
    if (d.provider != "CPUExecutionProvider") others.insert(d.provider);
  std::vector<std::string> providers = {"CPUExecutionProvider"};
  providers.insert(providers.end(), others.begin(), others.end());
  // (domain, op) -> provider -> "since-end (types)" entries, in registration order.
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::vector<std::string>>> table;
  for (const auto& d : defs) {
    std::string range = std::to_string(d.since_version) +
                        (d.end_version == INT64_MAX ? "+" : d.end_version == d.since_version ? "" : "-" + std::to_string(d.end_version));
    table[{d.domain.empty() ? "ai.onnx" : d.domain, d.op_type}][d.provider].push_back(range + " (" + TypeList(d.types) + ")");
  }
  std::map<std::string, int> per_provider;
  for (const auto& [key, by] : table)
    for (const auto& [p, e] : by) ++per_provider[p];
  std::cout << "# Operators\n\n"
               "Generated from the kernel registry by `onyx operators` (a build with CUDA); do not edit by hand.\n"
               "A test fails when this page and the registry disagree. Each cell lists opset ranges\n"
               "(`13+`: 13 and later) with the element types the kernel accepts.\n\n";
  std::cout << table.size() << " operators.";
  for (const auto& p : providers) std::cout << " " << p << ": " << per_provider[p] << ".";
  std::cout << "\n\n| domain | op |";
  for (const auto& p : providers) std::cout << " " << p << " |";
  std::cout << "\n| --- | --- |";
  for (size_t i = 0; i < providers.size(); ++i) std::cout << " --- |";
  std::cout << "\n";
  for (const auto& [key, by] : table) {
    std::cout << "| " << key.first << " | " << key.second << " |";
    for (const auto& p : providers) {
      auto it = by.find(p);
      std::string cell;
      if (it != by.end())
        for (const auto& e : it->second) cell += (cell.empty() ? "" : "<br>") + e;
      std::cout << " " << cell << " |";
    }
    std::cout << "\n";
  }
  std::cout << "\nRewritten at load instead of run by a kernel: calls of the model's own functions run through\n"
               "their bodies, and ai.onnx.preview.training Gradient is expanded into ai.onnx nodes (reverse-mode\n"
               "differentiation, src/graph/gradient.cc).\n";
  return 0;
}

void Usage() {
  std::cout << "onyx " << Version() << " - ONNX inference runtime\n\n"
               "usage: onyx COMMAND [ARGS]\n"
               "  info MODEL                      producer, opsets, inputs/outputs, op histogram, parameters\n"
               "  info MODEL --providers cuda     where each node runs with these providers (and why on CPU)\n"
               "  run MODEL [INPUT.npy|.pb ...]   run once on the given inputs, or random ones\n"
               "        [--dim NAME=N] [--threads N] [--seed S] [--output-dir DIR (writes output_N.npy)]\n"
               "  run/perf options: --providers cuda,cpu  --provider-option KEY=VALUE (e.g. device_id=0)\n"
               "        --profile FILE.json       write a Chrome-trace profile (onnxruntime's format) of\n"
               "                                  loading, each run and each node\n"
               "        --no-mem-pattern          allocate every intermediate on its own, not from the\n"
               "                                  per-run arena of planned offsets\n"
               "        --no-cpu-mem-arena        return freed host blocks to the system instead of\n"
               "                                  keeping them for later runs\n"
               "  perf MODEL [--threads N] [--runs N] [--seconds S] [--dim NAME=N]\n"
               "                                  session creation, first run, median/p90 latency, peak memory\n"
               "  operators                       every kernel (op, opset range, types, provider) as Markdown\n"
               "  test DIR... [--expect LIST] [--write LIST]\n"
               "                                  run ONNX backend test folders, print pass counts\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help")) {
    Usage();
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (cmd == "info") return Info(args);
    if (cmd == "run") return RunCmd(args);
    if (cmd == "perf") return Perf(args);
    if (cmd == "test") return cli::RunConformance(args);
    if (cmd == "operators") return Operators(args);
    if (cmd == "--version" || cmd == "version") {
      std::cout << "onyx " << Version() << "\n";
      return 0;
    }
    std::cerr << "onyx: unknown command '" << cmd << "'\n";
    Usage();
    return 2;
  } catch (const Error& e) {
    std::cerr << "onyx " << cmd << ": [" << ErrorCodeName(e.code()) << "] " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "onyx " << cmd << ": " << e.what() << "\n";
    return 1;
  }
}
