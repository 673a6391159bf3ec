//! `soo`: the native command line for full-size runs. Each subcommand (in `cli/`) is a thin
//! shell over soo-core; `--json` output is for scripts and is kept stable.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
