fn main() -> std::process::ExitCode {
    selfeval::cli::run()
}
