import Foundation

/// Certificates made for one test with the `openssl` command in a fresh temporary directory
/// (never committed), removed by `remove()`. EC P-256 keys: each takes milliseconds to make.
///
/// - `ca`: the test CA (unknown to the system's trust store).
/// - `server`: signed by `ca` for DNS localhost and IP 127.0.0.1.
/// - `wrongHost`: signed by `ca` for DNS wrong.example and IP 10.9.9.9 only.
/// - `client`: signed by `ca` for client authentication (mTLS).
/// - `encryptedKey`: a key protected by a passphrase.
struct TestCertificates {
    let directory: String
    var caCertificate: String { directory + "/ca.pem" }
    var serverCertificate: String { directory + "/server.pem" }
    var serverKey: String { directory + "/server.key" }
    var wrongHostCertificate: String { directory + "/wrong.pem" }
    var wrongHostKey: String { directory + "/wrong.key" }
    var clientCertificate: String { directory + "/client.pem" }
    var clientKey: String { directory + "/client.key" }
    var encryptedKey: String { directory + "/encrypted.key" }

    struct OpenSSLCommandFailed: Error, CustomStringConvertible {
        let arguments: [String]
        let output: String
        var description: String { "openssl \(arguments.joined(separator: " ")) failed: \(output)" }
    }

    init() throws {
        directory = NSTemporaryDirectory() + "loadgen-tls-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // A config of our own: the system's openssl.cnf adds CA:TRUE to every `req -x509`.
        let config = """
            [req]
            distinguished_name = dn
            [dn]
            [ca]
            basicConstraints = critical,CA:TRUE
            keyUsage = critical,keyCertSign,cRLSign
            subjectKeyIdentifier = hash
            [server]
            basicConstraints = critical,CA:FALSE
            subjectAltName = DNS:localhost,IP:127.0.0.1
            extendedKeyUsage = serverAuth
            [wrong]
            basicConstraints = critical,CA:FALSE
            subjectAltName = DNS:wrong.example,IP:10.9.9.9
            extendedKeyUsage = serverAuth
            [client]
            basicConstraints = critical,CA:FALSE
            extendedKeyUsage = clientAuth

            """
        try config.write(toFile: directory + "/openssl.cnf", atomically: true, encoding: .utf8)
        try makeCertificate("ca", subject: "/CN=loadgen test CA", signedByCA: false)
        try makeCertificate("server", subject: "/CN=localhost", signedByCA: true)
        try makeCertificate("wrong", subject: "/CN=wrong.example", signedByCA: true)
        try makeCertificate("client", subject: "/CN=loadgen test client", signedByCA: true)
        try Self.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                          "-aes-128-cbc", "-pass", "pass:secret", "-out", encryptedKey])
    }

    private func makeCertificate(_ name: String, subject: String, signedByCA: Bool) throws {
        var arguments = ["req", "-x509", "-config", directory + "/openssl.cnf", "-extensions", name,
                         "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                         "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).pem",
                         "-subj", subject, "-days", "2"]
        if signedByCA { arguments += ["-CA", caCertificate, "-CAkey", directory + "/ca.key"] }
        try Self.openssl(arguments)
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw OpenSSLCommandFailed(arguments: arguments, output: text) }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
