import Glibc
import Loadgen

// echo-server: see ServerOptions.usage.

func writeLine(_ text: String, to fd: Int32) {
    var line = text + "\n"
    line.withUTF8 { bytes in _ = write(fd, bytes.baseAddress, bytes.count) }
}

let options: ServerOptions
do {
    options = try ServerOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch .help {
    writeLine(ServerOptions.usage, to: 1)
    exit(0)
} catch .message(let message) {
    writeLine("echo-server: \(message) (see --help)", to: 2)
    exit(2)
}

do {
    // Signals become events on a descriptor; created first so every thread inherits the mask.
    let signals = try SignalWatcher()
    ProcessResources.ignoreSIGPIPE()
    let address = try SocketAddress(host: options.host, port: options.port)
    let listener = try Socket.listen(on: address)
    let bound = try Socket.localAddress(listener)
    let stop = StopFlag()
    ProcessResources.raiseDescriptorLimitToHard()
    var threads: [Thread.Handle] = []
    for _ in 0..<options.threads {
        let thread = try Thread {
            do {
                var loop = try ServerLoop(listener: listener, options: options, stop: stop)
                loop.run()
            } catch {
                writeLine("echo-server: \(error)", to: 2)
                stop.set()
            }
        }
        threads.append(thread.handle)
    }
    writeLine("http://\(bound)", to: 1)
    while !stop.isSet {
        if signals.wait(milliseconds: 200) != nil { stop.set() }
    }
    for thread in threads { Thread.join(thread) }
    listener.close()
} catch let error as AddressError {
    writeLine("echo-server: \(error)", to: 2)
    exit(1)
} catch {
    writeLine("echo-server: \(error)", to: 2)
    exit(1)
}
