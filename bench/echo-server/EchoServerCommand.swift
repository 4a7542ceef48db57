import Glibc
import Loadgen

/// echo-server's whole program: parse the options, serve until SIGINT or SIGTERM.
///
/// A library entry point rather than top-level code, so two executables run the same server: the
/// standalone `echo-server` (bench/echo-server/main/main.swift) and `loadgen echo-server`, which
/// `loadgen validate` starts by re-executing itself. `swift run loadgen validate` builds only the
/// loadgen product; with the server inside it, a fresh clone needs nothing else built.
package enum EchoServerCommand {
    /// Runs the server with `arguments` (without the program name); returns the exit code.
    package static func main(_ arguments: [String], programName: String = "echo-server") -> Int32 {
        let options: ServerOptions
        do throws(ServerOptions.ParseError) {
            options = try ServerOptions.parse(arguments)
        } catch {
            switch error {
            case .help:
                writeLine(ServerOptions.usage, to: 1)
                return 0
            case .message(let message):
                writeLine("\(programName): \(message) (see --help)", to: 2)
                return 2
            }
        }

        let tls: TLSServerContext?
        if let certificate = options.tlsCertificate, let key = options.tlsKey {
            do throws(TLSError) {
                tls = try TLSServerContext(certificateFile: certificate, privateKeyFile: key, clientCertificateAuthorities: options.tlsClientCA)
            } catch {
                writeLine("\(programName): \(error)", to: 2)
                return 1
            }
        } else {
            tls = nil
        }
        do {
            // Signals become events on a descriptor; created first so every thread inherits the mask.
            let signals = try SignalWatcher()
            ProcessResources.ignoreSIGPIPE()
            let address = try SocketAddress(host: options.host, port: options.port)
            let listener = try Socket.listen(on: address)
            let bound = try Socket.localAddress(listener)
            let stop = StopFlag()
            let lateness = LatenessBoard(loops: options.threads)
            ProcessResources.raiseDescriptorLimitToHard()
            var threads: [Thread.Handle] = []
            let metrics = options.servesMetrics ? EchoMetrics(loops: options.threads, modelName: options.modelName) : nil
            for index in 0..<options.threads {
                let thread = try Thread {
                    do {
                        var loop = try ServerLoop(listener: listener, options: options, stop: stop, lateness: lateness, index: index, tls: tls,
                                                  metrics: metrics.map { ($0, $0.loops[index]) })
                        loop.run()
                    } catch {
                        writeLine("\(programName): \(error)", to: 2)
                        stop.set()
                    }
                }
                threads.append(thread.handle)
            }
            writeLine("\(tls == nil ? "http" : "https")://\(bound)", to: 1)
            while !stop.isSet {
                if signals.wait(milliseconds: 200) != nil { stop.set() }
            }
            for thread in threads { Thread.join(thread) }
            listener.close()
            let figures = lateness.merged
            if figures.lateness.count > 0 { writeLine(LatenessBoard.line(figures.lateness, programName: programName), to: 2) }
            if figures.readLag.count > 0 { writeLine(LatenessBoard.readLagLine(figures.readLag, programName: programName), to: 2) }
            return 0
        } catch {
            writeLine("\(programName): \(error)", to: 2)
            return 1
        }
    }
}

func writeLine(_ text: String, to fd: Int32) {
    var line = text + "\n"
    line.withUTF8 { bytes in _ = write(fd, bytes.baseAddress, bytes.count) }
}
