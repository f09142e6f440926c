#include <csignal>

#include "cli/app.hpp"

int main(int argc, char** argv) {
    // A file size limit (`ulimit -f`) must turn an oversized cache write into an EFBIG error the
    // caller handles, not kill the whole command with SIGXFSZ.
    std::signal(SIGXFSZ, SIG_IGN);
    return zsyncctl::cli::run(argc, argv);
}
