// JSON text: escapes, numbers, containers, json_base objects, and streamed
// arrays written through an output_stream.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "seastar/core/iostream.hh"
#include "seastar/core/local_scheduler.hh"
#include "seastar/json/formatter.hh"
#include "seastar/json/json_elements.hh"

using namespace seastar;

namespace {

class string_sink : public data_sink_impl {
    std::string& _out;

public:
    explicit string_sink(std::string& out) : _out(out) {}
    future<> put(net::packet p) override {
        for (auto& f : p.fragments()) {
            _out.append(f.base, f.size);
        }
        return make_ready_future<>();
    }
    future<> close() override { return make_ready_future<>(); }
};

struct point : json::json_base {
    json::json_element<int> x;
    json::json_element<sstring> name;
    json::json_list<double> values;
    point() { register_params(); }
    point(const point& o) : json::json_base(o), x(o.x), name(o.name), values(o.values) { register_params(); }
    void register_params() {
        add(&x, "x", true);
        add(&name, "name");
        add(&values, "values");
    }
};

} // namespace

TEST(json_formatter, strings_are_escaped) {
    EXPECT_EQ(json::formatter::to_json("plain"), "\"plain\"");
    EXPECT_EQ(json::formatter::to_json(std::string("q\"b\\s/\n\r\t\b\f")), "\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\"");
    EXPECT_EQ(json::formatter::to_json(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
    EXPECT_EQ(json::formatter::to_json(std::string("caf\xc3\xa9")), "\"caf\xc3\xa9\"");
}

TEST(json_formatter, numbers_and_containers) {
    EXPECT_EQ(json::formatter::to_json(42), "42");
    EXPECT_EQ(json::formatter::to_json(-7L), "-7");
    EXPECT_EQ(json::formatter::to_json(uint64_t(18446744073709551615ull)), "18446744073709551615");
    EXPECT_EQ(json::formatter::to_json(true), "true");
    EXPECT_EQ(json::formatter::to_json(0.1), "0.1");
    EXPECT_EQ(json::formatter::to_json(1.5e300), "1.5e+300");
    EXPECT_EQ(json::formatter::to_json(std::nan("")), "null");
    EXPECT_EQ(json::formatter::to_json(HUGE_VAL), "null");
    EXPECT_EQ(json::formatter::to_json(std::vector<int>{1, 2, 3}), "[1, 2, 3]");
    EXPECT_EQ(json::formatter::to_json(std::vector<int>{}), "[]");
    EXPECT_EQ(json::formatter::to_json(std::map<std::string, int>{{"a", 1}, {"b", 2}}), "{\"a\": 1, \"b\": 2}");
}

TEST(json_elements, objects_write_set_members_in_order) {
    point p;
    EXPECT_FALSE(p.is_verify());
    EXPECT_EQ(p.to_json(), "{}");
    p.x = 3;
    p.values.push(0.5);
    p.values.push(2);
    EXPECT_TRUE(p.is_verify());
    EXPECT_EQ(p.to_json(), "{\"x\": 3, \"values\": [0.5, 2]}");
    p.name = "a\"b";
    point copy = p;
    EXPECT_EQ(copy.to_json(), "{\"x\": 3, \"name\": \"a\\\"b\", \"values\": [0.5, 2]}");
    EXPECT_EQ(json::formatter::to_json(std::vector<point>{p, p}), "[" + copy.to_json() + ", " + copy.to_json() + "]");
}

TEST(json_elements, streamed_array_matches_the_string_form) {
    local_scheduler sched;
    std::vector<int> ids;
    for (int i = 0; i < 5000; ++i) {
        ids.push_back(i);
    }
    std::vector<int> doubled;
    for (int i : ids) {
        doubled.push_back(i * 2);
    }
    auto expected = std::string(json::formatter::to_json(doubled));
    std::string out;
    auto ret = json::stream_range_as_array(ids, [](int i) { return i * 2; });
    ASSERT_TRUE(bool(ret._body_writer));
    sched.wait(ret._body_writer(output_stream<char>(data_sink(std::make_unique<string_sink>(out)), 512)));
    EXPECT_EQ(out, expected);

    json::json_return_type plain(std::vector<int>{1, 2});
    EXPECT_EQ(plain._res, "[1, 2]");
    EXPECT_FALSE(bool(plain._body_writer));

    point p;
    p.x = 1;
    std::string obj;
    auto streamed = json::stream_object(p);
    sched.wait(streamed._body_writer(output_stream<char>(data_sink(std::make_unique<string_sink>(obj)), 16)));
    EXPECT_EQ(obj, p.to_json());
}
