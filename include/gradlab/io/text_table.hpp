#pragma once
// Rows of cells as text columns for the terminal: each column as wide as its
// widest cell, two spaces between columns, no trailing spaces.

#include <ostream>
#include <string>
#include <vector>

namespace gradlab::io {

void write_text_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows);

}  // namespace gradlab::io
