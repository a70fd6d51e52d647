// JSON parsing of request bodies: the three libraries Debian offers, on the
// same inputs, each parsing from a byte buffer (as a body arrives) into its
// document and reading a few fields, as a handler would.
//
//   bazel run --config=opt //seastar/json:json_parse_bench
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>
#include <rapidjson/document.h>
#include <simdjson.h>

namespace {

// A typical small request body (a key-value write with metadata).
std::string small_body() {
    return R"({"key":"user:12345","value":{"name":"Ada Lovelace","email":"ada@example.com","age":36,)"
           R"("tags":["math","engines","poetry"],"active":true,"score":98.5},"ttl":3600,"flags":[1,2,3,5,8]})";
}

// A larger body: an array of `n` such objects (about 180 bytes each).
std::string array_body(int n) {
    std::string s = "[";
    for (int i = 0; i < n; ++i) {
        if (i) {
            s += ',';
        }
        s += R"({"id":)" + std::to_string(i) + R"(,"key":"user:)" + std::to_string(i * 7) +
             R"(","value":{"name":"name )" + std::to_string(i) + R"(","age":)" + std::to_string(20 + i % 50) +
             R"(,"tags":["a","b","c"],"active":)" + (i % 2 ? "true" : "false") + R"(,"score":)" +
             std::to_string(i * 0.5) + "},\"ttl\":3600}";
    }
    return s + "]";
}

const std::string& input(int which) {
    static const std::string small = small_body();
    static const std::string large = array_body(500);
    return which == 0 ? small : large;
}

void set_label(benchmark::State& state, const std::string& in) {
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(in.size()));
    state.SetLabel(std::to_string(in.size()) + " bytes");
}

// Reads the fields a handler would: for the small body the key, ttl and a
// nested number; for the array every element's id and age.
void bm_simdjson(benchmark::State& state) {
    auto& in = input(int(state.range(0)));
    simdjson::dom::parser parser; // one per shard, reused
    for (auto _ : state) {
        simdjson::dom::element doc = parser.parse(in.data(), in.size()); // copies into padded memory
        int64_t sum = 0;
        if (doc.is_array()) {
            for (auto e : doc.get_array()) {
                sum += int64_t(e["id"]) + int64_t(e["value"]["age"]);
            }
        } else {
            sum += int64_t(doc["ttl"]) + int64_t(doc["value"]["age"]) + int64_t(std::string_view(doc["key"]).size());
        }
        benchmark::DoNotOptimize(sum);
    }
    set_label(state, in);
}

void bm_rapidjson(benchmark::State& state) {
    auto& in = input(int(state.range(0)));
    for (auto _ : state) {
        rapidjson::Document doc;
        doc.Parse(in.data(), in.size());
        int64_t sum = 0;
        if (doc.IsArray()) {
            for (auto& e : doc.GetArray()) {
                sum += e["id"].GetInt64() + e["value"]["age"].GetInt64();
            }
        } else {
            sum += doc["ttl"].GetInt64() + doc["value"]["age"].GetInt64() + doc["key"].GetStringLength();
        }
        benchmark::DoNotOptimize(sum);
    }
    set_label(state, in);
}

void bm_nlohmann(benchmark::State& state) {
    auto& in = input(int(state.range(0)));
    for (auto _ : state) {
        auto doc = nlohmann::json::parse(in.begin(), in.end());
        int64_t sum = 0;
        if (doc.is_array()) {
            for (auto& e : doc) {
                sum += e["id"].get<int64_t>() + e["value"]["age"].get<int64_t>();
            }
        } else {
            sum += doc["ttl"].get<int64_t>() + doc["value"]["age"].get<int64_t>() +
                   int64_t(doc["key"].get_ref<const std::string&>().size());
        }
        benchmark::DoNotOptimize(sum);
    }
    set_label(state, in);
}

// 0: the small body, 1: the 500-element array.
BENCHMARK(bm_simdjson)->Arg(0)->Arg(1);
BENCHMARK(bm_rapidjson)->Arg(0)->Arg(1);
BENCHMARK(bm_nlohmann)->Arg(0)->Arg(1);

} // namespace

BENCHMARK_MAIN();
