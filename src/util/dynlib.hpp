#pragma once
// Helpers for libraries loaded with dlopen() on first use (libarchive, libcurl): typed symbol lookup.

#include <dlfcn.h>

#include <string>

namespace zsyncctl::util {

/// Looks up `name` in `handle` and stores it in `slot` (a function pointer). On failure records the name
/// in `missing` and returns false, so a chain `resolve_symbol(...) && resolve_symbol(...)` names the first
/// symbol the library lacks.
template <typename Fn>
bool resolve_symbol(void* handle, const char* name, Fn& slot, std::string& missing) {
    void* symbol = ::dlsym(handle, name);
    if (symbol == nullptr) {
        missing = name;
        return false;
    }
    slot = reinterpret_cast<Fn>(symbol);
    return true;
}

} // namespace zsyncctl::util
