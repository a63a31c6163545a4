#pragma once
// Reading one table of a TOML document against its schema: no key outside
// the schema (the closest valid key suggested), every value of the expected
// type and range, each fault a field_error naming the key path.

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace gradlab::io::detail {

// A fault in one value or table: "model.layers[2].out: must be a positive integer, got -5".
struct field_error : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// The document's text, from which a number's decimal text is sliced (toml++
// gives each node's source region in lines and code points).
class source_text {
public:
    explicit source_text(std::string_view text);
    // The text of `region`, empty when toml++ gave none.
    std::string_view slice(const toml::source_region& region) const;

private:
    std::string_view text_;
    std::vector<std::size_t> line_starts_;
};

// "a string", "an integer", ...: what a message says was found.
std::string_view type_phrase(const toml::node& node);

// The valid key nearest to `key` by edit distance (transpositions count as
// one edit), when it is near enough to be a likely typo: at most 2 edits, at
// most a third of the key's length (but 1 for any key) and fewer than its length.
std::optional<std::string_view> closest_key(std::string_view key, std::initializer_list<std::string_view> valid);

// "path.key", or "key" at the root.
std::string join_path(std::string_view path, std::string_view key);

class table_reader {
public:
    // Throws field_error for a key of `table` outside `keys`. `path` is the
    // table's key path ("" for the document's root).
    table_reader(const toml::table& table, std::string path, std::initializer_list<std::string_view> keys,
                 const source_text& source);

    const std::string& path() const { return path_; }
    std::string path_of(std::string_view key) const { return join_path(path_, key); }
    const toml::node* find(std::string_view key) const { return table_.get(key); }
    // The value at `key`; field_error when it is absent.
    const toml::node& require(std::string_view key) const;

    // Each of these leaves `out` as it is when the key is absent.
    void read(std::string_view key, std::string& out) const;
    void read(std::string_view key, bool& out) const;
    // An integer of at least `minimum` (0 or 1).
    void read(std::string_view key, std::size_t& out, std::size_t minimum) const;
    // A finite number, or one above 0.
    void read(std::string_view key, double& out) const;
    void read_positive(std::string_view key, double& out) const;
    // A finite number as decimal text: a string, or a number's text in the document.
    void read_decimal(std::string_view key, std::string& out) const;
    // A name read by `parse`, whose std::invalid_argument is prefixed with the key path.
    template <class E, class Parse>
    void read_name(std::string_view key, E& out, Parse parse) const {
        if (const auto* node = find(key)) out = parse_name(*node, path_of(key), parse);
    }

    // The table or array at `key`, nullptr when absent; field_error when it is another type.
    const toml::table* table(std::string_view key) const;
    const toml::array* array(std::string_view key) const;

    // The string `node` (at `path`), or field_error.
    static const std::string& string_of(const toml::node& node, const std::string& path);
    template <class Parse>
    static auto parse_name(const toml::node& node, const std::string& path, Parse parse) {
        const std::string& name = string_of(node, path);
        try {
            return parse(name);
        } catch (const std::invalid_argument& e) {
            throw field_error(path + ": " + e.what());
        }
    }
    // The decimal text of a string or number node (at `path`), checked to be a finite number.
    static std::string decimal_of(const toml::node& node, const std::string& path, const source_text& source);

private:
    const toml::table& table_;
    std::string path_;
    const source_text& source_;
};

}  // namespace gradlab::io::detail
