fn main() {
    std::process::exit(imgspec::cli::run(std::env::args_os()));
}
