#include "seastar/json/json_elements.hh"

namespace seastar::json {

void json_base::add(json_base_element* element, std::string name, bool mandatory) {
    element->_name = std::move(name);
    element->_mandatory = mandatory;
    _elements.push_back(element);
}

bool json_base::is_verify() const {
    for (auto* e : _elements) {
        if (e->_mandatory && !e->is_set()) {
            return false;
        }
    }
    return true;
}

std::string json_base::to_json() const {
    std::string r = "{";
    bool first = true;
    for (auto* e : _elements) {
        if (!e->is_set()) {
            continue;
        }
        if (!first) {
            r += ", ";
        }
        first = false;
        r += std::string_view(formatter::to_json(e->_name));
        r += ": ";
        r += e->to_string();
    }
    r += "}";
    return r;
}

future<> json_base::write(output_stream<char>& s) const {
    co_await s.write("{");
    bool first = true;
    for (auto* e : _elements) {
        if (!e->is_set()) {
            continue;
        }
        if (!first) {
            co_await s.write(", ");
        }
        first = false;
        co_await s.write(std::string_view(formatter::to_json(e->_name)));
        co_await s.write(": ");
        co_await e->write(s);
    }
    co_await s.write("}");
}

} // namespace seastar::json
