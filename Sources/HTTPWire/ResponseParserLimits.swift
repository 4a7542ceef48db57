/// Limits that keep a hostile or broken server from making the parser work without bound.
public struct ResponseParserLimits: Sendable, Equatable {
    /// Status line plus header lines plus the blank line; trailers have the same limit.
    public var maxHeaderBytes: Int
    public var maxHeaderCount: Int

    public init(maxHeaderBytes: Int = 65_536, maxHeaderCount: Int = 256) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
    }
}
