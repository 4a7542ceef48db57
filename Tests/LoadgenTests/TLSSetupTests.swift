import Foundation
import Testing
@testable import Loadgen

/// Loading OpenSSL and setting up contexts: every failure is one typed error naming its cause.
@Suite("TLS setup")
struct TLSSetupTests {
    @Test("a missing OpenSSL library is one error that names the library")
    func missingLibrary() throws {
        #expect(throws: TLSError.self) { try OpenSSL.open(candidates: [("libssl-missing.so.9", "libcrypto-missing.so.9")]) }
        do {
            _ = try OpenSSL.open(candidates: [("libssl-missing.so.9", "libcrypto-missing.so.9")])
        } catch {
            guard case .libraryUnavailable(let library, _) = error else { Issue.record("\(error)"); return }
            #expect(library == "libcrypto-missing.so.9")
            #expect(error.description.contains("libcrypto-missing.so.9"))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("a function missing from the library is one error that names the function and the library")
    func missingSymbol() throws {
        let library = try OpenSSLLibraryHandle(opening: "libssl.so.3")
        do {
            _ = try library.symbol("SSL_no_such_function", as: (@convention(c) () -> Void).self)
            Issue.record("resolved a function that does not exist")
        } catch {
            #expect(error == .symbolMissing(symbol: "SSL_no_such_function", library: "libssl.so.3"))
            #expect(error.description.contains("SSL_no_such_function"))
            #expect(error.description.contains("libssl.so.3"))
        }
    }

    @Test("the system's OpenSSL loads once and is version 3")
    func systemLibrary() throws {
        let openSSL = try OpenSSL.system()
        #expect(openSSL.version.hasPrefix("3."))
        #expect(try OpenSSL.system().api == openSSL.api)
    }

    @Test("hosts are classified: names get SNI, IP literals do not", arguments: [
        ("localhost", TLSServerName.dnsName("localhost")),
        ("example.com.", .dnsName("example.com")),
        ("127.0.0.1", .ipAddress("127.0.0.1")),
        ("::1", .ipAddress("::1")),
        ("fe80::1", .ipAddress("fe80::1")),
        ("10.0.0", .dnsName("10.0.0")),
    ])
    func serverNames(host: String, expected: TLSServerName) {
        #expect(TLSServerName(host: host) == expected)
    }

    @Test("a CA file that does not exist is a setup error naming the file")
    func missingCAFile() {
        do {
            _ = try TLSClientContext(TLSClientConfiguration(verification: .certificateAuthorities(file: "/nonexistent/ca.pem")))
            Issue.record("accepted a missing CA file")
        } catch {
            guard case .configuration(let step, let reason) = error else { Issue.record("\(error)"); return }
            #expect(step.contains("/nonexistent/ca.pem"))
            #expect(!reason.isEmpty)
        }
    }

    @Test("an encrypted client key is refused at once, never prompted for")
    func encryptedKey() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        do {
            _ = try TLSClientContext(TLSClientConfiguration(certificateFile: certificates.clientCertificate, privateKeyFile: certificates.encryptedKey))
            Issue.record("accepted an encrypted key without a passphrase")
        } catch {
            guard case .configuration(let step, _) = error else { Issue.record("\(error)"); return }
            #expect(step.contains(certificates.encryptedKey))
        }
    }

    @Test("a key that does not belong to the certificate is refused")
    func mismatchedKey() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        do {
            _ = try TLSServerContext(certificateFile: certificates.serverCertificate, privateKeyFile: certificates.clientKey)
            Issue.record("accepted a key of another certificate")
        } catch {
            guard case .configuration(let step, let reason) = error else { Issue.record("\(error)"); return }
            #expect(step.contains(certificates.clientKey))
            #expect(reason.contains("key values mismatch"), "\(reason)")
        }
    }

    @Test("a client key without its certificate is refused")
    func keyWithoutCertificate() {
        #expect(throws: TLSError.self) { try TLSClientContext(TLSClientConfiguration(privateKeyFile: "/tmp/key.pem")) }
    }
}
