// Composition root: everything lives in the libraries; main only hands over argv.
#include "exporter/app/commands.h"

int main(int argc, char** argv) { return lle::app::cli_main(argc, argv); }
