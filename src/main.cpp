#include "cli/app.hpp"

int main(int argc, char** argv) {
    return zsyncctl::cli::run(argc, argv);
}
