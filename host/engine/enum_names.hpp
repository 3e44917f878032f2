// One mechanism for the names of the public enums: a table of (value, name) entries per enum gives
// to_string, parsing and the list of choices an error message names. A value's first entry is
// its name; later entries for the same value are accepted aliases.
#pragma once

#include <cstddef>
#include <string>

#include "hepcat/error.hpp"

namespace hepcat::detail {

template <class E>
struct EnumName {
  E value;
  const char* name;
};

/// The name of `value` ("unknown" if the table lacks it).
template <class E, std::size_t N>
const char* enum_to_string(const EnumName<E> (&table)[N], E value) {
  for (const EnumName<E>& e : table)
    if (e.value == value) return e.name;
  return "unknown";
}

/// The entry named `text`, or null.
template <class E, std::size_t N>
const EnumName<E>* find_enum(const EnumName<E> (&table)[N], const std::string& text) {
  for (const EnumName<E>& e : table)
    if (text == e.name) return &e;
  return nullptr;
}

/// "a, b or c": the name of every value, aliases left out.
template <class E, std::size_t N>
std::string enum_choices(const EnumName<E> (&table)[N]) {
  std::string out;
  std::size_t count = 0;
  for (std::size_t i = 0; i < N; ++i) {
    if (enum_to_string(table, table[i].value) != table[i].name) continue;
    std::size_t later = 0;
    for (std::size_t j = i + 1; j < N; ++j)
      later += enum_to_string(table, table[j].value) == table[j].name;
    out += (count == 0 ? "" : later == 0 ? " or " : ", ") + std::string(table[i].name);
    ++count;
  }
  return out;
}

/// The value named `text`; otherwise Error("unknown <what> '<text>' (expected <choices>)").
template <class E, std::size_t N>
E parse_enum(const EnumName<E> (&table)[N], const std::string& text, const std::string& what) {
  if (const EnumName<E>* e = find_enum(table, text)) return e->value;
  throw Error("unknown " + what + " '" + text + "' (expected " + enum_choices(table) + ")");
}

}  // namespace hepcat::detail
