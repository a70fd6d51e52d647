#include "seastar/json/parse.hh"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace seastar::json {
namespace {

TEST(json_parse, fields_of_a_request_body) {
    std::string text = R"({"key":"user:7","value":{"age":36,"tags":["a","b\"c","\u00e9"],"score":2.5,"ok":true},)"
                       R"("ttl":3600,"none":null})";
    document doc(text);
    text.assign(text.size(), 'x'); // the document keeps its own copy
    auto root = doc.root();
    EXPECT_EQ(std::string_view(root["key"]), "user:7");
    EXPECT_EQ(int64_t(root["ttl"]), 3600);
    EXPECT_EQ(int64_t(root["value"]["age"]), 36);
    EXPECT_DOUBLE_EQ(double(root["value"]["score"]), 2.5);
    EXPECT_TRUE(bool(root["value"]["ok"]));
    EXPECT_TRUE(root["none"].is_null());
    auto tags = root["value"]["tags"].get_array();
    ASSERT_EQ(tags.size(), 3u);
    EXPECT_EQ(std::string_view(tags.at(1)), "b\"c");
    EXPECT_EQ(std::string_view(tags.at(2)), "\xc3\xa9");
}

TEST(json_parse, missing_fields_and_wrong_types_throw_simdjsons_error) {
    document doc(R"({"n":1,"s":"x"})");
    EXPECT_THROW((void)int64_t(doc.root()["absent"]), simdjson::simdjson_error);
    EXPECT_THROW((void)int64_t(doc.root()["s"]), simdjson::simdjson_error);
    EXPECT_EQ(doc.root()["absent"].error(), simdjson::NO_SUCH_FIELD);
}

TEST(json_parse, a_moved_document_keeps_its_elements) {
    document a(R"({"list":[1,2,3]})");
    auto list = a.root()["list"].get_array();
    document b = std::move(a);
    int64_t sum = 0;
    for (auto e : list) {
        sum += int64_t(e);
    }
    EXPECT_EQ(sum, 6);
    EXPECT_EQ(int64_t(b.root()["list"].at(2)), 3);
}

TEST(json_parse, malformed_text_is_a_parse_error_with_the_reason) {
    std::string deep(2000, '[');
    deep += std::string(2000, ']');
    for (std::string bad : {
             std::string(""), std::string("   "),
             std::string(R"({"a":)"),             // truncated
             std::string(R"({"a":1} trailing)"),  // bytes after the value
             std::string(R"({a:1})"),             // unquoted key
             std::string("{\"a\":\"\xff\xfe\"}"), // invalid UTF-8
             std::string(R"({"a":01})"),          // leading zero
             std::string(R"([1,2,])"),            // trailing comma
             std::string("{\"a\":\"x\0y\"}", 10), // a NUL byte inside a string
             deep,                                // deeper than max_depth
         }) {
        try {
            document doc(bad);
            ADD_FAILURE() << "parsed: " << bad.substr(0, 40);
        } catch (const parse_error& e) {
            EXPECT_TRUE(std::string(e.what()).starts_with("malformed JSON: ")) << e.what();
            EXPECT_GT(std::string(e.what()).size(), std::string("malformed JSON: ").size());
        }
    }
}

TEST(json_parse, depth_limit_is_the_callers) {
    std::string nested = "[[[[1]]]]";
    EXPECT_NO_THROW(document(nested, 5));
    EXPECT_THROW(document(nested, 3), parse_error);
}

} // namespace
} // namespace seastar::json
