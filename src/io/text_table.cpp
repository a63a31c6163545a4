#include "gradlab/io/text_table.hpp"

#include <algorithm>

namespace gradlab::io {

void write_text_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        widths.resize(std::max(widths.size(), row.size()), 0);
        for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
    }
    for (const auto& row : rows) {
        for (std::size_t c = 0; c < row.size(); ++c)
            out << row[c] << (c + 1 < row.size() ? std::string(widths[c] - row[c].size() + 2, ' ') : "");
        out << '\n';
    }
}

}  // namespace gradlab::io
