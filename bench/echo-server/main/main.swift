import EchoServer
import Glibc

// echo-server: see ServerOptions.usage. The program is EchoServerCommand, shared with
// `loadgen echo-server`.
exit(EchoServerCommand.main(Array(CommandLine.arguments.dropFirst())))
