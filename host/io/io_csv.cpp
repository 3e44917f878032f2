// CSV tables: one header row of column names, then one row of numbers per event. The whole file
// is read at once and parsed in parallel chunks that start at line boundaries; cells are parsed
// with std::from_chars and written with std::to_chars (shortest text that reads back to the
// same float).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>

#include "hepcat/error.hpp"
#include "host/engine/parallel.hpp"
#include "host/io/atomic_file.hpp"
#include "host/io/io_formats.hpp"

namespace hepcat::detail {

namespace {

std::string read_whole_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw Error("cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  std::string data;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw Error("cannot read '" + path + "': it is a directory");
  }
  data.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < data.size()) {
    const ssize_t r = ::read(fd, data.data() + got, data.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      const std::string why = r < 0 ? std::strerror(errno) : "file shrank while reading";
      ::close(fd);
      throw Error("cannot read '" + path + "': " + why);
    }
    got += static_cast<std::size_t>(r);
  }
  ::close(fd);
  return data;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// Parses one cell; returns false when it is not a number. Values beyond the float range are
// rejected; values below it become zero or a subnormal, as a float cast of the double would.
bool parse_float(std::string_view cell, float* out) {
  cell = trim(cell);
  if (cell.size() > 1 && cell.front() == '+' && cell[1] != '-') cell.remove_prefix(1);
  if (cell.empty()) return false;
  const char* end = cell.data() + cell.size();
  auto r = std::from_chars(cell.data(), end, *out);
  if (r.ec == std::errc::result_out_of_range) {
    double d = 0;
    r = std::from_chars(cell.data(), end, d);
    if (r.ec != std::errc() || std::abs(d) > std::numeric_limits<float>::max()) return false;
    *out = static_cast<float>(d);
  }
  return r.ec == std::errc() && r.ptr == end;
}

std::vector<std::string> split_header(std::string_view line) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    std::string_view name = trim(line.substr(start, comma - start));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
      name = name.substr(1, name.size() - 2);
    names.emplace_back(name);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return names;
}

// What one parallel chunk of lines produced; the first failing line stops the chunk.
struct Chunk {
  std::vector<std::vector<float>> columns;
  std::size_t lines = 0;
  bool failed = false;
  std::size_t error_line = 0;  ///< index of the failing line within the chunk
  std::string error;
};

void parse_chunk(std::string_view text, const std::vector<int>& slot,
                 const std::vector<std::string>& header, Chunk& chunk) {
  const std::size_t n_cells = header.size();
  std::size_t pos = 0;
  for (; pos < text.size(); ++chunk.lines) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (trim(line).empty()) continue;
    std::size_t cell = 0, start = 0;
    while (true) {
      const std::size_t comma = line.find(',', start);
      if (cell >= n_cells) {
        chunk.error = "more cells than the " + std::to_string(n_cells) + " columns of the header";
        break;
      }
      if (slot[cell] >= 0) {
        float v;
        const std::string_view text_cell = line.substr(start, comma - start);
        if (!parse_float(text_cell, &v)) {
          chunk.error = "column '" + header[cell] + "': '" + std::string(trim(text_cell)) +
                        "' is not a number";
          break;
        }
        chunk.columns[static_cast<std::size_t>(slot[cell])].push_back(v);
      }
      ++cell;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (chunk.error.empty() && cell != n_cells)
      chunk.error = std::to_string(cell) + " cells, but the header has " + std::to_string(n_cells) +
                    " columns";
    if (!chunk.error.empty()) {
      chunk.failed = true;
      chunk.error_line = chunk.lines;
      return;
    }
  }
}

// The text after the UTF-8 byte order mark; throws Error for a file without a header row.
std::string_view content(const std::string& path, const std::string& data) {
  std::string_view text(data);
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    throw Error("'" + path + "' is empty: expected a header row of column names");
  return text;
}

// Leading blank lines are skipped; the header is the first non-blank line. Sets `pos` to the
// first byte after it and `line` to its line number.
std::string_view find_header(std::string_view text, std::size_t* pos, std::size_t* line) {
  *line = 1;
  *pos = 0;
  while (true) {
    const std::size_t eol = std::min(text.find('\n', *pos), text.size());
    const std::string_view header = text.substr(*pos, eol - *pos);
    *pos = std::min(eol + 1, text.size());
    if (!trim(header).empty()) return header;
    ++*line;
  }
}

// Walks the rows (non-blank lines) of `body`: calls at(row, byte, lines) before row `row`
// starts, with `lines` the lines passed so far, and returns the number of rows.
template <class At>
std::size_t walk_rows(std::string_view body, At at) {
  std::size_t rows = 0, lines = 0;
  for (std::size_t pos = 0; pos < body.size(); ++lines) {
    std::size_t eol = body.find('\n', pos);
    if (eol == std::string_view::npos) eol = body.size();
    if (!trim(body.substr(pos, eol - pos)).empty()) at(rows++, pos, lines);
    pos = eol + 1;
  }
  return rows;
}

}  // namespace

std::size_t count_csv_rows(const std::string& path) {
  const std::string data = read_whole_file(path);
  const std::string_view text = content(path, data);
  std::size_t pos = 0, header_line = 0;
  find_header(text, &pos, &header_line);
  return walk_rows(text.substr(pos), [](std::size_t, std::size_t, std::size_t) {});
}

EventTable read_csv(const std::string& path, const std::vector<std::string>& columns,
                    const RowSelection& selection) {
  const std::string data = read_whole_file(path);
  const std::string_view text = content(path, data);
  std::size_t header_line = 1, pos = 0;
  const std::string_view header_text = find_header(text, &pos, &header_line);
  const std::vector<std::string> header = split_header(header_text);
  const std::string at_header = "'" + path + "' line " + std::to_string(header_line) + ": ";
  for (std::size_t j = 0; j < header.size(); ++j) {
    if (header[j].empty())
      throw Error(at_header + "column " + std::to_string(j + 1) + " has an empty name");
    for (std::size_t k = 0; k < j; ++k)
      if (header[k] == header[j])
        throw Error(at_header + "duplicate column name '" + header[j] + "'");
  }

  // slot[c]: where header column c goes in the result, -1 when not selected.
  std::vector<std::string> names = columns.empty() ? header : columns;
  std::vector<int> slot(header.size(), -1);
  for (std::size_t k = 0; k < names.size(); ++k) {
    const auto it = std::find(header.begin(), header.end(), names[k]);
    if (it == header.end()) {
      std::string available;
      for (const auto& h : header) available += (available.empty() ? "" : ", ") + h;
      throw Error("'" + path + "' has no column '" + names[k] + "' (available: " + available + ")");
    }
    int& s = slot[static_cast<std::size_t>(it - header.begin())];
    if (s >= 0) throw Error("column '" + names[k] + "' requested twice from '" + path + "'");
    s = static_cast<int>(k);
  }

  // A selection of rows parses only their lines; errors still name the line in the file.
  std::string_view body = text.substr(pos);
  if (selection.begin > 0 || selection.end != RowSelection::kAll) {
    std::size_t from = body.size(), to = body.size(), skipped = 0;
    const std::size_t rows =
        walk_rows(body, [&](std::size_t row, std::size_t at, std::size_t lines) {
          if (row == selection.begin) {
            from = at;
            skipped = lines;
          }
          if (row == selection.end) to = at;
        });
    check_selection(path, selection, rows);
    body = body.substr(std::min(from, to), to - std::min(from, to));
    header_line += skipped;
  }

  // Chunks of about 4 MB that begin right after a line break.
  const std::size_t target = 4u << 20;
  std::vector<std::size_t> bounds{0};
  while (bounds.back() < body.size()) {
    std::size_t next = bounds.back() + target;
    if (next >= body.size()) {
      next = body.size();
    } else {
      next = body.find('\n', next);
      next = next == std::string_view::npos ? body.size() : next + 1;
    }
    bounds.push_back(next);
  }
  const std::int64_t n_chunks = static_cast<std::int64_t>(bounds.size()) - 1;
  std::vector<Chunk> chunks(static_cast<std::size_t>(n_chunks));
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t c = 0; c < n_chunks; ++c) {
    Chunk& chunk = chunks[static_cast<std::size_t>(c)];
    chunk.columns.resize(names.size());
    parse_chunk(body.substr(bounds[c], bounds[c + 1] - bounds[c]), slot, header, chunk);
  }

  std::size_t line = header_line, rows = 0;
  std::vector<std::size_t> offset(chunks.size());
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    if (chunks[c].failed)
      throw Error("'" + path + "' line " + std::to_string(line + chunks[c].error_line + 1) + ": " +
                  chunks[c].error);
    line += chunks[c].lines;
    offset[c] = rows;
    rows += chunks[c].columns.empty() ? 0 : chunks[c].columns.front().size();
  }

  EventTable table;
  table.names = std::move(names);
  table.columns.assign(table.names.size(), std::vector<float>(rows));
  const std::int64_t n_cols = static_cast<std::int64_t>(table.names.size());
#pragma omp parallel for collapse(2) schedule(dynamic, 1)
  for (std::int64_t j = 0; j < n_cols; ++j)
    for (std::int64_t c = 0; c < n_chunks; ++c) {
      const auto& src = chunks[static_cast<std::size_t>(c)].columns[static_cast<std::size_t>(j)];
      std::copy(src.begin(), src.end(), table.columns[j].begin() + offset[c]);
    }
  return table;
}

void write_csv(const std::string& path, const EventTable& table) {
  write_atomically(path, [&](const std::string& temp) {
    OutputFile out(temp, path);
    std::string header;
    for (const auto& name : table.names) header += (header.empty() ? "" : ",") + name;
    header += '\n';
    out.write(header.data(), header.size());

    // Blocks of rows are formatted in parallel and written in order; a batch of blocks bounds
    // the memory held at once.
    constexpr std::size_t kBlockRows = 1u << 15;
    constexpr std::size_t kMaxCell = 16;  // "-1.17549435e-38" plus the separator
    const std::size_t rows = table.rows(), n_cols = table.columns.size();
    const std::size_t n_blocks = (rows + kBlockRows - 1) / kBlockRows;
    const std::size_t batch = 4 * static_cast<std::size_t>(cpu::max_threads());
    std::vector<std::string> text(batch);
    for (std::size_t first = 0; first < n_blocks; first += batch) {
      const std::int64_t count = static_cast<std::int64_t>(std::min(batch, n_blocks - first));
#pragma omp parallel for schedule(dynamic, 1)
      for (std::int64_t b = 0; b < count; ++b) {
        const std::size_t r0 = (first + static_cast<std::size_t>(b)) * kBlockRows;
        const std::size_t r1 = std::min(rows, r0 + kBlockRows);
        std::string& s = text[static_cast<std::size_t>(b)];
        s.resize((r1 - r0) * n_cols * kMaxCell);
        char* p = s.data();
        for (std::size_t r = r0; r < r1; ++r) {
          for (std::size_t j = 0; j < n_cols; ++j) {
            p = std::to_chars(p, p + kMaxCell, table.columns[j][r]).ptr;
            *p++ = j + 1 < n_cols ? ',' : '\n';
          }
        }
        s.resize(static_cast<std::size_t>(p - s.data()));
      }
      for (std::int64_t b = 0; b < count; ++b)
        out.write(text[static_cast<std::size_t>(b)].data(),
                  text[static_cast<std::size_t>(b)].size());
    }
    out.close();
  });
}

}  // namespace hepcat::detail
