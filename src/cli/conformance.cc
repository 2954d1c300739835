#include "cli/conformance.h"
#include "cli/provider_args.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "core/float16.h"
#include "model/model_loader.h"
#include "onyx/onyx.h"

namespace onyx::cli {

namespace fs = std::filesystem;

namespace {

constexpr double kRtol = 1e-3, kAtol = 1e-7;  // ONNX backend defaults

double ElementAsDouble(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::Float: return t.data<float>()[i];
    case DataType::Double: return t.data<double>()[i];
    case DataType::Float16: return HalfToFloat(t.data<uint16_t>()[i]);
    case DataType::BFloat16: return BFloat16ToFloat(t.data<uint16_t>()[i]);
    case DataType::Int8: return t.data<int8_t>()[i];
    case DataType::Int16: return t.data<int16_t>()[i];
    case DataType::Int32: return t.data<int32_t>()[i];
    case DataType::Int64: return static_cast<double>(t.data<int64_t>()[i]);
    case DataType::UInt8: case DataType::Bool: return t.data<uint8_t>()[i];
    case DataType::UInt16: return t.data<uint16_t>()[i];
    case DataType::UInt32: return t.data<uint32_t>()[i];
    case DataType::UInt64: return static_cast<double>(t.data<uint64_t>()[i]);
    // One byte per element: sub-byte integers by value, 8/4-bit floats by their code.
    case DataType::Int4: case DataType::Int2: return t.data<int8_t>()[i];
    case DataType::UInt4: case DataType::UInt2: case DataType::Float4E2M1: case DataType::Float8E8M0:
    case DataType::Float8E4M3FN: case DataType::Float8E4M3FNUZ: case DataType::Float8E5M2:
    case DataType::Float8E5M2FNUZ: return t.data<uint8_t>()[i];
    default: return 0;
  }
}

bool IsFloating(DataType t) {
  return t == DataType::Float || t == DataType::Double || t == DataType::Float16 || t == DataType::BFloat16 ||
         t == DataType::Complex64 || t == DataType::Complex128;
}

// Empty string when equal within tolerance, else why not.
std::string CompareTensors(const Tensor& got, const Tensor& want) {
  if (got.dtype() != want.dtype())
    return std::string("dtype ") + DataTypeName(got.dtype()) + ", expected " + DataTypeName(want.dtype());
  if (got.shape() != want.shape()) return "shape " + ShapeToString(got.shape()) + ", expected " + ShapeToString(want.shape());
  if (want.dtype() == DataType::String) {
    for (int64_t i = 0; i < want.size(); ++i)
      if (got.data<std::string>()[i] != want.data<std::string>()[i])
        return "element " + std::to_string(i) + ": '" + got.data<std::string>()[i] + "', expected '" + want.data<std::string>()[i] + "'";
    return {};
  }
  if (want.dtype() == DataType::Complex64 || want.dtype() == DataType::Complex128) {
    bool c64 = want.dtype() == DataType::Complex64;
    for (int64_t i = 0; i < want.size() * 2; ++i) {
      double g = c64 ? got.data<float>()[i] : got.data<double>()[i];
      double w = c64 ? want.data<float>()[i] : want.data<double>()[i];
      if (!(std::fabs(g - w) <= kAtol + kRtol * std::fabs(w)) && !(std::isnan(g) && std::isnan(w)))
        return "component " + std::to_string(i) + ": " + std::to_string(g) + ", expected " + std::to_string(w);
    }
    return {};
  }
  const bool fp = IsFloating(want.dtype());
  int64_t bad = 0, first = -1;
  double worst = 0;
  for (int64_t i = 0; i < want.size(); ++i) {
    if (want.dtype() == DataType::Int64 || want.dtype() == DataType::UInt64) {
      if (got.data<int64_t>()[i] != want.data<int64_t>()[i]) {
        if (first < 0) first = i;
        ++bad;
      }
      continue;
    }
    double g = ElementAsDouble(got, i), w = ElementAsDouble(want, i);
    bool ok;
    if (fp) {
      if (std::isnan(w) || std::isnan(g)) ok = std::isnan(w) && std::isnan(g);
      else if (std::isinf(w) || std::isinf(g)) ok = g == w;
      else ok = std::fabs(g - w) <= kAtol + kRtol * std::fabs(w);
    } else {
      ok = g == w;
    }
    if (!ok) {
      if (first < 0) first = i;
      ++bad;
      if (std::isfinite(g - w)) worst = std::max(worst, std::fabs(g - w));
    }
  }
  if (!bad) return {};
  std::ostringstream os;
  os << bad << " of " << want.size() << " elements differ; first at " << first << ": " << ElementAsDouble(got, first)
     << ", expected " << ElementAsDouble(want, first) << "; max abs diff " << worst;
  return os.str();
}

std::string CompareValues(const Value& got, const Value& want) {
  if (want.is_none()) return got.is_none() ? "" : "expected an empty optional";
  if (want.is_sequence()) {
    if (!got.is_sequence()) return "expected a sequence";
    const auto& g = got.sequence();
    const auto& w = want.sequence();
    if (g.size() != w.size()) return "sequence of " + std::to_string(g.size()) + " tensors, expected " + std::to_string(w.size());
    for (size_t i = 0; i < w.size(); ++i) {
      std::string e = CompareTensors(g[i], w[i]);
      if (!e.empty()) return "sequence item " + std::to_string(i) + ": " + e;
    }
    return {};
  }
  if (!got.is_tensor()) return got.is_none() ? "got an empty value, expected a tensor" : "got a sequence, expected a tensor";
  return CompareTensors(got.tensor(), want.tensor());
}

Value LoadDataFile(const fs::path& p, const ValueInfo* vi) {
  std::string bytes = ReadFileBytes(p.string());
  if (vi && vi->kind == ValueInfo::Kind::Sequence) return LoadValueProto(bytes.data(), bytes.size(), true, false);
  if (vi && vi->kind == ValueInfo::Kind::Optional) return LoadValueProto(bytes.data(), bytes.size(), false, true);
  Tensor t = LoadTensorProto(bytes.data(), bytes.size());
  // Older test data (ONNX <= 1.12) stores bfloat16 values as uint16 tensors: same bits.
  if (vi && vi->dtype == DataType::BFloat16 && t.dtype() == DataType::UInt16)
    t = Tensor::Copy(DataType::BFloat16, t.shape(), t.raw_data());
  return Value(t);
}

std::vector<fs::path> SortedFiles(const fs::path& dir, const std::string& prefix) {
  std::vector<std::pair<int, fs::path>> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (n.rfind(prefix, 0) == 0 && e.path().extension() == ".pb") files.emplace_back(std::atoi(n.c_str() + prefix.size()), e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<fs::path> out;
  for (auto& f : files) out.push_back(f.second);
  return out;
}

std::vector<std::string> g_providers;  // from --providers; empty: CPU
std::map<std::string, std::string> g_provider_options;  // from --provider-option, for the first device provider

// Runs one test folder in this process. Returns "" on success, else the reason.
std::string RunOneTest(const fs::path& dir) {
  try {
    SessionOptions opts;
    opts.intra_op_num_threads = 1;
    opts.providers = g_providers;
    for (const auto& p : g_providers)
      if (p != "CPUExecutionProvider" && !g_provider_options.empty()) {
        opts.provider_options[p] = g_provider_options;
        break;
      }
    Session session((dir / "model.onnx").string(), opts);
    std::vector<fs::path> sets;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
    std::sort(sets.begin(), sets.end());
    if (sets.empty()) return "no test_data_set_* folder";
    for (const auto& set : sets) {
      auto in_files = SortedFiles(set, "input_");
      auto out_files = SortedFiles(set, "output_");
      const auto& ins = session.inputs();
      std::vector<std::pair<std::string, Value>> feeds;
      for (size_t i = 0; i < in_files.size(); ++i) {
        if (i >= ins.size()) return "more input files than model inputs";
        feeds.emplace_back(ins[i].name, LoadDataFile(in_files[i], &ins[i]));
      }
      std::vector<Value> got = session.RunValues(feeds);
      const auto& outs = session.outputs();
      if (out_files.size() > got.size()) return "more output files than model outputs";
      for (size_t i = 0; i < out_files.size(); ++i) {
        Value want = LoadDataFile(out_files[i], &outs[i]);
        std::string diff = CompareValues(got[i], want);
        if (!diff.empty()) return set.filename().string() + " output '" + outs[i].name + "': " + diff;
      }
    }
    return {};
  } catch (const Error& e) {
    return std::string(ErrorCodeName(e.code())) + ": " + e.what();
  } catch (const std::exception& e) {
    return std::string("exception: ") + e.what();
  }
}

// Forks, runs the test in the child, reports through a pipe. Crashes and timeouts become failures.
std::string RunIsolated(const fs::path& dir, int timeout_s) {
  int fds[2];
  if (pipe(fds) != 0) return RunOneTest(dir);
  pid_t pid = fork();
  if (pid < 0) return RunOneTest(dir);
  if (pid == 0) {
    close(fds[0]);
    std::string r = RunOneTest(dir);
    if (r.empty()) r = "\x01PASS";
    size_t off = 0;
    while (off < r.size()) {
      ssize_t n = write(fds[1], r.data() + off, r.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string result;
  char buf[4096];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  bool timed_out = false;
  for (;;) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int pr = poll(&p, 1, left);
    if (pr <= 0) continue;
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    result.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (timed_out) return "timed out after " + std::to_string(timeout_s) + " s";
  if (WIFSIGNALED(status)) return "crashed with signal " + std::to_string(WTERMSIG(status));
  if (result == "\x01PASS") return {};
  return result.empty() ? "child exited without a result" : result;
}

void Usage() {
  std::cerr << "usage: onyx test DIR... [--expect LIST] [--write LIST] [--label NAME] [--filter TEXT] [-v]\n"
               "  DIR     a backend test folder (with model.onnx) or a folder of them (e.g. .../data/node),\n"
               "          or a data root holding node/, simple/, ... folders\n"
               "  --expect LIST  fail (exit 1) if a test listed in LIST does not pass\n"
               "  --write LIST   write the names of the passing tests to LIST\n"
               "  --label NAME   prefix for test names in lists (default: none)\n"
               "  --timeout S    per-test time limit in seconds (default 120)\n"
               "  --providers L  execution providers in order, e.g. cuda,cpu (default cpu)\n"
               "  --provider-option KEY=VALUE  option of the first device provider (e.g. use_tf32=0)\n"
               "  --no-fork      run the tests in this process (one device context for all; a crash\n"
               "                 ends the run)\n";
}

}  // namespace

int RunConformance(const std::vector<std::string>& args) {
  std::vector<std::string> dirs;
  std::string expect, write_list, label, filter;
  bool verbose = false, fork_each = true;
  int timeout_s = 120;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= args.size()) throw Error(ErrorCode::InvalidArgument, a + " needs a value");
      return args[++i];
    };
    if (a == "--expect") expect = next();
    else if (a == "--write") write_list = next();
    else if (a == "--label") label = next();
    else if (a == "--filter") filter = next();
    else if (a == "--timeout") timeout_s = std::stoi(next());
    else if (a == "-v" || a == "--verbose") verbose = true;
    else if (a == "--providers") g_providers = ParseProviderList(next());
    else if (a == "--no-fork") fork_each = false;
    else if (a == "--provider-option") {
      const std::string kv = next();
      const auto eq = kv.find('=');
      if (eq == std::string::npos) throw Error(ErrorCode::InvalidArgument, "--provider-option expects KEY=VALUE");
      g_provider_options[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    else if (a == "-h" || a == "--help") { Usage(); return 0; }
    else dirs.push_back(a);
  }
  if (dirs.empty()) {
    Usage();
    return 2;
  }
  // Collect (group, test dir). Group = the name of the folder holding the test.
  std::vector<std::pair<std::string, fs::path>> tests;
  std::function<void(const fs::path&, int)> collect = [&](const fs::path& d, int depth) {
    if (fs::exists(d / "model.onnx")) {
      tests.emplace_back(d.parent_path().filename().string(), d);
      return;
    }
    if (depth > 2 || !fs::is_directory(d)) return;
    std::vector<fs::path> kids;
    for (const auto& e : fs::directory_iterator(d))
      if (e.is_directory()) kids.push_back(e.path());
    std::sort(kids.begin(), kids.end());
    for (const auto& k : kids) collect(k, depth + 1);
  };
  for (const auto& d : dirs) {
    if (!fs::exists(d)) {
      std::cerr << "onyx test: no such folder: " << d << "\n";
      return 2;
    }
    collect(fs::path(d), 0);
  }
  std::map<std::string, std::pair<int, int>> per_group;  // passed, total
  std::set<std::string> passed;
  std::map<std::string, std::string> failures;
  for (const auto& [group, dir] : tests) {
    std::string name = (label.empty() ? "" : label + "/") + group + "/" + dir.filename().string();
    if (!filter.empty() && name.find(filter) == std::string::npos) continue;
    std::string r = fork_each ? RunIsolated(dir, timeout_s) : RunOneTest(dir);
    auto& g = per_group[group];
    ++g.second;
    if (r.empty()) {
      ++g.first;
      passed.insert(name);
      if (verbose) std::cout << "PASS " << name << "\n";
    } else {
      failures[name] = r;
      if (verbose) std::cout << "FAIL " << name << ": " << r.substr(0, 400) << "\n";
    }
  }
  int total_pass = 0, total = 0;
  for (const auto& [g, c] : per_group) {
    std::cout << (label.empty() ? "" : label + "/") << g << ": " << c.first << "/" << c.second << " passed\n";
    total_pass += c.first;
    total += c.second;
  }
  std::cout << "total: " << total_pass << "/" << total << " passed\n";
  if (!write_list.empty()) {
    std::ofstream f(write_list);
    for (const auto& n : passed) f << n << "\n";
  }
  int rc = 0;
  if (!expect.empty()) {
    std::ifstream f(expect);
    if (!f) {
      std::cerr << "onyx test: cannot read " << expect << "\n";
      return 2;
    }
    std::string line;
    int regressions = 0, listed = 0;
    while (std::getline(f, line)) {
      if (line.empty() || line[0] == '#') continue;
      if (!filter.empty() && line.find(filter) == std::string::npos) continue;
      ++listed;
      if (!passed.count(line)) {
        ++regressions;
        auto it = failures.find(line);
        std::cout << "REGRESSION " << line << ": " << (it != failures.end() ? it->second.substr(0, 400) : "not run (missing test folder?)") << "\n";
      }
    }
    std::cout << listed - regressions << " passed, " << regressions << " failed (of the tests listed in " << expect << ")\n";
    if (regressions) rc = 1;
  }
  return rc;
}

}  // namespace onyx::cli
