// JSON text for values (Seastar's <seastar/json/formatter.hh>): strings with
// RFC 8259 escapes, numbers, booleans, containers and anything `jsonable`,
// as a string or written to an output_stream piece by piece (so a large
// array is never held whole in memory).
//
// Contract: static functions, any shard. to_json() allocates its result
// (std::bad_alloc); write() resolves when the stream accepted the text.
// Non-finite doubles are written as null (JSON has no NaN or infinity).
//
//     seastar::json::formatter::to_json(std::vector<int>{1, 2});   // "[1, 2]"
//     seastar::json::formatter::to_json("a\"b");                   // "\"a\\\"b\""
//     co_await seastar::json::formatter::write(out, std::map<std::string, int>{{"a", 1}});
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/future.hh"
#include "seastar/core/iostream.hh"
#include "seastar/core/sstring.hh"

namespace seastar::json {

// Something that renders itself as JSON.
class jsonable {
public:
    virtual ~jsonable() = default;
    virtual std::string to_json() const = 0;
    // Writes to_json() by default; large objects override it to stream.
    virtual future<> write(output_stream<char>& s) const;
};

class formatter {
public:
    static sstring to_json(std::string_view str);
    static sstring to_json(const sstring& str) { return to_json(std::string_view(str)); }
    static sstring to_json(const std::string& str) { return to_json(std::string_view(str)); }
    static sstring to_json(const char* str) { return to_json(std::string_view(str)); }
    static sstring to_json(bool b) { return b ? "true" : "false"; }
    static sstring to_json(double d);
    static sstring to_json(float f) { return to_json(double(f)); }
    template <typename T>
        requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
    static sstring to_json(T n) {
        return to_sstring(n);
    }
    static sstring to_json(const jsonable& obj) { return sstring(obj.to_json()); }
    template <typename T>
    static sstring to_json(const std::vector<T>& v) {
        return to_json_range(v.begin(), v.end());
    }
    template <typename K, typename V>
    static sstring to_json(const std::map<K, V>& m) {
        return to_json_map(m.begin(), m.end());
    }
    template <typename K, typename V>
    static sstring to_json(const std::unordered_map<K, V>& m) {
        return to_json_map(m.begin(), m.end());
    }

    // Writes the JSON text of `v` to `s`; containers element by element.
    template <typename T>
    static future<> write(output_stream<char>& s, const T& v) {
        if constexpr (std::is_base_of_v<jsonable, T>) {
            return v.write(s);
        } else if constexpr (is_vector<T>::value) {
            return write_range(s, v.begin(), v.end());
        } else {
            auto text = to_json(v); // write() copies it before returning
            return s.write(std::string_view(text));
        }
    }

private:
    template <typename T>
    struct is_vector : std::false_type {};
    template <typename T, typename A>
    struct is_vector<std::vector<T, A>> : std::true_type {};

    template <typename It>
    static sstring to_json_range(It b, It e) {
        std::string r = "[";
        for (auto i = b; i != e; ++i) {
            if (i != b) {
                r += ", ";
            }
            r += std::string_view(to_json(*i));
        }
        r += "]";
        return sstring(r);
    }
    template <typename It>
    static sstring to_json_map(It b, It e) {
        std::string r = "{";
        for (auto i = b; i != e; ++i) {
            if (i != b) {
                r += ", ";
            }
            r += std::string_view(to_json(i->first));
            r += ": ";
            r += std::string_view(to_json(i->second));
        }
        r += "}";
        return sstring(r);
    }
    template <typename It>
    static future<> write_range(output_stream<char>& s, It b, It e) {
        co_await s.write("[");
        for (auto i = b; i != e; ++i) {
            if (i != b) {
                co_await s.write(", ");
            }
            co_await write(s, *i);
        }
        co_await s.write("]");
    }
};

} // namespace seastar::json
