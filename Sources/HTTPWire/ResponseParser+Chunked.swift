/// Chunked transfer coding (RFC 9112 §7.1): chunk-size lines with their extensions, the CRLF after
/// each chunk's data, and the trailer section. The data itself is returned by `bodyEvent`.
extension ResponseParser {
    /// Consumes bytes of chunk framing or trailers. Returns an event when one is due, or nil when
    /// the input ends or the state changed to one handled by `parse`.
    mutating func stepChunked(_ input: UnsafeRawBufferPointer, _ index: inout Int) throws(WireError) -> ResponseEvent? {
        let count = input.count
        while index < count {
            let byte = input[index]
            switch state {
            case .chunkSize:
                if let digit = ByteClass.hexValue(byte) {
                    chunkDigits += 1
                    guard chunkDigits <= Self.maxChunkSizeDigits else { throw .invalidChunkSize }
                    remaining = remaining << 4 | digit
                } else {
                    guard chunkDigits > 0 else { throw .invalidChunkSize }
                    if byte == UInt8(ascii: ";") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                        state = .chunkExtension
                    } else if byte == UInt8(ascii: "\r") {
                        state = .chunkSizeCR
                    } else if byte == UInt8(ascii: "\n") {
                        index += 1
                        chunkSizeLineEnded()
                        return nil
                    } else {
                        throw .invalidChunkSize
                    }
                }
            case .chunkExtension:
                // Extensions (`;name=value`) carry nothing loadgen uses; bounded like a header line.
                try countHeaderByte()
                if byte == UInt8(ascii: "\r") {
                    state = .chunkSizeCR
                } else if byte == UInt8(ascii: "\n") {
                    index += 1
                    chunkSizeLineEnded()
                    return nil
                }
            case .chunkSizeCR:
                guard byte == UInt8(ascii: "\n") else { throw .invalidChunkSize }
                index += 1
                chunkSizeLineEnded()
                return nil
            case .chunkDataCR:
                if byte == UInt8(ascii: "\r") {
                    state = .chunkDataLF
                } else if byte == UInt8(ascii: "\n") {
                    beginChunkSize()
                } else {
                    throw .invalidChunkTerminator
                }
            case .chunkDataLF:
                guard byte == UInt8(ascii: "\n") else { throw .invalidChunkTerminator }
                beginChunkSize()
            case .trailerLineStart:
                try countHeaderByte()
                if byte == UInt8(ascii: "\r") {
                    state = .trailerEndCR
                } else if byte == UInt8(ascii: "\n") {
                    index += 1
                    state = .complete
                    return nil
                } else {
                    state = .trailerLine
                }
            case .trailerLine:
                try countHeaderByte()
                if byte == UInt8(ascii: "\n") { state = .trailerLineStart }
            case .trailerEndCR:
                guard byte == UInt8(ascii: "\n") else { throw .invalidHeaderLine }
                index += 1
                state = .complete
                return nil
            default:
                // Head and body states are not the chunk framing's.
                return nil
            }
            index += 1
        }
        return nil
    }

    mutating func beginChunkSize() {
        // Each chunk-size line (with its extensions) gets the header byte limit afresh.
        sectionBytes = 0
        state = .chunkSize
        remaining = 0
        chunkDigits = 0
    }

    private mutating func chunkSizeLineEnded() {
        if remaining == 0 {
            sectionBytes = 0
            state = .trailerLineStart
        } else {
            state = .chunkData
        }
    }
}
