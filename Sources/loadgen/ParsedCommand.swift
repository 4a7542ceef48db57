/// What parsing a subcommand's arguments came to: options to run with, or an exit code.
enum ParsedCommand<Options> {
    case run(Options)
    case exit(Int32)

    /// Runs `parse`: nil (it saw --help) prints `usage` and exits 0; a bad argument prints one line
    /// naming the command and exits 2.
    static func parse(_ command: String, usage: String, _ arguments: [String],
                      _ parse: ([String]) throws(UsageError) -> Options?) -> ParsedCommand {
        do {
            guard let options = try parse(arguments) else {
                Terminal.out(usage)
                return .exit(0)
            }
            return .run(options)
        } catch {
            Terminal.error("loadgen \(command): \(error.message) (see loadgen \(command) --help)")
            return .exit(2)
        }
    }
}
