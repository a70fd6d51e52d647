// JSON objects with named members and the value a JSON handler returns
// (Seastar's <seastar/json/json_elements.hh>).
//
// A json_base subclass declares json_element<T> members and registers them
// with add(); to_json() writes the members that were set, in registration
// order. json_return_type is either a whole JSON text or a writer that
// streams it; stream_range_as_array() makes the streaming kind, so a large
// array goes out element by element.
//
// Contract: values owned by one shard; to_json() allocates (std::bad_alloc).
// A json_base's members point into the object itself: copying re-registers
// them (register_params() in the copy constructor), as Seastar's generated
// code does.
//
//     struct point : seastar::json::json_base {
//         seastar::json::json_element<int> x, y;
//         point() { add(&x, "x"); add(&y, "y"); }
//     };
//     point p; p.x = 1; p.y = 2;     // p.to_json() == "{\"x\": 1, \"y\": 2}"
//     return seastar::json::stream_range_as_array(ids, [](int id) { return id * 2; });
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/future.hh"
#include "seastar/core/iostream.hh"
#include "seastar/core/sstring.hh"
#include "seastar/json/formatter.hh"
#include "seastar/util/noncopyable_function.hh"

namespace seastar::json {

class json_base_element {
public:
    virtual ~json_base_element() = default;
    bool is_set() const noexcept { return _set; }
    virtual std::string to_string() const = 0;
    virtual future<> write(output_stream<char>& s) const = 0;

    std::string _name;
    bool _mandatory = false;

protected:
    bool _set = false;
};

template <typename T>
class json_element : public json_base_element {
public:
    json_element& operator=(const T& v) {
        _value = v;
        _set = true;
        return *this;
    }
    template <typename V>
    json_element& set(V&& v) {
        _value = std::forward<V>(v);
        _set = true;
        return *this;
    }
    const T& operator()() const noexcept { return _value; }
    std::string to_string() const override { return std::string(formatter::to_json(_value)); }
    future<> write(output_stream<char>& s) const override { return formatter::write(s, _value); }

private:
    T _value{};
};

// A member holding an array (push() appends).
template <typename T>
class json_list : public json_base_element {
public:
    void push(const T& v) {
        _elements.push_back(v);
        _set = true;
    }
    json_list& operator=(const std::vector<T>& v) {
        _elements = v;
        _set = true;
        return *this;
    }
    const std::vector<T>& operator()() const noexcept { return _elements; }
    std::string to_string() const override { return std::string(formatter::to_json(_elements)); }
    future<> write(output_stream<char>& s) const override { return formatter::write(s, _elements); }

private:
    std::vector<T> _elements;
};

class json_base : public jsonable {
public:
    json_base() = default;
    json_base(const json_base&) {}
    json_base& operator=(const json_base&) { return *this; }

    std::string to_json() const override;
    future<> write(output_stream<char>& s) const override;
    // Whether every mandatory member is set.
    bool is_verify() const;

protected:
    void add(json_base_element* element, std::string name, bool mandatory = false);

private:
    std::vector<json_base_element*> _elements;
};

// What a JSON handler returns: JSON text, or a writer that streams it.
struct json_return_type {
    sstring _res;
    noncopyable_function<future<>(output_stream<char>&&)> _body_writer;

    json_return_type(noncopyable_function<future<>(output_stream<char>&&)>&& writer)
        : _body_writer(std::move(writer)) {}
    template <typename T>
        requires(!std::is_same_v<std::decay_t<T>, json_return_type> &&
                 !std::is_convertible_v<T, noncopyable_function<future<>(output_stream<char> &&)>>)
    json_return_type(const T& v) : _res(formatter::to_json(v)) {}
    json_return_type(json_return_type&&) noexcept = default;
    json_return_type& operator=(json_return_type&&) noexcept = default;
};

// A JSON array written element by element: fun(element) gives each value.
// The container is moved into the writer and kept until it has been written.
template <typename Container, typename Func>
json_return_type stream_range_as_array(Container val, Func fun) {
    return json_return_type(noncopyable_function<future<>(output_stream<char>&&)>(
        [val = std::move(val), fun = std::move(fun)](output_stream<char>&& s) mutable -> future<> {
            auto out = std::move(s);
            std::exception_ptr ex;
            try {
                co_await out.write("[");
                bool first = true;
                for (auto& v : val) {
                    if (!first) {
                        co_await out.write(", ");
                    }
                    first = false;
                    co_await formatter::write(out, fun(v));
                }
                co_await out.write("]");
                co_await out.flush();
            } catch (...) {
                ex = std::current_exception();
            }
            co_await out.close();
            if (ex) {
                std::rethrow_exception(ex);
            }
        }));
}

// A JSON object written member by member.
template <typename Object>
json_return_type stream_object(Object val) {
    return json_return_type(noncopyable_function<future<>(output_stream<char>&&)>(
        [val = std::move(val)](output_stream<char>&& s) mutable -> future<> {
            auto out = std::move(s);
            std::exception_ptr ex;
            try {
                co_await formatter::write(out, val);
                co_await out.flush();
            } catch (...) {
                ex = std::current_exception();
            }
            co_await out.close();
            if (ex) {
                std::rethrow_exception(ex);
            }
        }));
}

// The value of a handler with nothing to return (renders as "").
struct json_void : public jsonable {
    std::string to_json() const override { return ""; }
};

} // namespace seastar::json
