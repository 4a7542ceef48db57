/// What can be wrong with HTTP/1.1 bytes, in either direction.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not `HTTP/1.x DDD ...`.
    case invalidStatusLine
    /// A status line of another HTTP version, e.g. `HTTP/2.0`.
    case unsupportedVersion
    /// A header line without a colon, with bad name characters, or a CR not followed by LF.
    case invalidHeaderLine
    /// The status line and headers (or the trailers) exceed the limit.
    case headerSectionTooLarge(limit: Int)
    case tooManyHeaders(limit: Int)
    /// Content-Length not a non-negative decimal integer (or too large).
    case invalidContentLength
    /// Two Content-Length values that differ.
    case conflictingContentLength
    /// A chunk size that is not hex, or has more than 15 digits.
    case invalidChunkSize
    /// Chunk data not followed by CRLF.
    case invalidChunkTerminator
    /// `101 Switching Protocols`: loadgen speaks HTTP/1.1 only.
    case upgradeNotSupported
    /// The peer closed the connection before the response completed.
    case connectionClosedEarly
    /// Serializer: CR, LF or NUL in a method, target, header name or value, or an empty name.
    case invalidHeaderField
    /// Serializer: the caller's buffer is smaller than the request.
    case bufferTooSmall(needed: Int)

    /// The error as one line, for messages.
    public var description: String {
        switch self {
        case .invalidStatusLine: "invalid status line"
        case .unsupportedVersion: "unsupported HTTP version in status line"
        case .invalidHeaderLine: "invalid header line"
        case .headerSectionTooLarge(let limit): "header section larger than \(limit) bytes"
        case .tooManyHeaders(let limit): "more than \(limit) headers"
        case .invalidContentLength: "invalid Content-Length"
        case .conflictingContentLength: "conflicting Content-Length values"
        case .invalidChunkSize: "invalid chunk size"
        case .invalidChunkTerminator: "chunk data not followed by CRLF"
        case .upgradeNotSupported: "101 Switching Protocols is not supported"
        case .connectionClosedEarly: "connection closed before the response completed"
        case .invalidHeaderField: "CR, LF or NUL in a request field, or an empty header name"
        case .bufferTooSmall(let needed): "buffer too small, \(needed) bytes needed"
        }
    }
}
