#include "toml_table_reader.hpp"

#include <algorithm>
#include <cmath>

#include <mpfr.h>

#include "gradlab/scalar/conversions.hpp"

namespace gradlab::io::detail {

namespace {

std::string comma_list(std::initializer_list<std::string_view> names) {
    std::string list;
    for (auto name : names) list += (list.empty() ? "" : ", ") + std::string(name);
    return list;
}

// Optimal string alignment distance: insertions, deletions, substitutions and
// transpositions of neighbours, each one edit.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t substitution = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + substitution});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

bool is_finite_number(const std::string& text) {
    mpfr_t x;
    mpfr_init2(x, 64);
    const bool finite = parse_number(text, x) && mpfr_number_p(x);
    mpfr_clear(x);
    return finite;
}

}  // namespace

source_text::source_text(std::string_view text) : text_(text), line_starts_{0} {
    for (std::size_t i = 0; i < text.size(); ++i)
        if (text[i] == '\n') line_starts_.push_back(i + 1);
}

std::string_view source_text::slice(const toml::source_region& region) const {
    // Byte offset of a (line, column) position, columns counting code points.
    const auto offset = [&](const toml::source_position& p) -> std::optional<std::size_t> {
        if (!p || p.line > line_starts_.size()) return std::nullopt;
        std::size_t at = line_starts_[p.line - 1];
        for (toml::source_index column = 1; column < p.column && at < text_.size(); ++column)
            do ++at;
            while (at < text_.size() && (static_cast<unsigned char>(text_[at]) & 0xC0) == 0x80);
        return at;
    };
    const auto begin = offset(region.begin), end = offset(region.end);
    if (!begin || !end || *end < *begin) return {};
    return text_.substr(*begin, *end - *begin);
}

std::string_view type_phrase(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a floating-point number";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
        default: return "nothing";
    }
}

std::optional<std::string_view> closest_key(std::string_view key, std::initializer_list<std::string_view> valid) {
    std::optional<std::string_view> best;
    std::size_t best_distance = 3;
    for (auto candidate : valid) {
        const std::size_t d = edit_distance(key, candidate);
        if (d < best_distance && d <= std::max<std::size_t>(1, key.size() / 3) && d < key.size()) {
            best = candidate;
            best_distance = d;
        }
    }
    return best;
}

std::string join_path(std::string_view path, std::string_view key) {
    return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

table_reader::table_reader(const toml::table& table, std::string path, std::initializer_list<std::string_view> keys,
                           const source_text& source)
    : table_(table), path_(std::move(path)), source_(source) {
    for (const auto& [k, value] : table) {
        const std::string_view key = k.str();
        if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
        const std::string where = path_.empty() ? "unknown top-level key" : "[" + path_ + "] unknown key";
        const auto suggestion = closest_key(key, keys);
        throw field_error(where + " '" + std::string(key) + "' (" +
                          (suggestion ? "did you mean '" + std::string(*suggestion) + "'?"
                                      : "valid: " + comma_list(keys)) +
                          ")");
    }
}

const toml::node& table_reader::require(std::string_view key) const {
    if (const auto* node = find(key)) return *node;
    throw field_error(path_of(key) + ": missing");
}

const std::string& table_reader::string_of(const toml::node& node, const std::string& path) {
    if (const auto* s = node.as_string()) return s->get();
    throw field_error(path + ": expected a string, got " + std::string(type_phrase(node)));
}

void table_reader::read(std::string_view key, std::string& out) const {
    if (const auto* node = find(key)) out = string_of(*node, path_of(key));
}

void table_reader::read(std::string_view key, bool& out) const {
    const auto* node = find(key);
    if (!node) return;
    const auto* b = node->as_boolean();
    if (!b) throw field_error(path_of(key) + ": expected a boolean, got " + std::string(type_phrase(*node)));
    out = b->get();
}

void table_reader::read(std::string_view key, std::size_t& out, std::size_t minimum) const {
    const auto* node = find(key);
    if (!node) return;
    const auto* i = node->as_integer();
    if (!i) throw field_error(path_of(key) + ": expected an integer, got " + std::string(type_phrase(*node)));
    if (i->get() < static_cast<std::int64_t>(minimum))
        throw field_error(path_of(key) + ": must be a " + (minimum == 0 ? "non-negative" : "positive") +
                          " integer, got " + std::to_string(i->get()));
    out = static_cast<std::size_t>(i->get());
}

void table_reader::read(std::string_view key, double& out) const {
    const auto* node = find(key);
    if (!node) return;
    if (!node->is_number())
        throw field_error(path_of(key) + ": expected a number, got " + std::string(type_phrase(*node)));
    const double value = node->value<double>().value();
    if (!std::isfinite(value)) throw field_error(path_of(key) + ": must be a finite number, got " + std::to_string(value));
    out = value;
}

void table_reader::read_positive(std::string_view key, double& out) const {
    const auto* node = find(key);
    if (!node) return;
    double value = 0;
    read(key, value);
    if (!(value > 0))
        throw field_error(path_of(key) + ": must be above 0, got " + std::string(source_.slice(node->source())));
    out = value;
}

std::string table_reader::decimal_of(const toml::node& node, const std::string& path, const source_text& source) {
    std::string text;
    if (const auto* s = node.as_string()) text = s->get();
    else if (const auto* i = node.as_integer()) text = std::to_string(i->get());  // also for 0x.., 0o.., 0b..
    else if (node.is_floating_point()) {
        text = source.slice(node.source());
        std::erase(text, '_');  // TOML's digit separators
    } else
        throw field_error(path + ": expected a number or a decimal string, got " + std::string(type_phrase(node)));
    if (!is_finite_number(text)) throw field_error(path + ": '" + text + "' is not a finite number");
    return text;
}

void table_reader::read_decimal(std::string_view key, std::string& out) const {
    if (const auto* node = find(key)) out = decimal_of(*node, path_of(key), source_);
}

const toml::table* table_reader::table(std::string_view key) const {
    const auto* node = find(key);
    if (!node) return nullptr;
    if (const auto* t = node->as_table()) return t;
    throw field_error(path_of(key) + ": expected a table, got " + std::string(type_phrase(*node)));
}

const toml::array* table_reader::array(std::string_view key) const {
    const auto* node = find(key);
    if (!node) return nullptr;
    if (const auto* a = node->as_array()) return a;
    throw field_error(path_of(key) + ": expected an array, got " + std::string(type_phrase(*node)));
}

}  // namespace gradlab::io::detail
