/// The start of one error response's body, kept so an error summary can show what the server said.
public struct HTTPErrorExample: Sendable, Equatable {
    /// The HTTP status of the error response.
    public var status: Int
    /// At most the first 200 bytes, as received.
    public var body: [UInt8]

    /// An example of `status` with the start of its `body`.
    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    /// The body as one printable line: control bytes and invalid UTF-8 become '.', so a binary or
    /// multi-line body cannot break the report's layout.
    public var printableBody: String {
        let cleaned = body.map { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D ? UInt8(ascii: " ") : $0 }
            .map { $0 < 0x20 || $0 == 0x7F ? UInt8(ascii: ".") : $0 }
        return String(decoding: cleaned, as: UTF8.self)
    }
}
