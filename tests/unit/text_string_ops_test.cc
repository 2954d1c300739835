// StringNormalizer, StringSplit, StringConcat, RegexFullMatch.
#include "tensor_ops_test_util.h"
#include "text/text_common.h"

namespace onyx::testing {
namespace {

using Strings = std::vector<std::string>;
Strings S(const Tensor& t) { return ToVector<std::string>(t); }

TEST(StringNormalizer, StopwordsAndCase) {
  Tensor x = StringTensor({4}, {"monday", "Tuesday", "MONDAY", "wed"});
  Tensor y = Run1("StringNormalizer", {x}, {{"stopwords", StringsAttr({"monday"})}, {"is_case_sensitive", IntAttr(1)}}, 10);
  EXPECT_EQ(S(y), (Strings{"Tuesday", "MONDAY", "wed"}));
  y = Run1("StringNormalizer", {x}, {{"stopwords", StringsAttr({"Monday"})}, {"case_change_action", StringAttr("UPPER")}}, 10);
  EXPECT_EQ(S(y), (Strings{"TUESDAY", "WED"}));
  y = Run1("StringNormalizer", {x}, {{"case_change_action", StringAttr("LOWER")}}, 10);
  EXPECT_EQ(S(y), (Strings{"monday", "tuesday", "monday", "wed"}));
  ExpectError([&] { Run1("StringNormalizer", {x}, {{"case_change_action", StringAttr("TITLE")}}, 10); }, ErrorCode::InvalidGraph, "TITLE");
}

TEST(StringNormalizer, TwoDimsEmptyResultAndBadShapes) {
  Tensor x = StringTensor({1, 3}, {"a", "B", "a"});
  Tensor y = Run1("StringNormalizer", {x}, {{"stopwords", StringsAttr({"A"})}}, 10);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(S(y), (Strings{"B"}));
  y = Run1("StringNormalizer", {StringTensor({2}, {"a", "a"})}, {{"stopwords", StringsAttr({"a"})}}, 10);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{1}));
  EXPECT_EQ(S(y), (Strings{""}));
  ExpectError([] { Run1("StringNormalizer", {StringTensor({2, 1}, {"a", "b"})}, {}, 10); }, ErrorCode::InvalidArgument, "[1, C]");
  ExpectError([] { Run1("StringNormalizer", {FloatTensor({1}, {1})}, {}, 10); }, ErrorCode::InvalidArgument, "string tensor");
}

TEST(StringNormalizer, Utf8CaseMapping) {
  EXPECT_EQ(text::Utf8ToUpper("straße émile ÿ ā ł ω ж ё"), "STRAßE ÉMILE Ÿ Ā Ł Ω Ж Ё");
  EXPECT_EQ(text::Utf8ToLower("ÉMILE Ÿ Ā Ł Σ Ж Ё 中"), "émile ÿ ā ł σ ж ё 中");
  EXPECT_EQ(text::Utf8ToLower(std::string("A\xff" "B")), std::string("a\xff" "b"));  // invalid bytes kept
  Tensor y = Run1("StringNormalizer", {StringTensor({2}, {"Émile", "ÉMILE"})},
                  {{"stopwords", StringsAttr({"émile"})}, {"case_change_action", StringAttr("LOWER")}}, 10);
  EXPECT_EQ(S(y), (Strings{""}));
}

TEST(StringSplit, SeparatorWhitespaceAndPadding) {
  Tensor x = StringTensor({3}, {"a,b,,c", "", "x"});
  auto out = RunOp("StringSplit", {x}, 2, {{"delimiter", StringAttr(",")}}, 20);
  EXPECT_EQ(out[0].tensor().shape(), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(S(out[0].tensor()), (Strings{"a", "b", "", "c", "", "", "", "", "x", "", "", ""}));
  EXPECT_EQ(ToVector<int64_t>(out[1].tensor()), (std::vector<int64_t>{4, 1, 1}));

  x = StringTensor({2}, {"  hello   world ! ", "   "});
  out = RunOp("StringSplit", {x}, 2, {}, 20);
  EXPECT_EQ(S(out[0].tensor()), (Strings{"hello", "world", "!", "", "", ""}));
  EXPECT_EQ(ToVector<int64_t>(out[1].tensor()), (std::vector<int64_t>{3, 0}));

  out = RunOp("StringSplit", {StringTensor({}, {" a b  c "})}, 2, {{"maxsplit", IntAttr(1)}}, 20);
  EXPECT_EQ(out[0].tensor().shape(), (std::vector<int64_t>{2}));
  EXPECT_EQ(S(out[0].tensor()), (Strings{"a", "b  c "}));
  out = RunOp("StringSplit", {StringTensor({1}, {"a--b--c"})}, 2, {{"delimiter", StringAttr("--")}, {"maxsplit", IntAttr(0)}}, 20);
  EXPECT_EQ(S(out[0].tensor()), (Strings{"a--b--c"}));
  out = RunOp("StringSplit", {StringTensor({1}, {"a--b--c"})}, 2, {{"delimiter", StringAttr("--")}}, 20);
  EXPECT_EQ(S(out[0].tensor()), (Strings{"a", "b", "c"}));
}

TEST(StringSplit, EmptyInput) {
  auto out = RunOp("StringSplit", {StringTensor({2, 0}, {})}, 2, {}, 20);
  EXPECT_EQ(out[0].tensor().shape(), (std::vector<int64_t>{2, 0, 0}));
  EXPECT_EQ(out[1].tensor().shape(), (std::vector<int64_t>{2, 0}));
}

TEST(StringConcat, BroadcastingAndScalars) {
  Tensor y = Run1("StringConcat", {StringTensor({2, 1}, {"a", "b"}), StringTensor({3}, {"1", "2", "3"})}, {}, 20);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(S(y), (Strings{"a1", "a2", "a3", "b1", "b2", "b3"}));
  y = Run1("StringConcat", {StringTensor({}, {"x"}), StringTensor({2}, {"", "中"})}, {}, 20);
  EXPECT_EQ(S(y), (Strings{"x", "x中"}));
  y = Run1("StringConcat", {StringTensor({0}, {}), StringTensor({1}, {"z"})}, {}, 20);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{0}));
  ExpectError([] { Run1("StringConcat", {StringTensor({2}, {"a", "b"}), StringTensor({3}, {"1", "2", "3"})}, {}, 20); },
              ErrorCode::InvalidArgument, "broadcast");
}

TEST(RegexFullMatch, FullMatchSemantics) {
  Tensor x = StringTensor({2, 2}, {"www.google.com", "www.bbc.co.uk", "wwwxcom", ""});
  Tensor y = Run1("RegexFullMatch", {x}, {{"pattern", StringAttr(R"(www\.[\w.-]+\.\bcom\b)")}}, 20);
  EXPECT_EQ(y.dtype(), DataType::Bool);
  EXPECT_EQ(ToVector<bool>(y), (std::vector<bool>{true, false, false, false}));
  y = Run1("RegexFullMatch", {StringTensor({3}, {"abc", "ABC", "abcd"})}, {{"pattern", StringAttr("(?i)abc")}}, 20);
  EXPECT_EQ(ToVector<bool>(y), (std::vector<bool>{true, true, false}));
  y = Run1("RegexFullMatch", {StringTensor({2}, {"a.b", "axb"})}, {{"pattern", StringAttr(R"(\Qa.b\E)")}}, 20);
  EXPECT_EQ(ToVector<bool>(y), (std::vector<bool>{true, false}));
  y = Run1("RegexFullMatch", {StringTensor({2}, {"ab12", "ab"})}, {{"pattern", StringAttr(R"(\A(?P<word>[a-z]+)\d+\z)")}}, 20);
  EXPECT_EQ(ToVector<bool>(y), (std::vector<bool>{true, false}));
  EXPECT_EQ(Run1("RegexFullMatch", {StringTensor({0}, {})}, {{"pattern", StringAttr("a")}}, 20).shape(), (std::vector<int64_t>{0}));
}

TEST(RegexFullMatch, BadAndUnsupportedPatterns) {
  Tensor x = StringTensor({1}, {"a"});
  ExpectError([&] { Run1("RegexFullMatch", {x}, {{"pattern", StringAttr("(a")}}, 20); }, ErrorCode::InvalidGraph, "not a valid");
  ExpectError([&] { Run1("RegexFullMatch", {x}, {{"pattern", StringAttr(R"(\pL+)")}}, 20); }, ErrorCode::NotImplemented, "\\p");
  ExpectError([&] { Run1("RegexFullMatch", {x}, {{"pattern", StringAttr("a(?s).")}}, 20); }, ErrorCode::NotImplemented, "inline flags");
  ExpectError([&] { Run1("RegexFullMatch", {x}, {}, 20); }, ErrorCode::InvalidGraph, "'pattern'");
  ExpectError([&] { Run1("RegexFullMatch", {Int64Tensor({1}, {1})}, {{"pattern", StringAttr("a")}}, 20); }, ErrorCode::InvalidArgument, "string");
}

}  // namespace
}  // namespace onyx::testing
