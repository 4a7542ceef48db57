/// Limits that keep a hostile or broken server from making the parser work without bound.
public struct ResponseParserLimits: Sendable, Equatable {
    /// Status line plus header lines plus the blank line; trailers have the same limit.
    public var maxHeaderBytes: Int
    /// Header lines in one head (trailers counted apart, with the same limit).
    public var maxHeaderCount: Int

    /// Limits of 64 KiB and 256 header lines by default.
    public init(maxHeaderBytes: Int = 65_536, maxHeaderCount: Int = 256) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
    }
}
