#include "seastar/http/reply.hh"

#include "seastar/http/mime_types.hh"

namespace seastar::http {

std::string_view reason_phrase(reply::status_type status) noexcept {
    using s = reply::status_type;
    switch (status) {
    case s::continue_:
        return "Continue";
    case s::switching_protocols:
        return "Switching Protocols";
    case s::ok:
        return "OK";
    case s::created:
        return "Created";
    case s::accepted:
        return "Accepted";
    case s::nonauthoritative_information:
        return "Non-Authoritative Information";
    case s::no_content:
        return "No Content";
    case s::reset_content:
        return "Reset Content";
    case s::partial_content:
        return "Partial Content";
    case s::multiple_choices:
        return "Multiple Choices";
    case s::moved_permanently:
        return "Moved Permanently";
    case s::moved_temporarily:
        return "Found";
    case s::see_other:
        return "See Other";
    case s::not_modified:
        return "Not Modified";
    case s::use_proxy:
        return "Use Proxy";
    case s::temporary_redirect:
        return "Temporary Redirect";
    case s::permanent_redirect:
        return "Permanent Redirect";
    case s::bad_request:
        return "Bad Request";
    case s::unauthorized:
        return "Unauthorized";
    case s::payment_required:
        return "Payment Required";
    case s::forbidden:
        return "Forbidden";
    case s::not_found:
        return "Not Found";
    case s::method_not_allowed:
        return "Method Not Allowed";
    case s::not_acceptable:
        return "Not Acceptable";
    case s::request_timeout:
        return "Request Timeout";
    case s::conflict:
        return "Conflict";
    case s::gone:
        return "Gone";
    case s::length_required:
        return "Length Required";
    case s::payload_too_large:
        return "Payload Too Large";
    case s::uri_too_long:
        return "URI Too Long";
    case s::unsupported_media_type:
        return "Unsupported Media Type";
    case s::expectation_failed:
        return "Expectation Failed";
    case s::page_expired:
        return "Page Expired";
    case s::unprocessable_entity:
        return "Unprocessable Entity";
    case s::upgrade_required:
        return "Upgrade Required";
    case s::too_many_requests:
        return "Too Many Requests";
    case s::request_header_fields_too_large:
        return "Request Header Fields Too Large";
    case s::internal_server_error:
        return "Internal Server Error";
    case s::not_implemented:
        return "Not Implemented";
    case s::bad_gateway:
        return "Bad Gateway";
    case s::service_unavailable:
        return "Service Unavailable";
    case s::gateway_timeout:
        return "Gateway Timeout";
    case s::http_version_not_supported:
        return "HTTP Version Not Supported";
    case s::insufficient_storage:
        return "Insufficient Storage";
    }
    return "Unknown";
}

sstring reply::get_header(std::string_view name) const {
    auto it = _headers.find(sstring(name));
    return it == _headers.end() ? sstring() : it->second;
}

reply& reply::set_content_type(std::string_view type) {
    return add_header("Content-Type", httpd::mime_types::mime_type_from_extension(type));
}

void reply::write_body(const sstring& content_type, sstring content) {
    set_content_type(content_type);
    _content = std::move(content);
    _body_writer = noncopyable_function<future<>(output_stream<char>&&)>();
}

void reply::write_body(const sstring& content_type,
                       noncopyable_function<future<>(output_stream<char>&&)>&& body_writer) {
    set_content_type(content_type);
    _content = sstring();
    _body_writer = std::move(body_writer);
}

sstring reply::response_line() const {
    return "HTTP/" + _version + " " + to_sstring(int(_status)) + " " + sstring(reason_phrase(_status)) + "\r\n";
}

} // namespace seastar::http
