//! The `slawatch` command: the process's allocator, then the command line
//! (`slawatch::cli`): parse arguments, load config, call into the library.

use std::process::ExitCode;

/// One allocator for the whole process, SQLite's allocations included (the
/// `override` feature replaces `malloc` and `free`): with glibc's, the
/// writer spent about a quarter of its time allocating and freeing, much of
/// it on memory other threads had allocated (docs/benchmarks-history.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    slawatch::cli::main()
}
