#include "seastar/http/request.hh"

#include "seastar/http/mime_types.hh"
#include "seastar/http/url.hh"

namespace seastar::http {

namespace {

bool contains_token(std::string_view value, std::string_view token) {
    // Comma-separated tokens, compared case-insensitively.
    while (!value.empty()) {
        auto comma = value.find(',');
        auto item = value.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
            item.remove_prefix(1);
        }
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
            item.remove_suffix(1);
        }
        if (case_insensitive_cmp()(item, token)) {
            return true;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        value.remove_prefix(comma + 1);
    }
    return false;
}

} // namespace

sstring request::get_header(std::string_view name) const {
    auto it = _headers.find(sstring(name));
    return it == _headers.end() ? sstring() : it->second;
}

sstring request::get_query_param(const sstring& key) const {
    auto it = query_parameters.find(key);
    return it == query_parameters.end() ? sstring() : it->second;
}

sstring request::get_url() const {
    auto host = get_header("Host");
    return get_protocol_name() + "://" + host + _url;
}

sstring request::get_path() const {
    auto q = _url.find('?');
    return q == sstring::npos ? _url : _url.substr(0, q);
}

sstring request::get_query_string() const {
    auto q = _url.find('?');
    return q == sstring::npos ? sstring() : _url.substr(q + 1);
}

bool request::should_keep_alive() const {
    auto conn = get_header("Connection");
    if (_version == "1.0") {
        return contains_token(conn, "keep-alive");
    }
    return !contains_token(conn, "close");
}

bool request::expects_continue() const {
    return _version != "1.0" && case_insensitive_cmp()(std::string_view(get_header("Expect")), "100-continue");
}

sstring request::parse_query_param() {
    auto q = _url.find('?');
    if (q == sstring::npos) {
        return _url;
    }
    std::string_view qs(_url.data() + q + 1, _url.size() - q - 1);
    while (!qs.empty()) {
        auto amp = qs.find('&');
        auto item = qs.substr(0, amp);
        if (!item.empty()) {
            auto eq = item.find('=');
            sstring key, value;
            bool ok = internal::url_decode(item.substr(0, eq), key);
            if (ok && eq != std::string_view::npos) {
                ok = internal::url_decode(item.substr(eq + 1), value);
            }
            if (ok) {
                query_parameters[key] = value;
            }
        }
        if (amp == std::string_view::npos) {
            break;
        }
        qs.remove_prefix(amp + 1);
    }
    return _url.substr(0, q);
}

void request::write_body(const sstring& content_type, sstring body) {
    _headers["Content-Type"] = httpd::mime_types::mime_type_from_extension(content_type);
    content_length = body.size();
    _headers["Content-Length"] = to_sstring(body.size());
    content = std::move(body);
}

void request::write_body(const sstring& content_type, noncopyable_function<future<>(output_stream<char>&&)>&& writer) {
    _headers["Content-Type"] = httpd::mime_types::mime_type_from_extension(content_type);
    _headers["Transfer-Encoding"] = "chunked";
    _headers.erase("Content-Length");
    content_length = 0;
    body_writer = std::move(writer);
}

void request::write_body(const sstring& content_type, size_t len,
                         noncopyable_function<future<>(output_stream<char>&&)>&& writer) {
    _headers["Content-Type"] = httpd::mime_types::mime_type_from_extension(content_type);
    _headers["Content-Length"] = to_sstring(len);
    _headers.erase("Transfer-Encoding");
    content_length = len;
    body_writer = std::move(writer);
}

request request::make(sstring method, sstring host, sstring path) {
    request r;
    r._method = std::move(method);
    r._url = std::move(path);
    r._version = "1.1";
    r._headers["Host"] = std::move(host);
    return r;
}

request request::make(httpd::operation_type type, sstring host, sstring path) {
    return make(httpd::type2str(type), std::move(host), std::move(path));
}

} // namespace seastar::http
