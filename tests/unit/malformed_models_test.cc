// The malformed-model corpus (tests/data/malformed, made by make_malformed.py): each model must
// be refused at session creation with the error class and message that expected.tsv names, never
// crash, hang or read outside its folder. Under the sanitizer build this also proves no leaks.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "onyx/error.h"
#include "onyx/session.h"

using namespace onyx;

namespace {

struct Expectation {
  std::string file, error_class, message;
};

const std::string kCorpus = std::string(ONYX_SOURCE_DIR) + "/tests/data/malformed/";

std::vector<Expectation> ReadExpectations() {
  std::vector<Expectation> rows;
  std::ifstream in(kCorpus + "expected.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Expectation e;
    std::getline(fields, e.file, '\t');
    std::getline(fields, e.error_class, '\t');
    std::getline(fields, e.message);
    rows.push_back(e);
  }
  return rows;
}

}  // namespace

TEST(MalformedModels, EachIsRefusedWithTheRightClassAndMessage) {
  const auto rows = ReadExpectations();
  ASSERT_GE(rows.size(), 25u) << "expected.tsv not found or truncated in " << kCorpus;
  for (const auto& row : rows) {
    SCOPED_TRACE(row.file);
    SessionOptions options;
    options.log_severity_level = 4;
    if (row.error_class == "OK") {
      // Negative declared dims are read as unknown, as onnxruntime does: the model runs.
      Session session(kCorpus + row.file, options);
      Tensor x(DataType::Float, {2, 2});
      for (int i = 0; i < 4; ++i) x.data<float>()[i] = static_cast<float>(i) - 1.5f;
      auto out = session.Run({{"x", x}});
      ASSERT_EQ(out.size(), 1u);
      for (int i = 0; i < 4; ++i) EXPECT_EQ(out[0].data<float>()[i], std::fmax(0.0f, x.data<float>()[i]));
      continue;
    }
    try {
      Session session(kCorpus + row.file, options);
      ADD_FAILURE() << "loaded without an error; expected " << row.error_class;
    } catch (const Error& e) {
      EXPECT_EQ(ErrorCodeName(e.code()), row.error_class) << e.what();
      EXPECT_NE(std::string(e.what()).find(row.message), std::string::npos)
          << "message '" << e.what() << "' lacks '" << row.message << "'";
    }
  }
}

TEST(MalformedModels, EveryCorpusFileHasAnExpectation) {
  const auto rows = ReadExpectations();
  size_t models = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kCorpus))
    if (entry.path().extension() == ".onnx") ++models;
  EXPECT_EQ(models, rows.size());
}
